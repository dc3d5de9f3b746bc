#include "vault/key_manager.h"

#include <algorithm>
#include <map>

#include "core/log.h"
#include "vault/authorizer.h"
#include "vault/kek_catch_up.h"
#include "vault/key_manager_internal.h"

namespace coffer::vault {
namespace {

using key_manager_internal::kCredentialRotated;
using key_manager_internal::kKekRetired;
using key_manager_internal::kKekRotated;
using key_manager_internal::kRewrapStarted;
using key_manager_internal::NewestKekVersions;

Error NoSuchCredential() {
  return MakeError(ErrorCode::kNotFound, "no credential with this name in your vault");
}

// Who did it: the caller, or the server itself for automatic rotations.
store::AuditRecord KeyAudit(const Principal* principal, const std::string& org_id, std::string action,
                            std::string target) {
  if (principal != nullptr) return AuditLog::For(*principal, std::move(action), std::move(target));
  store::AuditRecord record = AuditLog::ServerEvent(std::move(action), std::move(target));
  record.org_id = org_id;
  return record;
}

std::string KekTarget(uint32_t version) { return "kek v" + std::to_string(version); }

}  // namespace

Status ValidateKeyPolicy(const KeyPolicy& p) {
  if (p.rotate_after_encryptions < 1 || p.rotate_after_encryptions > kMaxRotateAfterEncryptions) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--kek-rotate-after-encryptions must be between 1 and " +
                         std::to_string(kMaxRotateAfterEncryptions) +
                         " (NIST SP 800-38D allows at most 2^32 random-nonce encryptions per key)");
  }
  if (p.rotate_after_days < 0 || p.rotate_after_days > 3650) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--kek-rotate-after-days must be between 0 (never by age) and 3650");
  }
  if (p.rewrap_batch_size < 1 || p.rewrap_batch_size > kMaxRewrapBatchSize) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--rewrap-batch-size must be between 1 and " + std::to_string(kMaxRewrapBatchSize));
  }
  return Status::Ok();
}

KeyManager::KeyManager(store::Store& store, keyring::Keyring& keyring, AuditLog& audit, Leases& leases,
                       KeyPolicy policy)
    : store_(store), keyring_(keyring), audit_(audit), leases_(leases), policy_(policy) {}

KeyManager::~KeyManager() { Stop(); }

Status KeyManager::Start() {
  auto read = store_.BeginRead();
  auto states = read->ListKekStates();
  if (!states.ok()) return states.error();
  auto orgs = read->ListOrgs();
  if (!orgs.ok()) return orgs.error();
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : *states) {
      keyring_.SetEncryptionCount(s.org_id, s.version, s.encryptions);
      flushed_counts_[{s.org_id, s.version}] = s.encryptions;
    }
    for (const auto& org : *orgs) {
      auto job = read->FindRewrapJob(org.id);
      if (!job.ok()) return job.error();
      if (*job && !(*job)->finished_at) {
        LogInfo("resuming the re-wrap of org " + org.id + " under KEK version " +
                std::to_string((*job)->target_version) + " (" + std::to_string((*job)->rewrapped) +
                " DEKs done before the restart)");
        active_orgs_.insert(org.id);
      }
    }
  }
  worker_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void KeyManager::Stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
  PersistEncryptionCounts();
}

void KeyManager::Wake(const std::string& org_id) {
  {
    std::lock_guard lock(mutex_);
    active_orgs_.insert(org_id);
    ++wake_generation_[org_id];
    failures_.erase(org_id);
  }
  wake_.notify_all();
}

Status KeyManager::RequireKeysAdmin(const Principal& principal, const std::string& action) {
  if (principal.HasScope(scopes::kKeysAdmin)) return Status::Ok();
  return audit_.RecordFailure(principal, action, "",
                      MakeError(ErrorCode::kPermissionDenied,
                                "this token lacks the keys:admin scope: key management needs a token that has "
                                "it (the owner token does)"));
}

