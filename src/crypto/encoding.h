// Text encodings for binary values: standard base64 (with padding), lowercase hex, and base62
// for identifiers.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coffer::crypto {

std::string Base64Encode(std::span<const uint8_t> data);
// Accepts standard and URL-safe alphabets, padded or not; ignores surrounding whitespace.
std::optional<std::vector<uint8_t>> Base64Decode(std::string_view text);

std::string HexEncode(std::span<const uint8_t> data);
std::optional<std::vector<uint8_t>> HexDecode(std::string_view text);

// [0-9A-Za-z] in ASCII order, so base62 strings of one length compare byte-wise as their numbers do.
inline constexpr std::string_view kBase62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// `value` as exactly `width` base62 digits, most significant first; higher digits are dropped.
std::string Base62Encode(uint64_t value, size_t width);

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace coffer::crypto
