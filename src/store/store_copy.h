// Copying a whole Coffer from one store to another, engine to engine (`coffer migrate`): every
// row as it is, through the Store interface alone, so it works between any two engines.
//
// What is copied: orgs; KEKs still wrapped under the same root key, with their encryption counts;
// identities (parents before children), people (password hash, TOTP wrap, confirmed flag, last
// step), tokens and grants, revoked ones included; every retained version of every credential
// with its number, times and blob byte for byte (nothing is decrypted); re-wrap jobs and key
// events (in their order within each org); the audit trail's keys, every record with its seq, id
// and hash, and its signed checkpoints, so the chain's tip (last_checkpoint_seq included, after
// a prune) is the source's. Nothing is re-encrypted, renumbered or re-signed.
//
// All of it lands in one write transaction on the target: a copy that fails halfway leaves the
// target as empty as it was. The source is read from one snapshot, in batches, so millions of
// audit records or credential versions never sit in memory at once.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/records.h"
#include "store/store.h"

namespace coffer::store {

// Each kind of row with its count, in the order a copy moves them: for progress and reports.
std::vector<std::pair<std::string_view, int64_t>> RowKinds(const StoreRowCounts& counts);

// Whether a store holds nothing at all: no row of any kind and no audit chain tip.
bool IsEmpty(const StoreRowCounts& counts, const AuditChainTip& tip);

struct CopyOptions {
  int batch = 500;  // credential versions or audit records read from the source at a time
  // Called as rows land: the kind (as RowKinds names it), how many so far, and whether that kind
  // is done. On the target's writer thread: it must be quick and must not call the stores.
  std::function<void(std::string_view kind, int64_t copied, bool done)> progress;
};

struct CopyOutcome {
  StoreRowCounts counts;  // the source's, which the target now also holds
  AuditChainTip tip;      // the source's, likewise
};

// Copies everything in `source` into `target`, then checks that the target's row counts and
// audit chain tip equal the source's.
// Refuses (kConflict, changing nothing) a target that holds anything, and a source in the middle
// of a root key rotation (pending root wraps): finish or undo that first, by starting a server
// on it once. kDataCorrupted when the copy does not match; other errors as the stores return them.
// REQUIRES: nothing else writes to either store meanwhile (the source is read from one snapshot;
// anything written to it after that is not copied).
Result<CopyOutcome> CopyStore(Store& source, Store& target, const CopyOptions& options = {});

}  // namespace coffer::store