Result<KekRotation> KeyManager::RotateKekFor(const std::string& org_id, const std::string& reason,
                                             const Principal* principal, const store::LeaseRecord* lease) {
  std::lock_guard guard(rotation_mutex_);
  auto states = store_.BeginRead()->ListKekStates();
  if (!states.ok()) return states.error();
  uint32_t newest = 0;
  for (const auto& s : *states) {
    if (s.org_id == org_id) newest = std::max(newest, s.version);
  }
  if (newest == 0) return MakeError(ErrorCode::kInternal, "org " + org_id + " has no key-encryption key");
  KekRotation rotation;
  rotation.previous_version = newest;
  rotation.new_version = newest + 1;
  auto kek = keyring_.PrepareKek(org_id, rotation.new_version);
  if (!kek.ok()) return kek.error();
  const UnixMicros now = NowMicros();
  auto rotate = [&](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertKek(store::KekRecord{org_id, rotation.new_version, kek->wrapped, now}));
    COFFER_TRY(txn.InsertKeyEvent(store::KeyEventRecord{org_id, kKekRotated, rotation.new_version, reason, now}));
    COFFER_TRY(txn.PutRewrapJob(store::RewrapJobRecord{org_id, rotation.new_version, now, std::nullopt, 0}));
    COFFER_TRY(txn.InsertKeyEvent(
        store::KeyEventRecord{org_id, kRewrapStarted, rotation.new_version, "after the KEK rotation", now}));
    store::AuditRecord record = KeyAudit(principal, org_id, "keys.rotate", KekTarget(rotation.new_version));
    if (principal == nullptr) record.reason = reason;
    return audit_.Append(txn, std::move(record));
  };
  Status written = lease != nullptr ? leases_.Write(*lease, rotate) : store_.Write(rotate);
  if (!written.ok()) {
    keyring_.ForgetKek(org_id, rotation.new_version);
    if (principal != nullptr) return audit_.RecordFailure(*principal, "keys.rotate", "", written.error());
    return written.error();
  }
  // Only now, with the KEK durable, may anything be sealed under it.
  keyring_.ActivateKek(org_id, rotation.new_version);
  LogInfo("org " + org_id + ": KEK version " + std::to_string(rotation.new_version) + " is current (" + reason +
          "); re-wrapping older DEKs in the background");
  Wake(org_id);
  auto status = DescribeKeys(org_id);
  if (status.ok()) rotation.rewrap = status->rewrap;
  return rotation;
}

Status KeyManager::BeginRewrap(const std::string& org_id, const std::string& reason, const Principal& principal) {
  std::lock_guard guard(rotation_mutex_);
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto states = txn.ListKekStates();
    if (!states.ok()) return states.error();
    const uint32_t target = NewestKekVersions(*states)[org_id];
    auto job = txn.FindRewrapJob(org_id);
    if (!job.ok()) return job.error();
    COFFER_TRY(audit_.Append(txn, AuditLog::For(principal, "keys.rotate_all", KekTarget(target))));
    // Already running towards the current KEK: asking again changes nothing.
    if (*job && !(*job)->finished_at && (*job)->target_version == target) return Status::Ok();
    const UnixMicros now = NowMicros();
    COFFER_TRY(txn.PutRewrapJob(store::RewrapJobRecord{org_id, target, now, std::nullopt, 0}));
    return txn.InsertKeyEvent(store::KeyEventRecord{org_id, kRewrapStarted, target, reason, now});
  });
  if (!written.ok()) return audit_.RecordFailure(principal, "keys.rotate_all", "", written.error());
  Wake(org_id);
  return Status::Ok();
}

Result<CredentialInfo> KeyManager::RotateCredential(const Principal& principal, const std::string& name) {
  COFFER_TRY(ValidateCredentialName(name));
  if (Status allowed = Authorizer::CheckScope(principal, VaultAction::kWrite); !allowed.ok()) {
    return audit_.RecordFailure(principal, "credential.rotate", name, allowed.error());
  }
  CredentialInfo rotated;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    // The same reach as a store: the caller's own credential, else one a grant lets it write.
    auto target = Authorizer::Locate(txn, principal, VaultAction::kWrite, name);
    if (!target.ok()) return target.error();
    const auto& record = target->current;
    if (!record) return NoSuchCredential();
    const CredentialInfo& info = record->info;
    // Sealed under the org's newest KEK, which another node may have created.
    if (store_.SharedWithOtherNodes()) COFFER_TRY(CatchUpKeks(txn, keyring_, info.org_id));
    auto blob = keyring_.Reseal(keyring::BlobContext::Of(info), record->blob);
    if (!blob.ok()) return blob.error();
    auto replaced = txn.ReplaceVersionBlob(info.id, info.version, record->blob, *blob);
    if (!replaced.ok()) return replaced.error();
    if (!*replaced) {
      return MakeError(ErrorCode::kConflict, "the credential changed during the rotation: retry");
    }
    COFFER_TRY(txn.InsertKeyEvent(store::KeyEventRecord{info.org_id, kCredentialRotated,
                                                        keyring_.CurrentKekVersion(info.org_id), info.id,
                                                        NowMicros()}));
    rotated = info;
    return audit_.Append(txn, AuditLog::For(principal, "credential.rotate", name, info.version));
  });
  if (!written.ok()) return audit_.RecordFailure(principal, "credential.rotate", name, written.error());
  // The audit line: ids only, never the name (it may be sensitive) or the value.
  LogInfo("rotate: credential " + rotated.id + " version " + std::to_string(rotated.version) +
          " re-encrypted under a fresh DEK by token " + principal.token_id);
  return rotated;
}

Result<KekRotation> KeyManager::RotateKek(const Principal& principal) {
  COFFER_TRY(RequireKeysAdmin(principal, "keys.rotate"));
  return RotateKekFor(principal.org_id, "requested by token " + principal.token_id, &principal);
}

Result<RewrapProgress> KeyManager::StartRewrap(const Principal& principal) {
  COFFER_TRY(RequireKeysAdmin(principal, "keys.rotate_all"));
  COFFER_TRY(BeginRewrap(principal.org_id, "requested by token " + principal.token_id, principal));
  auto status = DescribeKeys(principal.org_id);
  if (!status.ok()) return status.error();
  return status->rewrap;
}

