#include "vault/audit_log.h"

#include <unistd.h>

#include <cstdlib>

#include "core/time.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "vault/ids.h"

namespace coffer::vault {
namespace {

constexpr std::string_view kKeyPurpose = "audit-chain";
constexpr std::string_view kTargetDigestDomain = "coffer/audit/failed-target/v1:";
constexpr int kVerifyBatch = 1000;

// Length-prefixed fields, so no two different records encode alike.
void Put(std::string& out, std::string_view field) {
  const uint32_t n = static_cast<uint32_t>(field.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(field);
}

Error AuditUnavailable(const Status& cause) {
  return MakeError(ErrorCode::kUnavailable,
                   "the audit trail cannot be written (" + cause.error().message +
                       "), so nothing is served: retry, and check the server's disk");
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Store& store, const keyring::Keyring& keyring) {
  auto keys = store.BeginRead()->ListAuditKeys();
  if (!keys.ok()) return keys.error();
  crypto::SecureKey key;
  if (keys->empty()) {
    key = crypto::SecureKey::Random();
    auto wrapped = keyring.WrapUnderRoot(key, kKeyPurpose);
    if (!wrapped.ok()) return wrapped.error();
    COFFER_TRY(store.Write([&](store::WriteTransaction& txn) {
      return txn.PutAuditKey(store::AuditKeyRecord{1, *wrapped, NowMicros()});
    }));
  } else {
    auto unwrapped = keyring.UnwrapUnderRoot(keys->back().wrapped, kKeyPurpose);
    if (!unwrapped.ok()) {
      return MakeError(ErrorCode::kDataCorrupted, "the audit chain key does not open with this root key");
    }
    key = std::move(unwrapped).value();
  }
  const char* fault = std::getenv("COFFER_AUDIT_FAULT_FILE");
  return std::make_unique<AuditLog>(store, std::move(key), fault ? fault : "");
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
  auto digest = crypto::HmacSha256(
      key_.bytes(), std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(input.data()), input.size()));
  return "digest:" + crypto::HexEncode(digest);
}

Status AuditLog::Append(store::WriteTransaction& txn, store::AuditRecord record) const {
  if (!fault_file_.empty() && ::access(fault_file_.c_str(), F_OK) == 0) {
    return AuditUnavailable(MakeError(ErrorCode::kUnavailable, "fault injected by COFFER_AUDIT_FAULT_FILE"));
  }
  // Inside the store's single writer, so the last record cannot change under us.
  auto last = txn.LastAuditRecord();
  if (!last.ok()) return AuditUnavailable(last.error());
  std::vector<uint8_t> previous = *last ? (*last)->hash : std::vector<uint8_t>(32, 0);
  record.seq = *last ? (*last)->seq + 1 : 1;
  if (record.id.empty()) record.id = NewId("aud_");
  if (record.at == 0) record.at = NowMicros();
  if (record.outcome.empty()) record.outcome = "ok";
  if (record.outcome != "ok" && !record.target.empty()) record.target = TargetDigest(record.target);
  record.hash = Chain(previous, record);
  if (Status s = txn.AppendAudit(record); !s.ok()) return AuditUnavailable(s);
  return Status::Ok();
}

Status AuditLog::Record(store::AuditRecord record) {
  Status written = store_.Write([&](store::WriteTransaction& txn) { return Append(txn, record); });
  if (!written.ok() && written.error().code != ErrorCode::kUnavailable) return AuditUnavailable(written);
  return written;
}

Result<std::vector<store::AuditRecord>> AuditLog::Query(const Principal& caller, store::AuditQuery query) const {
  if (!caller.HasScope(scopes::kAuditRead)) {
    return MakeError(ErrorCode::kPermissionDenied, "this token lacks the audit:read scope: use a token that has it");
  }
  query.org_id = caller.org_id;
  if (!query.target.empty()) query.target_digest = TargetDigest(query.target);
  query.include_server_records = caller.IsOrgAdmin();
  if (!caller.IsOrgAdmin()) query.within_chain_of = caller.identity_id;
  return store_.BeginRead()->QueryAudit(query);
}

Result<VerifyReport> AuditLog::Verify(const Principal& caller) const {
  if (!caller.HasScope(scopes::kAuditRead) || !caller.IsOrgAdmin()) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "verifying the whole chain needs an org owner or admin with the audit:read scope");
  }
  VerifyReport report;
  auto read = store_.BeginRead();
  std::vector<uint8_t> previous(32, 0);
  int64_t expected_seq = 1;
  while (true) {
    auto batch = read->ScanAudit(expected_seq - 1, kVerifyBatch);
    if (!batch.ok()) return batch.error();
    if (batch->empty()) break;
    for (const auto& record : *batch) {
      if (record.seq != expected_seq) {
        report.first_bad_seq = expected_seq;
        report.problem = "record " + std::to_string(expected_seq) + " is missing (the next one is " +
                         std::to_string(record.seq) + ")";
        return report;
      }
      auto expected = Chain(previous, record);
      if (!crypto::ConstantTimeEquals(expected, record.hash)) {
        report.first_bad_seq = record.seq;
        report.problem = "record " + std::to_string(record.seq) +
                         " does not match the chain: it, or the one before it, was altered, inserted or moved";
        return report;
      }
      previous = record.hash;
      ++expected_seq;
      ++report.checked;
    }
  }
  return report;
}

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
  r.user_agent = principal.request.user_agent.substr(0, 256);
  r.request_id = principal.request.request_id;
  r.action = std::move(action);
  r.target = std::move(target);
  r.target_version = version;
  return r;
}

store::AuditRecord AuditLog::Anonymous(const RequestContext& request, std::string action, std::string target) {
  store::AuditRecord r;
  r.source_ip = request.source_ip;
  r.user_agent = request.user_agent.substr(0, 256);
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
