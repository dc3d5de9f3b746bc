#include "vault/root_rotation.h"

#include <map>
#include <set>
#include <vector>

#include "core/log.h"
#include "vault/audit_log.h"
#include "vault/second_factor.h"

namespace coffer::vault {
namespace {

constexpr const char* kPendingKek = "kek";
constexpr const char* kPendingAudit = "audit";
constexpr const char* kPendingSecondFactor = "totp";  // org_id holds the person's identity id

std::string WrongRootKeyMessage(std::string_view kind, const std::string& detail) {
  if (kind == "passphrase") {
    return "the passphrase does not open this data directory's keys (" + detail +
           "): give the passphrase it was created with, or last re-keyed with, in COFFER_ROOT_PASSPHRASE "
           "or at the prompt";
  }
  if (kind == "pkcs11") {
    return "the HSM key does not open this data directory's keys (" + detail +
           "): check --pkcs11-token-label and --pkcs11-key-label (after `coffer keys rotate-root` "
           "only the new key works)";
  }
  return "the root key does not open this data directory's keys (" + detail +
         "): start with the root key this data was created with; after `coffer keys rotate-root` only "
         "the new root key works";
}

Status RecordRootRotation(store::WriteTransaction& txn, const std::set<std::string>& orgs, const std::string& detail) {
  for (const auto& org : orgs) {
    COFFER_TRY(txn.InsertKeyEvent(store::KeyEventRecord{org, "root_rotated", std::nullopt, detail, NowMicros()}));
  }
  return Status::Ok();
}

// Phase 3: the pending wraps replace the current ones.
Status ApplyPendingWraps(store::WriteTransaction& txn, const std::vector<store::PendingRootWrapRecord>& pending) {
  auto audit_keys = txn.ListAuditKeys();
  if (!audit_keys.ok()) return audit_keys.error();
  for (const auto& p : pending) {
    if (p.kind == kPendingKek) {
      COFFER_TRY(txn.ReplaceKekWrap(p.org_id, p.version, p.wrapped));
      continue;
    }
    if (p.kind == kPendingSecondFactor) {
      COFFER_TRY(txn.ReplaceHumanTotpWrap(p.org_id, p.wrapped));
      continue;
    }
    for (const auto& key : *audit_keys) {
      if (key.version == p.version) {
        COFFER_TRY(txn.PutAuditKey(store::AuditKeyRecord{key.version, p.wrapped, key.created_at}));
      }
    }
  }
  return txn.ClearPendingRootWraps();
}

}  // namespace

Status LoadKeyHierarchy(store::Store& store, keyring::Keyring& keyring) {
  auto read = store.BeginRead();
  auto keks = read->ListKeks();
  if (!keks.ok()) return keks.error();
  auto pending = read->ListPendingRootWraps();
  if (!pending.ok()) return pending.error();
  read.reset();
  std::map<std::pair<std::string, uint32_t>, std::vector<uint8_t>> pending_keks;
  for (const auto& p : *pending) {
    if (p.kind == kPendingKek) pending_keks[{p.org_id, p.version}] = p.wrapped;
  }

  int opened_by_old = 0, opened_by_new = 0;
  for (const auto& kek : *keks) {
    if (keyring.LoadKek(keyring::WrappedKek{kek.org_id, kek.version, kek.wrapped}).ok()) {
      ++opened_by_old;
      continue;
    }
    auto next = pending_keks.find({kek.org_id, kek.version});
    if (next != pending_keks.end() &&
        keyring.LoadKek(keyring::WrappedKek{kek.org_id, kek.version, next->second}).ok()) {
      ++opened_by_new;
      continue;
    }
    return MakeError(ErrorCode::kDataCorrupted,
                     WrongRootKeyMessage(keyring.root_provider_kind(),
                                         "org " + kek.org_id + ", KEK version " + std::to_string(kek.version)));
  }
  if (pending->empty()) return Status::Ok();
  if (opened_by_old > 0 && opened_by_new > 0) {
    return MakeError(ErrorCode::kDataCorrupted,
                     "an interrupted root key rotation left KEKs under two different root keys: restore "
                     "the data directory and root key from a backup");
  }
  const bool finish = opened_by_new > 0;
  Status written = store.Write([&](store::WriteTransaction& txn) -> Status {
    if (!finish) return txn.ClearPendingRootWraps();
    COFFER_TRY(ApplyPendingWraps(txn, *pending));
    std::set<std::string> orgs;
    for (const auto& kek : *keks) orgs.insert(kek.org_id);
    return RecordRootRotation(txn, orgs, "finished at start-up after an interruption");
  });
  if (!written.ok()) return written;
  LogInfo(finish ? "finished an interrupted root key rotation: the new root key is now the only one"
                 : "dropped the leftovers of a root key rotation that never installed its new key");
  return Status::Ok();
}

Result<RootRotationOutcome> RotateRootKey(store::Store& store, keyring::Keyring& keyring,
                                          keyring::RootKeyProvider& new_root,
                                          const std::function<Status()>& install_new_root) {
  COFFER_TRY(LoadKeyHierarchy(store, keyring));
  auto keks = keyring.WrapAllKeksUnder(new_root);
  if (!keks.ok()) return keks.error();
  if (keks->empty()) {
    return MakeError(ErrorCode::kNotFound,
                     "this data directory holds no keys yet: start the server once before rotating its root key");
  }
  std::vector<store::PendingRootWrapRecord> pending;
  std::set<std::string> orgs;
  for (const auto& k : *keks) {
    pending.push_back(store::PendingRootWrapRecord{kPendingKek, k.org_id, k.version, k.wrapped});
    orgs.insert(k.org_id);
  }
  auto audit_keys = store.BeginRead()->ListAuditKeys();
  if (!audit_keys.ok()) return audit_keys.error();
  RootRotationOutcome outcome{static_cast<int>(keks->size()), 0};
  for (const auto& key : *audit_keys) {
    auto wrapped = keyring.RewrapUnderNewRoot(key.wrapped, kAuditKeyPurpose, new_root);
    if (!wrapped.ok()) return wrapped.error();
    pending.push_back(store::PendingRootWrapRecord{kPendingAudit, "", key.version, std::move(wrapped).value()});
    ++outcome.other_keys_rewrapped;
  }
  auto people = store.BeginRead()->ListHumansWithTotp();
  if (!people.ok()) return people.error();
  for (const auto& human : *people) {
    auto wrapped = keyring.RewrapUnderNewRoot(human.totp_wrapped, SecondFactorKeyPurpose(human.identity_id), new_root);
    if (!wrapped.ok()) return wrapped.error();
    pending.push_back(store::PendingRootWrapRecord{kPendingSecondFactor, human.identity_id, 0, std::move(wrapped).value()});
    ++outcome.other_keys_rewrapped;
  }

  // Phase 1: the new wraps beside the old ones.
  COFFER_TRY(store.Write([&](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.ClearPendingRootWraps());
    for (const auto& p : pending) COFFER_TRY(txn.PutPendingRootWrap(p));
    return Status::Ok();
  }));
  // Phase 2: the new root becomes the one a restart uses.
  Status installed = install_new_root();
  if (!installed.ok()) {
    (void)store.Write([](store::WriteTransaction& txn) { return txn.ClearPendingRootWraps(); });
    return installed.error();
  }
  // Phase 3: the old wraps are gone; from here only the new root opens the data.
  const std::string detail = std::string(keyring.root_provider_kind()) + " -> " + std::string(new_root.kind());
  COFFER_TRY(store.Write([&](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(ApplyPendingWraps(txn, pending));
    return RecordRootRotation(txn, orgs, detail);
  }));
  return outcome;
}

}  // namespace coffer::vault
