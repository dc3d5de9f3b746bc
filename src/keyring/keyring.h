// Envelope encryption: root key -> per-org KEKs (versioned) -> one fresh DEK per credential version.
//
// The keyring holds unwrapped KEKs in locked memory and never touches storage: the vault layer
// loads wrapped KEKs from the store and hands them in, and persists the ones the keyring creates.
// Everything on the request path is a map lookup and two AES-GCM operations: no key derivation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "crypto/secure_key.h"
#include "keyring/root_key_provider.h"

namespace coffer::keyring {

// Where a ciphertext belongs. All of it is bound in as associated data, so a blob copied to another
// credential, version, org, type or name fails to open.
struct BlobContext {
  std::string org_id;
  std::string credential_id;
  int version = 0;
  std::string type;  // "API_KEY", ...
  std::string name;
};

struct WrappedKek {
  std::string org_id;
  uint32_t version = 0;
  std::vector<uint8_t> wrapped;
};

class Keyring {
 public:
  explicit Keyring(std::unique_ptr<RootKeyProvider> root);

  std::string_view root_provider_kind() const { return root_->kind(); }

  // Unwraps a stored KEK into the cache. Fails when the root key is not the one it was wrapped under.
  Status LoadKek(const WrappedKek& kek);

  // Makes a fresh KEK for `org_id` at `version`, caches it as current, and returns the wrapped form
  // for the caller to persist.
  WrappedKek CreateKek(const std::string& org_id, uint32_t version);

  // The newest KEK version loaded for an org, 0 when none.
  uint32_t CurrentKekVersion(const std::string& org_id) const;

  // Encrypts under a fresh DEK wrapped by the org's current KEK.
  Result<std::vector<uint8_t>> Seal(const BlobContext& context, std::span<const uint8_t> plaintext) const;

  // Decrypts a blob written by Seal. The plaintext is the caller's to wipe.
  Result<std::vector<uint8_t>> Open(const BlobContext& context, std::span<const uint8_t> blob) const;

 private:
  using KekId = std::pair<std::string, uint32_t>;
  const crypto::SecureKey* FindKek(const std::string& org_id, uint32_t version) const;

  std::unique_ptr<RootKeyProvider> root_;
  mutable std::shared_mutex mutex_;
  std::map<KekId, crypto::SecureKey> keks_;
  std::map<std::string, uint32_t> current_;
};

}  // namespace coffer::keyring
