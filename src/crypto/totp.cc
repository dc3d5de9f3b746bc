#include "crypto/totp.h"

#include <array>
#include <cctype>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "core/secure_wipe.h"

namespace coffer::crypto {
namespace {

struct AlgorithmName {
  OtpAlgorithm algorithm;
  std::string_view name;
  std::string_view hyphenated;
};

constexpr AlgorithmName kAlgorithmNames[] = {
    {OtpAlgorithm::kSha1, "SHA1", "SHA-1"},
    {OtpAlgorithm::kSha256, "SHA256", "SHA-256"},
    {OtpAlgorithm::kSha512, "SHA512", "SHA-512"},
};

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

const EVP_MD* Digest(OtpAlgorithm algorithm) {
  switch (algorithm) {
    case OtpAlgorithm::kSha1: return EVP_sha1();
    case OtpAlgorithm::kSha256: return EVP_sha256();
    case OtpAlgorithm::kSha512: return EVP_sha512();
  }
  return EVP_sha1();
}

// -1 for a character outside the alphabet.
int Base32Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= '2' && c <= '7') return c - '2' + 26;
  return -1;
}

bool IsIgnorableSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Wipes a decoded key on every path out of a function.
class WipeOnExit {
 public:
  explicit WipeOnExit(std::vector<uint8_t>& bytes) : bytes_(bytes) {}
  ~WipeOnExit() { SecureWipe(bytes_.data(), bytes_.size()); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

 private:
  std::vector<uint8_t>& bytes_;
};

constexpr uint32_t kPowersOfTen[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000};

}  // namespace

std::string_view OtpAlgorithmName(OtpAlgorithm algorithm) {
  for (const auto& a : kAlgorithmNames) {
    if (a.algorithm == algorithm) return a.name;
  }
  return "SHA1";
}

std::optional<OtpAlgorithm> ParseOtpAlgorithm(std::string_view name) {
  for (const auto& a : kAlgorithmNames) {
    if (EqualsIgnoringCase(name, a.name) || EqualsIgnoringCase(name, a.hyphenated)) return a.algorithm;
  }
  return std::nullopt;
}

Status ValidateTotpParams(const TotpParams& params) {
  if (params.digits != 6 && params.digits != 8) {
    return MakeError(ErrorCode::kValidation,
                     "digits is " + std::to_string(params.digits) + ": it must be 6 or 8");
  }
  if (params.period_seconds < 1) {
    return MakeError(ErrorCode::kValidation,
                     "period is " + std::to_string(params.period_seconds) +
                         ": it must be a positive number of seconds (usually 30)");
  }
  return Status::Ok();
}

std::string Base32Encode(std::span<const uint8_t> data) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  out.reserve((data.size() * 8 + 4) / 5);
  uint32_t buffer = 0;
  int bits = 0;
  for (uint8_t byte : data) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
      bits -= 5;
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
  buffer = 0;
  return out;
}

Result<std::vector<uint8_t>> Base32Decode(std::string_view text) {
  std::vector<uint8_t> out;
  out.reserve(text.size() * 5 / 8);
  uint32_t acc = 0;
  int bits = 0;
  size_t symbols = 0;
  bool padding_seen = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (IsIgnorableSpace(c)) continue;
    if (c == '=') {
      padding_seen = true;
      continue;
    }
    const int v = Base32Value(c);
    if (v < 0 || padding_seen) {
      SecureWipe(out.data(), out.size());
      // The position, not the character: a character of a secret is part of the secret.
      const std::string position = std::to_string(i + 1);
      return MakeError(ErrorCode::kValidation,
                       v < 0 ? "has a character that is not base32 at position " + position +
                                   ": use only the letters A-Z and the digits 2-7"
                             : "has a character after the '=' padding at position " + position +
                                   ": padding may only end the text");
    }
    acc = (acc << 5) | static_cast<uint32_t>(v);
    bits += 5;
    ++symbols;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xFF));
    }
  }
  if (symbols == 0) return MakeError(ErrorCode::kValidation, "is empty: expected base32 text (A-Z, 2-7)");
  // A group of 8 symbols carries 5 bytes; 1, 3 or 6 leftover symbols cannot end a byte sequence.
  const size_t leftover = symbols % 8;
  if (leftover == 1 || leftover == 3 || leftover == 6) {
    SecureWipe(out.data(), out.size());
    return MakeError(ErrorCode::kValidation,
                     "has " + std::to_string(symbols) +
                         " base32 characters, a length no encoder produces: a character is "
                         "probably missing or extra");
  }
  return out;
}

Status ValidateBase32Secret(std::string_view text) {
  auto key = Base32Decode(text);
  if (!key.ok()) return key.error();
  SecureWipe(key->data(), key->size());
  return Status::Ok();
}

Result<std::string> Hotp(std::span<const uint8_t> key, uint64_t counter, OtpAlgorithm algorithm,
                         int digits) {
  COFFER_TRY(ValidateTotpParams(TotpParams{algorithm, digits, 30}));
  if (key.empty()) return MakeError(ErrorCode::kValidation, "the one-time password key is empty");

  std::array<uint8_t, 8> message;
  for (int i = 7; i >= 0; --i) {
    message[static_cast<size_t>(i)] = static_cast<uint8_t>(counter & 0xFF);
    counter >>= 8;
  }
  std::array<uint8_t, EVP_MAX_MD_SIZE> mac;
  unsigned int mac_size = 0;
  if (HMAC(Digest(algorithm), key.data(), static_cast<int>(key.size()), message.data(),
           message.size(), mac.data(), &mac_size) == nullptr) {
    return MakeError(ErrorCode::kInternal, "HMAC failed while computing a one-time password");
  }
  // RFC 4226 section 5.3: the low nibble of the last byte picks 4 bytes, top bit masked off.
  const size_t offset = mac[mac_size - 1] & 0x0F;
  const uint32_t binary = (static_cast<uint32_t>(mac[offset] & 0x7F) << 24) |
                          (static_cast<uint32_t>(mac[offset + 1]) << 16) |
                          (static_cast<uint32_t>(mac[offset + 2]) << 8) |
                          static_cast<uint32_t>(mac[offset + 3]);
  SecureWipe(mac.data(), mac.size());

  std::string code = std::to_string(binary % kPowersOfTen[digits]);
  code.insert(0, static_cast<size_t>(digits) - code.size(), '0');
  return code;
}

Result<TotpCode> Totp(std::span<const uint8_t> key, int64_t unix_seconds, const TotpParams& params) {
  COFFER_TRY(ValidateTotpParams(params));
  if (unix_seconds < 0) {
    return MakeError(ErrorCode::kInvalidArgument, "the time for a TOTP code must not be before 1970");
  }
  const uint64_t counter = static_cast<uint64_t>(unix_seconds / params.period_seconds);
  auto code = Hotp(key, counter, params.algorithm, params.digits);
  if (!code.ok()) return code.error();
  return TotpCode{std::move(code).value(),
                  params.period_seconds - unix_seconds % params.period_seconds};
}

Result<TotpCode> TotpFromBase32(std::string_view secret, int64_t unix_seconds,
                                const TotpParams& params) {
  auto key = Base32Decode(secret);
  if (!key.ok()) return MakeError(key.error().code, "the TOTP secret " + key.error().message);
  WipeOnExit wipe(key.value());
  return Totp(key.value(), unix_seconds, params);
}

}  // namespace coffer::crypto
