#include "crypto/passphrase_kdf.h"

#include <sodium.h>

#include <string>

#include "crypto/random.h"

namespace coffer::crypto {
namespace {

static_assert(kKdfSaltSize == crypto_pwhash_SALTBYTES);

// 4 GiB and 20 passes: far above the defaults, and still something a server can survive.
constexpr uint64_t kMaxMemLimit = uint64_t{4} << 30;
constexpr uint64_t kMaxOpsLimit = 20;

}  // namespace

Argon2idParams DefaultRootKeyKdfParams() {
  return Argon2idParams{crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

Status ValidateKdfParams(const Argon2idParams& p) {
  if (p.opslimit < crypto_pwhash_OPSLIMIT_INTERACTIVE || p.opslimit > kMaxOpsLimit ||
      p.memlimit < crypto_pwhash_MEMLIMIT_INTERACTIVE || p.memlimit > kMaxMemLimit) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "Argon2id parameters out of range (opslimit " +
                         std::to_string(crypto_pwhash_OPSLIMIT_INTERACTIVE) + "-" + std::to_string(kMaxOpsLimit) +
                         ", memlimit " + std::to_string(crypto_pwhash_MEMLIMIT_INTERACTIVE) + "-" +
                         std::to_string(kMaxMemLimit) + " bytes)");
  }
  return Status::Ok();
}

Result<SecureKey> DeriveKeyFromPassphrase(std::string_view passphrase, std::span<const uint8_t> salt,
                                          const Argon2idParams& params) {
  COFFER_TRY(ValidateKdfParams(params));
  if (salt.size() != kKdfSaltSize) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "the Argon2id salt must be " + std::to_string(kKdfSaltSize) + " bytes");
  }
  if (!InitCrypto()) return MakeError(ErrorCode::kInternal, "libsodium failed to initialise");
  SecureKey key;
  auto out = key.mutable_bytes();
  if (crypto_pwhash(out.data(), out.size(), passphrase.data(), passphrase.size(), salt.data(),
                    params.opslimit, static_cast<size_t>(params.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return MakeError(ErrorCode::kUnavailable,
                     "Argon2id ran out of memory deriving the root key: free memory or lower the "
                     "parameters when the data directory is created");
  }
  return key;
}

std::vector<uint8_t> NewKdfSalt() { return RandomBytes(kKdfSaltSize); }

}  // namespace coffer::crypto
