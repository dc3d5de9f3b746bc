// Checking a copy of a whole Coffer (store/store_copy.h) with the root key: that the target is not
// merely as large as the source but opens. Used by `coffer migrate` after the copy commits.
#pragma once

#include <functional>
#include <string_view>

#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "vault/audit_log.h"

namespace coffer::vault {

struct CopyVerification {
  int64_t keks_opened = 0;
  int64_t versions_opened = 0;       // credential versions decrypted with the target's KEKs
  int64_t second_factors_opened = 0;
  VerifyReport audit;                 // the target's whole chain
};

struct CopyVerificationOptions {
  int batch = 500;
  // Called as versions are checked: how many so far, and whether that is all. On this thread.
  std::function<void(std::string_view what, int64_t checked, bool done)> progress;
};

// Checks, reading the target only through the store and the root key in `keyring`:
//   - every KEK stored in the target unwraps with the root key (and is loaded into `keyring`);
//   - every credential version in the target equals the source's, field for field and blob byte
//     for byte, and decrypts with the target's KEKs (each plaintext is wiped at once);
//   - every person's second-factor key in the target unwraps with the root key;
//   - the target's audit chain verifies from its first kept record (or checkpoint) to its tip.
// kDataCorrupted naming the first thing that does not hold. Reads both stores; writes neither.
Result<CopyVerification> VerifyCopy(store::Store& source, store::Store& target, keyring::Keyring& keyring,
                                    const CopyVerificationOptions& options = {});

}  // namespace coffer::vault
