// Envelope encryption: root key -> per-org KEKs (versioned) -> one fresh DEK per credential version.
//
// The keyring holds unwrapped KEKs in locked memory and never touches storage: the vault layer
// loads wrapped KEKs from the store and hands them in, and persists the ones the keyring creates.
// Everything on the request path is a map lookup and two AES-GCM operations: no key derivation.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <shared_mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/credential.h"
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

  // The context of a stored version of a credential.
  static BlobContext Of(const CredentialInfo& info) {
    return BlobContext{info.org_id, info.id, info.version, std::string(CredentialTypeName(info.type)), info.name};
  }
};

struct WrappedKek {
  std::string org_id;
  uint32_t version = 0;
  std::vector<uint8_t> wrapped;
};

// NIST SP 800-38D, 8.3: with random 96-bit nonces, one key may perform at most 2^32 encryptions.
// Every DEK wrap is one encryption under a KEK, so a KEK that reaches this many refuses to seal:
// rotation (automatic, long before this) is the only way on.
inline constexpr uint64_t kMaxEncryptionsPerKek = uint64_t{1} << 32;

class Keyring {
 public:
  explicit Keyring(std::unique_ptr<RootKeyProvider> root);

  std::string_view root_provider_kind() const { return root_->kind(); }

  // Unwraps a stored KEK into the cache; the newest loaded version of an org becomes current.
  // Fails when the root key is not the one it was wrapped under.
  Status LoadKek(const WrappedKek& kek);

  // Makes a fresh KEK for `org_id` at `version`, caches it as current, and returns the wrapped form
  // for the caller to persist. For the first KEK of a new org, persisted with the org itself.
  Result<WrappedKek> CreateKek(const std::string& org_id, uint32_t version);

  // Rotation in two steps, so nothing is ever sealed under a KEK that is not yet durable:
  // PrepareKek makes and caches a KEK without using it; once the caller has persisted it,
  // ActivateKek makes it current. ForgetKek drops a prepared KEK whose write failed, or a
  // retired one.
  Result<WrappedKek> PrepareKek(const std::string& org_id, uint32_t version);
  void ActivateKek(const std::string& org_id, uint32_t version);
  void ForgetKek(const std::string& org_id, uint32_t version);

  // The newest KEK version loaded for an org, 0 when none.
  uint32_t CurrentKekVersion(const std::string& org_id) const;
  // Whether KEK `version` of an org is loaded (current, older, or prepared).
  bool HasKek(const std::string& org_id, uint32_t version) const;

  // Encryptions performed under one KEK (DEK wraps). Persisted by the caller and handed back in at
  // start-up, so the NIST limit is counted across restarts.
  uint64_t EncryptionCount(const std::string& org_id, uint32_t version) const;
  void SetEncryptionCount(const std::string& org_id, uint32_t version, uint64_t count);

  // Encrypts under a fresh DEK wrapped by the org's current KEK.
  Result<std::vector<uint8_t>> Seal(const BlobContext& context, std::span<const uint8_t> plaintext) const;

  // Decrypts a blob written by Seal. The plaintext is the caller's to wipe.
  Result<std::vector<uint8_t>> Open(const BlobContext& context, std::span<const uint8_t> blob) const;

  // Re-encrypts a blob's value under a fresh DEK and nonces (and the current KEK): the same value
  // with entirely new key material. Used when one credential's DEK may have been exposed.
  Result<std::vector<uint8_t>> Reseal(const BlobContext& context, std::span<const uint8_t> blob) const;

  // Re-wraps a blob's DEK under the org's KEK `target_version` (held, current or prepared). The
  // data nonce, ciphertext and tag are kept byte for byte: the value is never decrypted, only the
  // 60-byte wrapped DEK and the header's KEK version change.
  Result<std::vector<uint8_t>> RewrapDek(const BlobContext& context, std::span<const uint8_t> blob,
                                         uint32_t target_version) const;

  // Wraps every cached KEK under another root key (root key rotation) and checks that each one
  // unwraps again before returning, so a faulty new root can never be committed.
  Result<std::vector<WrappedKek>> WrapAllKeksUnder(RootKeyProvider& new_root) const;

  // Keys with other jobs than KEKs (the audit chain's MAC key), sealed under the root key with
  // their purpose as associated data, so one can never be unwrapped as the other.
  Result<std::vector<uint8_t>> WrapUnderRoot(const crypto::SecureKey& key, std::string_view purpose) const;
  Result<crypto::SecureKey> UnwrapUnderRoot(std::span<const uint8_t> wrapped, std::string_view purpose) const;

  // Root key rotation for such a key: unwraps it with this keyring's root and wraps it under
  // `new_root` with the same purpose, checking the new wrap opens before returning it.
  Result<std::vector<uint8_t>> RewrapUnderNewRoot(std::span<const uint8_t> wrapped, std::string_view purpose,
                                                  RootKeyProvider& new_root) const;

 private:
  using KekId = std::pair<std::string, uint32_t>;
  struct Kek {
    crypto::SecureKey key;
    // Counted under the shared lock by concurrent seals, hence atomic (and boxed, to stay movable).
    std::unique_ptr<std::atomic<uint64_t>> encryptions = std::make_unique<std::atomic<uint64_t>>(0);
  };
  const Kek* FindKek(const std::string& org_id, uint32_t version) const;
  // Takes one encryption from the KEK's budget; fails once it is spent.
  static Status CountEncryption(const Kek& kek, const std::string& org_id, uint32_t version);

  std::unique_ptr<RootKeyProvider> root_;
  mutable std::shared_mutex mutex_;
  std::map<KekId, Kek> keks_;
  std::map<std::string, uint32_t> current_;
};

}  // namespace coffer::keyring
