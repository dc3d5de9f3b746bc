// SHA-256, HMAC-SHA256 and constant-time comparison.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace coffer::crypto {

using Digest = std::array<uint8_t, 32>;

Digest Sha256(std::span<const uint8_t> data);
Digest Sha256(std::string_view data);
Digest HmacSha256(std::span<const uint8_t> key, std::span<const uint8_t> data);

// True when equal; time depends only on the length.
bool ConstantTimeEquals(std::span<const uint8_t> a, std::span<const uint8_t> b);

}  // namespace coffer::crypto
