// Text encodings for binary values: standard base64 (with padding) and lowercase hex.
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

inline std::span<const uint8_t> AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace coffer::crypto
