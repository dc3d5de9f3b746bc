// Turns a root-key passphrase into a 256-bit key with Argon2id (libsodium crypto_pwhash).
//
// This runs once, at start-up, never on the request path: its cost is what makes every offline guess
// of the passphrase against a stolen data directory expensive.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "crypto/secure_key.h"

namespace coffer::crypto {

inline constexpr size_t kKdfSaltSize = 16;  // crypto_pwhash_SALTBYTES

struct Argon2idParams {
  uint64_t opslimit = 0;  // passes over memory
  uint64_t memlimit = 0;  // bytes
};

// libsodium's "moderate" limits (3 passes, 256 MiB): about a second on a small server, paid once
// per start, so a guess against a stolen data directory costs the attacker the same.
Argon2idParams DefaultRootKeyKdfParams();

// Rejects parameters below libsodium's interactive minimum (a tampered parameters file must not
// weaken the key) and above what a server can afford (so it cannot exhaust memory either).
Status ValidateKdfParams(const Argon2idParams& params);

// Derives a key straight into locked memory. Fails on bad parameters or when memory runs out.
Result<SecureKey> DeriveKeyFromPassphrase(std::string_view passphrase, std::span<const uint8_t> salt,
                                          const Argon2idParams& params);

std::vector<uint8_t> NewKdfSalt();

}  // namespace coffer::crypto
