#include "vault/ids.h"

#include "crypto/encoding.h"
#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::vault {

std::string NewId(std::string_view prefix) { return std::string(prefix) + crypto::RandomIdBase62(20); }

std::string NewTimeOrderedId(std::string_view prefix, int64_t at_micros) {
  constexpr size_t kTimeDigits = 9;  // 62^9 microseconds: until the year 2398
  const uint64_t micros = at_micros > 0 ? static_cast<uint64_t>(at_micros) : 0;
  // Fixed width, so byte-wise comparison (SQLite's BINARY) orders ids by time.
  return std::string(prefix) + crypto::Base62Encode(micros, kTimeDigits) + crypto::RandomIdBase62(11);
}

std::string NewToken() { return std::string(kTokenPrefix) + crypto::RandomBase62(43); }

store::TokenHash HashToken(std::string_view token) { return crypto::Sha256(token); }

}  // namespace coffer::vault
