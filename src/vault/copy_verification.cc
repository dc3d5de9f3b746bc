#include "vault/copy_verification.h"

#include "core/secure_wipe.h"
#include "vault/second_factor.h"

namespace coffer::vault {
namespace {

Error Mismatch(const std::string& what) { return MakeError(ErrorCode::kDataCorrupted, "the copy does not verify: " + what); }

std::string VersionName(const CredentialInfo& info) {
  return "credential " + info.id + " version " + std::to_string(info.version);
}

// Field for field, blob byte for byte: what the copy promised to keep.
bool SameVersion(const store::CredentialRecord& a, const store::CredentialRecord& b) {
  const CredentialInfo &x = a.info, &y = b.info;
  return x.id == y.id && x.org_id == y.org_id && x.identity_id == y.identity_id && x.name == y.name &&
         x.type == y.type && x.version == y.version && x.metadata == y.metadata && x.expires_at == y.expires_at &&
         x.created_at == y.created_at && x.updated_at == y.updated_at && a.blob == b.blob;
}

}  // namespace

Result<CopyVerification> VerifyCopy(store::Store& source, store::Store& target, keyring::Keyring& keyring,
                                    const CopyVerificationOptions& options) {
  CopyVerification out;
  auto progress = [&options](std::string_view what, int64_t n, bool done) {
    if (options.progress) options.progress(what, n, done);
  };
  auto from = source.BeginRead();
  auto to = target.BeginRead();

  // The target's own KEK wraps, not the source's: these are what its nodes will unwrap.
  auto keks = to->ListKeks();
  if (!keks.ok()) return keks.error();
  for (const auto& kek : *keks) {
    if (Status s = keyring.LoadKek(keyring::WrappedKek{kek.org_id, kek.version, kek.wrapped}); !s.ok()) {
      return Mismatch("KEK version " + std::to_string(kek.version) + " of org " + kek.org_id +
                      " does not open with the root key");
    }
    ++out.keks_opened;
  }
  progress("KEKs opened", out.keks_opened, true);

  std::string after_id;
  int after_version = 0;
  while (true) {
    auto theirs = from->ScanCredentialVersions(after_id, after_version, options.batch);
    if (!theirs.ok()) return theirs.error();
    auto ours = to->ScanCredentialVersions(after_id, after_version, options.batch);
    if (!ours.ok()) return ours.error();
    if (theirs->size() != ours->size()) {
      return Mismatch("the target holds a different number of credential versions after " +
                      (after_id.empty() ? std::string("the start") : "credential " + after_id));
    }
    if (ours->empty()) break;
    for (size_t i = 0; i < ours->size(); ++i) {
      const store::CredentialRecord& copy = (*ours)[i];
      if (!SameVersion((*theirs)[i], copy)) return Mismatch(VersionName(copy.info) + " differs from the source's");
      auto plaintext = keyring.Open(keyring::BlobContext::Of(copy.info), copy.blob);
      if (!plaintext.ok()) return Mismatch(VersionName(copy.info) + " does not decrypt with the target's keys");
      SecureWipe(plaintext->data(), plaintext->size());
      ++out.versions_opened;
    }
    after_id = ours->back().info.id;
    after_version = ours->back().info.version;
    progress("credential versions opened", out.versions_opened, false);
  }
  progress("credential versions opened", out.versions_opened, true);

  auto people = to->ListHumansWithTotp();
  if (!people.ok()) return people.error();
  for (const auto& human : *people) {
    auto key = keyring.UnwrapUnderRoot(human.totp_wrapped, SecondFactorKeyPurpose(human.identity_id));
    if (!key.ok()) return Mismatch("the second-factor key of " + human.identity_id + " does not open with the root key");
    ++out.second_factors_opened;
  }
  progress("second-factor keys opened", out.second_factors_opened, true);

  auto audit_keys = to->ListAuditKeys();
  if (!audit_keys.ok()) return audit_keys.error();
  if (!audit_keys->empty()) {  // AuditLog::Open would create a key in a store without one
    auto audit = AuditLog::Open(target, keyring);
    if (!audit.ok()) return Mismatch("the audit chain key does not open with the root key");
    out.audit = (*audit)->VerifyOffline();
    if (out.audit.first_bad_seq) return Mismatch("the audit chain breaks: " + out.audit.problem);
  }
  progress("audit records verified", out.audit.checked, true);
  return out;
}

}  // namespace coffer::vault
