#include "crypto/hash.h"

#include <cstdio>
#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace coffer::crypto {

Digest Sha256(std::span<const uint8_t> data) {
  Digest out;
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1) {
    std::fputs("coffer: fatal: SHA-256 failed\n", stderr);
    std::abort();
  }
  return out;
}

Digest Sha256(std::string_view data) {
  return Sha256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
}

Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data) {
  Digest out;
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
           out.data(), &len) == nullptr) {
    std::fputs("coffer: fatal: HMAC-SHA256 failed\n", stderr);
    std::abort();
  }
  return out;
}

bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace coffer::crypto
