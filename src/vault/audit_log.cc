#include "vault/audit_log.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>

#include "core/secure_wipe.h"
#include "core/time.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "vault/bootstrap.h"
#include "vault/ids.h"

namespace coffer::vault {
namespace {

constexpr std::string_view kTargetDigestDomain = "coffer/audit/failed-target/v1:";
constexpr std::string_view kSigningSeedDomain = "coffer/audit/checkpoint-signing/v1";
constexpr std::string_view kCheckpointDomain = "coffer/audit/checkpoint/v1";
constexpr int kVerifyBatch = 1000;

// Length-prefixed fields, so no two different records encode alike.
void Put(std::string& out, std::string_view field) {
  const uint32_t n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field);
}

// What a checkpoint's signature covers: its record number, time and chain hash.
std::string CheckpointMessage(const store::AuditCheckpointRecord& c) {
  std::string message(kCheckpointDomain);
  Put(message, std::to_string(c.seq));
  Put(message, std::to_string(c.at));
  Put(message, std::string_view(reinterpret_cast<const char*>(c.hash.data()), c.hash.size()));
  return message;
}

Error AuditUnavailable(const Status& cause) {
  return MakeError(ErrorCode::kUnavailable,
                   "the audit trail cannot be written (" + cause.error().message +
                       "), so nothing is served: retry, and check the server's disk");
}

}  // namespace

AuditLog::AuditLog(store::Store& store, crypto::SecureKey key, AuditOptions options)
    : store_(store), key_(std::move(key)), options_(std::move(options)) {
  auto seed = crypto::HmacSha256(key_.bytes(), crypto::AsBytes(kSigningSeedDomain));
  signing_seed_ = crypto::SecureKey::FromBytes(seed);
  checkpoint_public_key_ = crypto::Ed25519PublicKeyOf(signing_seed_);
  SecureWipe(seed.data(), seed.size());
  if (options_.checkpoint_every < 1) options_.checkpoint_every = 1;
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store& store, const keyring::Keyring& keyring,
                                                 AuditOptions options) {
  auto keys = store.BeginRead()->ListAuditKeys();
  if (!keys.ok()) return keys.error();
  crypto::SecureKey key;
  if (keys->empty()) {
    key = crypto::SecureKey::Random();
    auto wrapped = keyring.WrapUnderRoot(key, kAuditKeyPurpose);
    if (!wrapped.ok()) return wrapped.error();
    COFFER_TRY(store.Write([&](store::WriteTransaction& txn) {
      return txn.PutAuditKey(store::AuditKeyRecord{1, *wrapped, NowMicros()});
    }));
  } else {
    auto unwrapped = keyring.UnwrapUnderRoot(keys->back().wrapped, kAuditKeyPurpose);
    if (!unwrapped.ok()) {
      return MakeError(ErrorCode::kDataCorrupted, "the audit chain key does not open with this root key");
    }
    key = std::move(unwrapped).value();
  }
  if (const char* fault = std::getenv("COFFER_AUDIT_FAULT_FILE"); fault && options.fault_file.empty()) {
    options.fault_file = fault;
  }
  return std::make_unique<AuditLog>(store, std::move(key), std::move(options));
}

std::vector<uint8_t> AuditLog::Chain(const std::vector<uint8_t>& previous_hash, const store::AuditRecord& r) const {
  std::string encoded(previous_hash.begin(), previous_hash.end());
  Put(encoded, std::to_string(r.seq));
  Put(encoded, r.id);
  Put(encoded, std::to_string(r.at));
  Put(encoded, r.org_id);
  Put(encoded, r.actor_id);
  Put(encoded, r.actor_name);
  Put(encoded, r.actor_kind);
  std::string chain;
  for (const auto& id : r.chain_ids) chain += (chain.empty() ? "" : " ") + id;
  Put(encoded, chain);
  Put(encoded, r.token_id);
  Put(encoded, r.source_ip);
  Put(encoded, r.user_agent);
  Put(encoded, r.request_id);
  Put(encoded, r.action);
  Put(encoded, r.target);
  Put(encoded, r.target_version ? std::to_string(*r.target_version) : "");
  Put(encoded, r.outcome);
  Put(encoded, r.reason);
  auto digest = crypto::HmacSha256(key_.bytes(), std::span<const uint8_t>(
                                                     reinterpret_cast<const uint8_t*>(encoded.data()), encoded.size()));
  return std::vector<uint8_t>(digest.begin(), digest.end());
}

