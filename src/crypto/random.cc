#include "crypto/random.h"

#include <cstdio>
#include <cstdlib>

#include <openssl/rand.h>

#include "core/secure_wipe.h"
#include "crypto/encoding.h"

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

namespace {

// Maps bytes from `next_byte` to [0-9A-Za-z], rejecting 248..255 (248 = 62 * 4) so that every
// character is equally likely.
template <class NextByte>
std::string Base62(size_t length, NextByte next_byte) {
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    const uint8_t b = next_byte();
    if (b < 248) out.push_back(kBase62Digits[b % 62]);
  }
  return out;
}

}  // namespace

std::string RandomBase62(size_t length) {
  uint8_t buf[64];
  size_t used = sizeof buf;
  std::string out = Base62(length, [&] {
    if (used == sizeof buf) {
      FillRandom(buf);
      used = 0;
    }
    return buf[used++];
  });
  SecureWipe(buf, sizeof buf);  // what is left could complete a token
  return out;
}

std::string RandomIdBase62(size_t length) {
  // Not secret, so a per-thread buffer may outlive the call: one DRBG call per 1 KiB of ids.
  thread_local uint8_t buf[1024];
  thread_local size_t used = sizeof buf;
  return Base62(length, [] {
    if (used == sizeof buf) {
      FillRandom(buf);
      used = 0;
    }
    return buf[used++];
  });
}

}  // namespace coffer::crypto
