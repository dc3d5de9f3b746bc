#include "vault/second_factor.h"

#include "core/secure_wipe.h"
#include "core/time.h"
#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/secure_key.h"
#include "crypto/totp.h"

namespace coffer::vault {
namespace {

constexpr int64_t kPeriodSeconds = 30;
constexpr int kDigits = 6;

Error WrongCode() {
  return MakeError(ErrorCode::kUnauthenticated,
                   "the two-factor code is wrong or was already used: enter the current 6-digit code from "
                   "your authenticator app");
}

}  // namespace

std::string SecondFactorKeyPurpose(const std::string& identity_id) { return "human-totp/" + identity_id; }

Result<store::HumanRecord> SecondFactor::FindPerson(const Principal& caller) const {
  if (caller.kind != "human") {
    return MakeError(ErrorCode::kPermissionDenied, "only people log in with a second factor; agents use tokens");
  }
  auto human = store_.BeginRead()->FindHumanByIdentity(caller.identity_id);
  if (!human.ok()) return human.error();
  if (!*human) {
    return MakeError(ErrorCode::kConflict, "set a password first (`coffer passwd`): the second factor guards a password login");
  }
  return std::move(**human);
}

Result<int64_t> SecondFactor::Verify(const store::HumanRecord& human, const std::string& code) const {
  if (human.totp_wrapped.empty()) return WrongCode();
  auto key = keyring_.UnwrapUnderRoot(human.totp_wrapped, SecondFactorKeyPurpose(human.identity_id));
  if (!key.ok()) return MakeError(ErrorCode::kDataCorrupted, "the two-factor key does not open with this root key");
  const int64_t now_step = NowMicros() / 1'000'000 / kPeriodSeconds;
  for (int64_t step : {now_step, now_step - 1, now_step + 1}) {
    auto expected = crypto::Hotp(key->bytes(), static_cast<uint64_t>(step), crypto::OtpAlgorithm::kSha1, kDigits);
    if (!expected.ok()) return expected.error();
    const bool match = expected->size() == code.size() &&
                       crypto::ConstantTimeEquals(crypto::AsBytes(*expected), crypto::AsBytes(code));
    SecureWipe(*expected);
    if (match) {
      if (step <= human.totp_last_step) return WrongCode();  // a code works once
      return step;
    }
  }
  return WrongCode();
}

Result<TotpEnrollment> SecondFactor::EnrollUnaudited(const Principal& caller) {
  auto human = FindPerson(caller);
  if (!human.ok()) return human.error();
  if (human->totp_confirmed) {
    return MakeError(ErrorCode::kConflict,
                     "two-factor login is already on: turn it off with a current code first (`coffer 2fa disable`)");
  }
  crypto::SecureKey key = crypto::SecureKey::Random();
  auto wrapped = keyring_.WrapUnderRoot(key, SecondFactorKeyPurpose(caller.identity_id));
  if (!wrapped.ok()) return wrapped.error();
  COFFER_TRY(store_.Write([&](store::WriteTransaction& txn) {
    return txn.SetHumanTotp(caller.identity_id, *wrapped, /*confirmed=*/false);
  }));
  TotpEnrollment enrollment;
  enrollment.secret = crypto::Base32Encode(key.bytes());
  enrollment.uri = "otpauth://totp/Coffer:" + human->username + "?secret=" + enrollment.secret +
                   "&issuer=Coffer&algorithm=SHA1&digits=6&period=30";
  return enrollment;
}

Status SecondFactor::ConfirmUnaudited(const Principal& caller, const std::string& code) {
  auto human = FindPerson(caller);
  if (!human.ok()) return human.error();
  if (human->totp_wrapped.empty()) {
    return MakeError(ErrorCode::kConflict, "there is no two-factor key to confirm: start with `coffer 2fa enable`");
  }
  if (human->totp_confirmed) return MakeError(ErrorCode::kConflict, "two-factor login is already on");
  auto step = Verify(*human, code);
  if (!step.ok()) return step.error();
  return store_.Write([&](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.SetHumanTotp(caller.identity_id, human->totp_wrapped, /*confirmed=*/true));
    return txn.SetHumanTotpLastStep(caller.identity_id, *step);
  });
}

Status SecondFactor::DisableUnaudited(const Principal& caller, const std::string& code) {
  auto human = FindPerson(caller);
  if (!human.ok()) return human.error();
  if (!human->totp_confirmed) return MakeError(ErrorCode::kConflict, "two-factor login is not on");
  // A stolen session token alone must not be enough to strip the second factor.
  auto step = Verify(*human, code);
  if (!step.ok()) return step.error();
  return store_.Write([&](store::WriteTransaction& txn) { return txn.SetHumanTotp(caller.identity_id, {}, false); });
}

Result<TotpEnrollment> SecondFactor::Enroll(const Principal& caller) {
  return audit_.RecordOutcome(caller, "human.2fa.enroll", caller.identity_id, EnrollUnaudited(caller));
}

Status SecondFactor::Confirm(const Principal& caller, const std::string& code) {
  return audit_.RecordOutcome(caller, "human.2fa.confirm", caller.identity_id, ConfirmUnaudited(caller, code));
}

Status SecondFactor::Disable(const Principal& caller, const std::string& code) {
  return audit_.RecordOutcome(caller, "human.2fa.disable", caller.identity_id, DisableUnaudited(caller, code));
}

}  // namespace coffer::vault
