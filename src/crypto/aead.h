// AES-256-GCM with a 96-bit random nonce and a 128-bit tag, through OpenSSL 3 EVP.
// Callers always pass associated data that names where the ciphertext belongs, so a ciphertext
// moved to another place fails to open.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/result.h"
#include "crypto/secure_key.h"

namespace coffer::crypto {

inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kTagSize = 16;

struct SealedBox {
  std::vector<uint8_t> nonce;       // kNonceSize bytes
  std::vector<uint8_t> ciphertext;  // same length as the plaintext
  std::vector<uint8_t> tag;         // kTagSize bytes
};

// Encrypts under a fresh random nonce.
SealedBox AeadSeal(const SecureKey& key, std::span<const uint8_t> plaintext,
                   std::span<const uint8_t> associated_data);

// Encrypts under a caller-chosen nonce. Only for known-answer tests: reusing a nonce under one key
// destroys GCM's security.
SealedBox AeadSealWithNonceForTesting(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                                      std::span<const uint8_t> plaintext,
                                      std::span<const uint8_t> associated_data);

// Decrypts into `plaintext_out` (resized). Fails with kDataCorrupted if anything was altered or the
// key or associated data differ; the output is wiped on failure.
Status AeadOpen(std::span<const uint8_t> key, std::span<const uint8_t> nonce,
                std::span<const uint8_t> ciphertext, std::span<const uint8_t> tag,
                std::span<const uint8_t> associated_data, std::vector<uint8_t>& plaintext_out);

}  // namespace coffer::crypto
