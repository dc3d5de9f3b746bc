#include "crypto/signature.h"

#include <sodium.h>

namespace coffer::crypto {
namespace {

// The expanded secret key exists only for the call, on the stack, and is wiped before returning.
struct ExpandedKey {
  Ed25519PublicKey public_key{};
  std::array<uint8_t, crypto_sign_SECRETKEYBYTES> secret{};
  explicit ExpandedKey(const SecureKey& seed) {
    crypto_sign_seed_keypair(public_key.data(), secret.data(), seed.bytes().data());
  }
  ~ExpandedKey() { sodium_memzero(secret.data(), secret.size()); }
};

}  // namespace

Ed25519PublicKey Ed25519PublicKeyOf(const SecureKey& seed) { return ExpandedKey(seed).public_key; }

Ed25519Signature Ed25519Sign(const SecureKey& seed, std::span<const uint8_t> message) {
  ExpandedKey key(seed);
  Ed25519Signature signature{};
  crypto_sign_detached(signature.data(), nullptr, message.data(), message.size(), key.secret.data());
  return signature;
}

bool Ed25519Verify(const Ed25519PublicKey& public_key, std::span<const uint8_t> message,
                   std::span<const uint8_t> signature) {
  if (signature.size() != crypto_sign_BYTES) return false;
  return crypto_sign_verify_detached(signature.data(), message.data(), message.size(), public_key.data()) == 0;
}

}  // namespace coffer::crypto