std::string AuditLog::TargetDigest(std::string_view target) const {
  std::string input(kTargetDigestDomain);
  input.append(target);
  return "digest:" + crypto::HexEncode(crypto::HmacSha256(key_.bytes(), crypto::AsBytes(input)));
}

store::AuditCheckpointRecord AuditLog::SignCheckpoint(int64_t seq, std::vector<uint8_t> hash) const {
  store::AuditCheckpointRecord checkpoint{seq, std::move(hash), NowMicros(), {}};
  auto signature = crypto::Ed25519Sign(signing_seed_, crypto::AsBytes(CheckpointMessage(checkpoint)));
  checkpoint.signature.assign(signature.begin(), signature.end());
  return checkpoint;
}

Status AuditLog::Append(store::WriteTransaction& txn, store::AuditRecord record) const {
  if (!options_.fault_file.empty() && ::access(options_.fault_file.c_str(), F_OK) == 0) {
    return AuditUnavailable(MakeError(ErrorCode::kUnavailable, "fault injected by COFFER_AUDIT_FAULT_FILE"));
  }
  // Inside the store's single writer, so the tip cannot change under us.
  auto tip = txn.ReadAuditChainTip();
  if (!tip.ok()) return AuditUnavailable(tip.error());
  std::vector<uint8_t> previous = tip->last_hash.empty() ? std::vector<uint8_t>(32, 0) : std::move(tip->last_hash);
  // Never a number a checkpoint already vouches for: if the tail was cut off, the gap stays
  // visible to verify instead of being refilled (and the checkpoint overwritten).
  record.seq = std::max(tip->last_seq, tip->last_checkpoint_seq) + 1;
  if (record.at == 0) record.at = NowMicros();
  if (record.id.empty()) record.id = NewTimeOrderedId("aud_", record.at);
  if (record.outcome.empty()) record.outcome = "ok";
  if (record.outcome != "ok" && !record.target.empty()) record.target = TargetDigest(record.target);
  record.hash = Chain(previous, record);
  if (Status s = txn.AppendAudit(record); !s.ok()) return AuditUnavailable(s);
  if (record.seq % options_.checkpoint_every == 0) {
    if (Status s = txn.PutAuditCheckpoint(SignCheckpoint(record.seq, record.hash)); !s.ok()) {
      return AuditUnavailable(s);
    }
  }
  return Status::Ok();
}

Status AuditLog::Record(store::AuditRecord record, const RequestContext& request) {
  // Any failure to write a record is the trail's being unavailable: 503, never a half answer.
  auto as_unavailable = [](Status written) -> Status {
    if (!written.ok() && written.error().code != ErrorCode::kUnavailable) return AuditUnavailable(written);
    return written;
  };
  if (request.reply_barrier) {
    store_.Submit([this, record = std::move(record)](store::WriteTransaction& txn) { return Append(txn, record); },
                  [as_unavailable, done = request.reply_barrier->Expect()](Status written) {
                    done(as_unavailable(std::move(written)));
                  });
    return Status::Ok();
  }
  return as_unavailable(store_.Write([&](store::WriteTransaction& txn) { return Append(txn, record); }));
}

Result<std::vector<store::AuditRecord>> AuditLog::Query(const Principal& caller, store::AuditQuery query) const {
  if (!caller.HasScope(scopes::kAuditRead)) {
    return MakeError(ErrorCode::kPermissionDenied, "this token lacks the audit:read scope: use a token that has it");
  }
  query.org_id = caller.org_id;
  if (!query.target.empty()) query.target_digest = TargetDigest(query.target);
  auto read = store_.BeginRead();
  // Server records (start, stop, retention, unauthenticated attempts with their addresses) are the
  // operator's, not any tenant's.
  auto operator_org = IsOperatorOrg(*read, caller.org_id);
  if (!operator_org.ok()) return operator_org.error();
  query.include_server_records = caller.IsOrgAdmin() && *operator_org;
  if (!caller.IsOrgAdmin()) query.within_chain_of = caller.identity_id;
  return read->QueryAudit(query);
}

