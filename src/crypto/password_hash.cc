#include "crypto/password_hash.h"

#include <sodium.h>

#include "crypto/secure_key.h"

namespace coffer::crypto {
namespace {

// libsodium's interactive limits (2 passes, 64 MiB): about 0.1 s a login on this class of
// machine, which makes each online guess expensive while keeping logins snappy.
constexpr unsigned long long kOpsLimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr size_t kMemLimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;

}  // namespace

std::optional<std::string> HashPassword(std::string_view password) {
  if (!InitCrypto()) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(), kOpsLimit, kMemLimit) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool VerifyPassword(const std::string& encoded_hash, std::string_view password) {
  if (!InitCrypto()) return false;
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

void BurnPasswordVerification(std::string_view password) {
  static const std::optional<std::string> kDecoy = HashPassword("coffer-decoy-password");
  if (kDecoy) (void)VerifyPassword(*kDecoy, password);
}

}  // namespace coffer::crypto
