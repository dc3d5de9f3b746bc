// A root key that never leaves a hardware security module: KEKs are wrapped and unwrapped inside
// the device through PKCS#11 (AES-256-GCM, C_Encrypt/C_Decrypt on a non-extractable AES key).
//
// The module is loaded with dlopen, so Coffer neither links nor requires any vendor library unless
// this provider is chosen. Tested against SoftHSM2.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "keyring/root_key_provider.h"

namespace coffer::keyring {

struct Pkcs11Config {
  std::string module_path;  // e.g. /usr/lib/softhsm/libsofthsm2.so
  std::string token_label;  // the token holding the root key
  std::string key_label;    // an AES-256 secret key object (CKA_LABEL) on that token
  std::string pin;          // user PIN; wiped by OpenPkcs11Provider
};

// Loads the module, finds the token and the key, and logs in. Every failure names what to fix:
// a missing module, a token that is not present (the labels seen are listed), a wrong PIN, a key
// that is missing or not AES-256.
Result<std::unique_ptr<RootKeyProvider>> OpenPkcs11Provider(Pkcs11Config& config);

}  // namespace coffer::keyring
