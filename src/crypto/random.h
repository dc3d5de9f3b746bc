// Cryptographically secure randomness (OpenSSL's DRBG, seeded from the kernel).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace coffer::crypto {

// Aborts the process if the DRBG fails: continuing with weak randomness is never acceptable.
void FillRandom(std::span<uint8_t> out);
std::vector<uint8_t> RandomBytes(size_t n);

// `length` characters of [0-9A-Za-z], uniformly distributed (rejection sampling).
std::string RandomBase62(size_t length);
// The same alphabet for identifiers, which must be unpredictable and unique but are not secret
// (request ids, record ids): cheaper on the hot path, never for tokens or keys.
std::string RandomIdBase62(size_t length);

}  // namespace coffer::crypto