Status AuditLog::CheckOperator(const Principal& caller) const {
  const Error refused = MakeError(ErrorCode::kPermissionDenied,
                                  "the chain spans every org: verifying it and its checkpoints needs an owner or "
                                  "admin of the server's first org, with the audit:read scope");
  if (!caller.HasScope(scopes::kAuditRead) || !caller.IsOrgAdmin()) return refused;
  auto read = store_.BeginRead();
  auto operator_org = IsOperatorOrg(*read, caller.org_id);
  if (!operator_org.ok()) return operator_org.error();
  return *operator_org ? Status::Ok() : refused;
}

Result<VerifyReport> AuditLog::Verify(const Principal& caller) const {
  COFFER_TRY(CheckOperator(caller));
  return VerifyChain();
}

Result<std::vector<store::AuditCheckpointRecord>> AuditLog::Checkpoints(const Principal& caller) const {
  COFFER_TRY(CheckOperator(caller));
  return store_.BeginRead()->ListAuditCheckpoints();
}

VerifyReport AuditLog::VerifyChain() const {
  VerifyReport report;
  auto fail = [&report](int64_t seq, std::string problem) {
    report.first_bad_seq = seq;
    report.problem = std::move(problem);
    return report;
  };
  auto read = store_.BeginRead();
  auto listed = read->ListAuditCheckpoints();
  if (!listed.ok()) return fail(0, "the checkpoints cannot be read: " + listed.error().message);
  const auto public_key = checkpoint_public_key();
  std::map<int64_t, const store::AuditCheckpointRecord*> checkpoints;
  for (const auto& c : *listed) {
    if (!crypto::Ed25519Verify(public_key, crypto::AsBytes(CheckpointMessage(c)), c.signature)) {
      return fail(c.seq, "the checkpoint at record " + std::to_string(c.seq) +
                             " is not signed by this server's audit key: it was forged or altered");
    }
    checkpoints[c.seq] = &c;
  }

  std::vector<uint8_t> previous(32, 0);
  int64_t expected_seq = 1;
  bool first = true;
  while (true) {
    auto batch = read->ScanAudit(expected_seq - 1, kVerifyBatch);
    if (!batch.ok()) return fail(expected_seq, "the records cannot be read: " + batch.error().message);
    if (batch->empty()) break;
    for (const auto& record : *batch) {
      if (first && record.seq > 1) {
        // Retention pruned the start: the chain resumes from the signed checkpoint before it.
        auto anchor = checkpoints.find(record.seq - 1);
        if (anchor == checkpoints.end()) {
          return fail(1, "records 1 to " + std::to_string(record.seq - 1) +
                             " are missing and no signed checkpoint accounts for them");
        }
        previous = anchor->second->hash;
        expected_seq = record.seq;
        ++report.checkpoints;
      }
      if (first) report.first_seq = record.seq;
      first = false;
      if (record.seq != expected_seq) {
        return fail(expected_seq, "record " + std::to_string(expected_seq) + " is missing (the next one is " +
                                      std::to_string(record.seq) + ")");
      }
      auto expected = Chain(previous, record);
      if (!crypto::ConstantTimeEquals(expected, record.hash)) {
        return fail(record.seq, "record " + std::to_string(record.seq) +
                                    " does not match the chain: it, or the one before it, was altered, "
                                    "inserted or moved");
      }
      if (auto c = checkpoints.find(record.seq); c != checkpoints.end()) {
        if (!crypto::ConstantTimeEquals(c->second->hash, record.hash)) {
          return fail(record.seq, "record " + std::to_string(record.seq) +
                                      " and everything before it were rewritten: its signed checkpoint "
                                      "holds another hash");
        }
        ++report.checkpoints;
      }
      previous = record.hash;
      ++expected_seq;
      ++report.checked;
    }
  }
  if (!checkpoints.empty() && checkpoints.rbegin()->first >= expected_seq) {
    return fail(expected_seq, "records from " + std::to_string(expected_seq) +
                                  " on are missing: a signed checkpoint vouches for record " +
                                  std::to_string(checkpoints.rbegin()->first));
  }
  return report;
}

