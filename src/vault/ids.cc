#include "vault/ids.h"

#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::vault {

std::string NewId(std::string_view prefix) { return std::string(prefix) + crypto::RandomIdBase62(20); }

std::string NewToken() { return std::string(kTokenPrefix) + crypto::RandomBase62(43); }

store::TokenHash HashToken(std::string_view token) { return crypto::Sha256(token); }

}  // namespace coffer::vault
