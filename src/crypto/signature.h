// Ed25519 signatures (libsodium), for statements that must be checkable by someone holding only the
// public key: the audit trail's checkpoints. The signing key is a 32-byte seed kept in locked memory.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "crypto/secure_key.h"

namespace coffer::crypto {

using Ed25519PublicKey = std::array<uint8_t, 32>;
using Ed25519Signature = std::array<uint8_t, 64>;

Ed25519PublicKey Ed25519PublicKeyOf(const SecureKey& seed);
Ed25519Signature Ed25519Sign(const SecureKey& seed, std::span<const uint8_t> message);
bool Ed25519Verify(const Ed25519PublicKey& public_key, std::span<const uint8_t> message,
                   std::span<const uint8_t> signature);

}  // namespace coffer::crypto