Result<std::vector<uint32_t>> KeyManager::RetireKeks(const Principal& principal, std::optional<uint32_t> version) {
  COFFER_TRY(RequireKeysAdmin(principal, "keys.retire"));
  const std::string& org_id = principal.org_id;
  std::lock_guard guard(rotation_mutex_);  // the current version cannot move underneath
  std::vector<uint32_t> retired;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    retired.clear();
    auto states = txn.ListKekStates();
    if (!states.ok()) return states.error();
    // The store's newest, not this keyring's: another node may have rotated since it last caught up.
    const uint32_t current = NewestKekVersions(*states)[org_id];
    auto usage = txn.CountDeksByKek(org_id);
    if (!usage.ok()) return usage.error();
    std::map<uint32_t, int64_t> deks;
    for (const auto& u : *usage) {
      if (u.kek_version) deks[*u.kek_version] = u.deks;
    }
    std::vector<uint32_t> candidates;
    for (const auto& s : *states) {
      if (s.org_id == org_id && (!version || s.version == *version)) candidates.push_back(s.version);
    }
    if (version && candidates.empty()) {
      return MakeError(ErrorCode::kNotFound, "this org has no KEK version " + std::to_string(*version) +
                                                 " (it may be retired already): see `coffer keys status`");
    }
    const UnixMicros now = NowMicros();
    for (uint32_t v : candidates) {
      if (v == current || deks[v] > 0) {
        if (!version) continue;  // retiring "everything retirable" skips these quietly
        if (v == current) {
          return MakeError(ErrorCode::kConflict, "KEK version " + std::to_string(v) +
                                                     " is current: rotate first (`coffer keys rotate`)");
        }
        return MakeError(ErrorCode::kConflict,
                         "KEK version " + std::to_string(v) + " still wraps " + std::to_string(deks[v]) +
                             " DEKs: run `coffer keys rotate-all` and retire it once `coffer keys status` "
                             "shows none left");
      }
      auto deleted = txn.DeleteKek(org_id, v);
      if (!deleted.ok()) return deleted.error();
      COFFER_TRY(txn.InsertKeyEvent(store::KeyEventRecord{org_id, kKekRetired, v, "no DEK used it", now}));
      COFFER_TRY(audit_.Append(txn, AuditLog::For(principal, "keys.retire", KekTarget(v))));
      retired.push_back(v);
    }
    return Status::Ok();
  });
  if (!written.ok()) {
    return audit_.RecordFailure(principal, "keys.retire", version ? KekTarget(*version) : "", written.error());
  }
  // Destroyed in the store: wipe the unwrapped copies too.
  for (uint32_t v : retired) keyring_.ForgetKek(org_id, v);
  if (!retired.empty()) LogInfo("org " + org_id + ": retired " + std::to_string(retired.size()) + " KEK version(s)");
  return retired;
}

Result<KeyStatus> KeyManager::GetKeyStatus(const Principal& principal) {
  COFFER_TRY(RequireKeysAdmin(principal, "keys.status"));
  return DescribeKeys(principal.org_id);
}

Result<KeyStatus> KeyManager::DescribeKeys(const std::string& org_id) {
  auto read = store_.BeginRead();
  auto states = read->ListKekStates();
  if (!states.ok()) return states.error();
  auto usage = read->CountDeksByKek(org_id);
  if (!usage.ok()) return usage.error();
  auto job = read->FindRewrapJob(org_id);
  if (!job.ok()) return job.error();
  auto events = read->LatestKeyEvents(org_id);
  if (!events.ok()) return events.error();

  KeyStatus status;
  status.org_id = org_id;
  status.current_version = NewestKekVersions(*states)[org_id];
  status.root_provider = std::string(keyring_.root_provider_kind());
  status.policy = policy_;
  status.last_events = std::move(events).value();
  std::map<uint32_t, int64_t> deks;
  for (const auto& u : *usage) {
    if (u.kek_version) {
      deks[*u.kek_version] = u.deks;
    } else {
      status.unreadable_deks += u.deks;
    }
  }
  for (const auto& s : *states) {
    if (s.org_id != org_id) continue;
    KekInfo info;
    info.version = s.version;
    info.created_at = s.created_at;
    info.encryptions = TotalEncryptions(s);
    info.deks = deks[s.version];
    info.current = s.version == status.current_version;
    status.keks.push_back(info);
  }
  RewrapProgress& rewrap = status.rewrap;
  rewrap.target_version = status.current_version;
  if (*job) {
    const store::RewrapJobRecord& j = **job;
    rewrap.target_version = j.target_version;
    rewrap.rewrapped = j.rewrapped;
    rewrap.started_at = j.started_at;
    rewrap.finished_at = j.finished_at;
    std::lock_guard lock(mutex_);
    auto failure = failures_.find(org_id);
    if (j.finished_at) {
      rewrap.state = "finished";
    } else if (failure != failures_.end()) {
      rewrap.state = "failed";
      rewrap.error = failure->second;
    } else {
      rewrap.state = "running";
    }
  }
  for (const auto& [v, n] : deks) {
    if (v < rewrap.target_version) rewrap.remaining += n;
  }
  return status;
}

}  // namespace coffer::vault
