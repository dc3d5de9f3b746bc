// The root of the key hierarchy. A provider wraps and unwraps key-encryption keys (KEKs); it never
// hands out the root key itself, so a provider backed by an HSM can keep it inside the device.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/secure_key.h"

namespace coffer::keyring {

class RootKeyProvider {
 public:
  virtual ~RootKeyProvider() = default;

  // "file", "env", "passphrase", "pkcs11": shown in status output, never secret.
  virtual std::string_view kind() const = 0;

  // Seals a key under the root key, bound to `associated_data`. Can fail when the root key lives in
  // a device (an HSM that was unplugged): the caller must then not use the key it meant to wrap.
  virtual Result<std::vector<uint8_t>> WrapKey(const crypto::SecureKey& key,
                                               std::span<const uint8_t> associated_data) = 0;
  // Fails with kDataCorrupted when the root key is not the one the key was wrapped under.
  virtual Result<crypto::SecureKey> UnwrapKey(std::span<const uint8_t> wrapped,
                                              std::span<const uint8_t> associated_data) = 0;
};

// A provider whose root key is held in this process (in locked memory) and used with AES-256-GCM.
class LocalRootKeyProvider : public RootKeyProvider {
 public:
  LocalRootKeyProvider(std::string kind, crypto::SecureKey root_key);
  std::string_view kind() const override { return kind_; }
  Result<std::vector<uint8_t>> WrapKey(const crypto::SecureKey& key,
                                       std::span<const uint8_t> associated_data) override;
  Result<crypto::SecureKey> UnwrapKey(std::span<const uint8_t> wrapped,
                                      std::span<const uint8_t> associated_data) override;

 private:
  std::string kind_;
  crypto::SecureKey root_key_;
};

// Decodes base64 text holding a 32-byte key and wipes the text; `where` names its source in errors.
Result<crypto::SecureKey> DecodeBase64RootKey(std::string& text, const std::string& where);

// Reads the root key from a key file (base64 of 32 bytes). With `create_if_missing` a missing file
// is generated with mode 0600. Refuses a file that group or others can read.
Result<std::unique_ptr<RootKeyProvider>> OpenKeyFileProvider(const std::string& path,
                                                             bool create_if_missing);

// Writes `key` to `path` (base64, mode 0600) through a temporary file and a rename, so a crash
// leaves either the old key file or the new one, never a torn one.
Status ReplaceKeyFile(const std::string& path, const crypto::SecureKey& key);

// Reads the root key from an environment variable (base64 of 32 bytes), e.g. COFFER_ROOT_KEY,
// and removes it from the environment so child processes never inherit it.
Result<std::unique_ptr<RootKeyProvider>> OpenEnvProvider(const char* variable_name);

}  // namespace coffer::keyring