Result<PruneOutcome> AuditLog::Prune(UnixMicros cutoff,
                                     const std::function<Status(const store::WriteWork&)>& write) {
  VerifyReport report = VerifyChain();
  if (report.first_bad_seq) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "the audit chain does not verify (" + report.problem +
                         "), so retention prunes nothing and the evidence stays: run `coffer audit verify`");
  }
  auto through = store_.BeginRead()->LastAuditSeqBefore(cutoff);
  if (!through.ok()) return through.error();
  if (!*through) return PruneOutcome{};
  const int64_t last_pruned = **through;
  COFFER_TRY(write([&](store::WriteTransaction& txn) -> Status {
    // The prune's own record first: the newest record always survives, so the chain goes on.
    COFFER_TRY(Append(txn, ServerEvent("audit.prune", "records up to " + std::to_string(last_pruned))));
    auto boundary = txn.ScanAudit(last_pruned - 1, 1);
    if (!boundary.ok()) return boundary.error();
    if (boundary->empty() || boundary->front().seq != last_pruned) {
      return MakeError(ErrorCode::kInternal, "the audit record to prune through vanished during the prune");
    }
    COFFER_TRY(txn.PutAuditCheckpoint(SignCheckpoint(last_pruned, boundary->front().hash)));
    return txn.PruneAudit(last_pruned);
  }));
  return PruneOutcome{last_pruned};
}

namespace {

// A User-Agent is whatever the client sent: bytes that are not UTF-8 would make every later
// listing of the record fail to serialise (and PostgreSQL refuses them in a text column), so one
// unauthenticated request could break the trail for everyone. Printable ASCII is kept, anything
// else becomes '?', and the whole is cut at 256 bytes.
std::string PrintableUserAgent(std::string_view sent) {
  std::string out(sent.substr(0, 256));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) c = '?';
  }
  return out;
}

}  // namespace

store::AuditRecord AuditLog::For(const Principal& principal, std::string action, std::string target,
                                 std::optional<int> version) {
  store::AuditRecord r;
  r.org_id = principal.org_id;
  r.actor_id = principal.identity_id;
  r.actor_name = principal.identity_name;
  r.actor_kind = principal.kind;
  for (const auto& link : principal.chain) r.chain_ids.push_back(link.id);
  r.token_id = principal.token_id;
  r.source_ip = principal.request.source_ip;
  r.user_agent = PrintableUserAgent(principal.request.user_agent);
  r.request_id = principal.request.request_id;
  r.action = std::move(action);
  r.target = std::move(target);
  r.target_version = version;
  return r;
}

store::AuditRecord AuditLog::ServerEvent(std::string action, std::string target) {
  store::AuditRecord record;
  record.actor_kind = "server";
  record.actor_name = "coffer";
  record.action = std::move(action);
  record.target = std::move(target);
  return record;
}

store::AuditRecord AuditLog::Anonymous(const RequestContext& request, std::string action, std::string target) {
  store::AuditRecord r;
  r.source_ip = request.source_ip;
  r.user_agent = PrintableUserAgent(request.user_agent);
  r.request_id = request.request_id;
  r.action = std::move(action);
  r.target = std::move(target);
  return r;
}

void AuditLog::SetFailure(store::AuditRecord& record, const Error& error) {
  switch (error.code) {
    case ErrorCode::kUnauthenticated:
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kRateLimited: record.outcome = "denied"; break;
    case ErrorCode::kNotFound: record.outcome = "not_found"; break;
    default: record.outcome = "error"; break;
  }
  record.reason = error.message.substr(0, 300);
}

}  // namespace coffer::vault
