#include "crypto/random.h"

#include <cstdio>
#include <cstdlib>

#include <openssl/rand.h>

namespace coffer::crypto {

void FillRandom(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    std::fputs("coffer: fatal: the system random number generator failed\n", stderr);
    std::abort();
  }
}

std::vector<uint8_t> RandomBytes(size_t n) {
  std::vector<uint8_t> out(n);
  FillRandom(out);
  return out;
}

std::string RandomBase62(size_t length) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::string out;
  out.reserve(length);
  uint8_t buf[64];
  while (out.size() < length) {
    FillRandom(buf);
    for (uint8_t b : buf) {
      if (b >= 248) continue;  // 248 = 62 * 4: reject to keep every character equally likely
      out.push_back(kAlphabet[b % 62]);
      if (out.size() == length) break;
    }
  }
  return out;
}

}  // namespace coffer::crypto
