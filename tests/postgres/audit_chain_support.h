// Appending audit records the way the audit log does (read the tip, number after it and after the
// last checkpoint, chain the hash to the previous one), with the previous hash also kept in the
// record's reason so a test can check every link.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "store/store.h"

namespace coffer::testing {

inline std::vector<uint8_t> ChainHash(const std::vector<uint8_t>& previous, int64_t seq) {
  std::string input(previous.begin(), previous.end());
  input += ":" + std::to_string(seq);
  auto digest = crypto::Sha256(input);
  return std::vector<uint8_t>(digest.begin(), digest.end());
}

inline Status AppendChained(store::WriteTransaction& txn, store::AuditRecord record) {
  auto tip = txn.ReadAuditChainTip();
  if (!tip.ok()) return tip.error();
  std::vector<uint8_t> previous = tip->last_hash.empty() ? std::vector<uint8_t>(32, 0) : tip->last_hash;
  record.seq = std::max(tip->last_seq, tip->last_checkpoint_seq) + 1;
  if (record.id.empty()) record.id = "aud_" + std::to_string(record.seq) + "_" + record.request_id;
  if (record.outcome.empty()) record.outcome = "ok";
  record.reason = crypto::HexEncode(previous);
  record.hash = ChainHash(previous, record.seq);
  return txn.AppendAudit(record);
}

// Fails the test unless the records are numbered first..first+n-1 without a gap, each chained to
// the one before (the first to `anchor`).
inline void ExpectOneChain(const std::vector<store::AuditRecord>& records, int64_t first,
                           std::vector<uint8_t> anchor = std::vector<uint8_t>(32, 0)) {
  std::vector<uint8_t> previous = std::move(anchor);
  int64_t expected = first;
  for (const auto& r : records) {
    ASSERT_EQ(r.seq, expected) << "a gap or a repeat in the chain";
    ASSERT_EQ(r.reason, crypto::HexEncode(previous)) << "record " << r.seq << " is not chained to the one before";
    ASSERT_EQ(r.hash, ChainHash(previous, r.seq));
    previous = r.hash;
    ++expected;
  }
}

}  // namespace coffer::testing
