#include "core/secret_mask.h"

#include <vector>

#include "core/secure_wipe.h"

namespace coffer {
namespace {

constexpr std::string_view kBullet = "\xE2\x80\xA2";  // U+2022, 3 bytes in UTF-8
constexpr size_t kVisibleTail = 4;
constexpr size_t kShortestWithTail = 8;

bool IsContinuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

std::string Bullets(size_t count) {
  std::string out;
  for (size_t i = 0; i < count; ++i) out += kBullet;
  return out;
}

}  // namespace

std::string MaskSecretValue(std::string_view value) {
  // Byte offsets where each code point starts, so the tail never splits a character.
  std::vector<size_t> starts;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!IsContinuationByte(value[i])) starts.push_back(i);
  }
  if (starts.size() < kShortestWithTail) return Bullets(kShortestWithTail);
  return Bullets(kVisibleTail) + std::string(value.substr(starts[starts.size() - kVisibleTail]));
}

nlohmann::json MaskSecretFields(CredentialType type, const nlohmann::json& data) {
  if (data.is_string()) return MaskSecretValue(data.get_ref<const std::string&>());
  if (data.is_number()) {
    std::string digits = data.dump();
    std::string masked = MaskSecretValue(digits);
    SecureWipe(digits);
    return masked;
  }
  if (data.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [key, value] : data.items()) out[key] = MaskSecretFields(type, value);
    return out;
  }
  if (data.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& value : data) out.push_back(MaskSecretFields(type, value));
    return out;
  }
  return data;  // booleans and null say nothing secret
}

}  // namespace coffer
