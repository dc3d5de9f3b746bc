// A TOTP second factor for people (RFC 6238: SHA-1, 6 digits, 30 s, as every authenticator app
// assumes). The key is random, 256 bits, wrapped under the root key, and in force only once the
// person has proved their app holds it; each code works once.
#pragma once

#include <string>

#include "core/principal.h"
#include "core/result.h"
#include "core/secure_wipe.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "vault/audit_log.h"

namespace coffer::vault {

// Both strings hold the key: wiped when the enrollment goes, on every path.
struct TotpEnrollment {
  std::string secret;  // base32, for typing into the app; shown once
  std::string uri;     // otpauth://, for a QR code

  TotpEnrollment() = default;
  TotpEnrollment(TotpEnrollment&&) = default;
  TotpEnrollment& operator=(TotpEnrollment&&) = default;
  ~TotpEnrollment() {
    SecureWipe(secret);
    SecureWipe(uri);
  }
};

// What the key of `identity_id` is wrapped under the root key for (root rotation re-wraps it).
std::string SecondFactorKeyPurpose(const std::string& identity_id);

class SecondFactor {
 public:
  SecondFactor(store::Store& store, const keyring::Keyring& keyring, AuditLog& audit)
      : store_(store), keyring_(keyring), audit_(audit) {}

  // A new key, pending until Confirm; replaces an unconfirmed one, refuses while one is in force.
  Result<TotpEnrollment> Enroll(const Principal& caller);
  Status Confirm(const Principal& caller, const std::string& code);
  Status Disable(const Principal& caller, const std::string& code);

  // The time step `code` belongs to on `human`'s key (the current one, or one either side for clock
  // drift), if it is right and newer than the last code accepted. The login stores the step.
  Result<int64_t> Verify(const store::HumanRecord& human, const std::string& code) const;

 private:
  Result<TotpEnrollment> EnrollUnaudited(const Principal& caller);
  Status ConfirmUnaudited(const Principal& caller, const std::string& code);
  Status DisableUnaudited(const Principal& caller, const std::string& code);
  Result<store::HumanRecord> FindPerson(const Principal& caller) const;

  store::Store& store_;
  const keyring::Keyring& keyring_;
  AuditLog& audit_;
};

}  // namespace coffer::vault
