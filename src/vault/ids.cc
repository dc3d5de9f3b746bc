#include "vault/ids.h"

#include "crypto/hash.h"
#include "crypto/random.h"

namespace coffer::vault {

std::string NewId(std::string_view prefix) { return std::string(prefix) + crypto::RandomIdBase62(20); }

std::string NewTimeOrderedId(std::string_view prefix, int64_t at_micros) {
  // Digits in ASCII order, so that byte-wise comparison (SQLite's BINARY) is numeric order.
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  constexpr int kTimeDigits = 9;  // 62^9 microseconds: until the year 2398
  uint64_t value = at_micros > 0 ? static_cast<uint64_t>(at_micros) : 0;
  char time[kTimeDigits];
  for (int i = kTimeDigits - 1; i >= 0; --i) {
    time[i] = kDigits[value % 62];
    value /= 62;
  }
  return std::string(prefix) + std::string(time, kTimeDigits) + crypto::RandomIdBase62(11);
}

std::string NewToken() { return std::string(kTokenPrefix) + crypto::RandomBase62(43); }

store::TokenHash HashToken(std::string_view token) { return crypto::Sha256(token); }

}  // namespace coffer::vault
