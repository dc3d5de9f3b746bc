// One-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) on top of it, and the base32 (RFC 4648)
// that authenticator secrets are written in. No clock is read here: the caller passes the time, so
// the same function serves the API, the CLI and the published test vectors.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace coffer::crypto {

enum class OtpAlgorithm { kSha1, kSha256, kSha512 };

// "SHA1", "SHA256", "SHA512": the spelling of otpauth:// URIs and of the TOTP schema.
std::string_view OtpAlgorithmName(OtpAlgorithm algorithm);
// Case-insensitive; also accepts "SHA-256" style, which some exporters write.
std::optional<OtpAlgorithm> ParseOtpAlgorithm(std::string_view name);

// RFC 6238 defaults, which is what every authenticator assumes when a parameter is absent.
struct TotpParams {
  OtpAlgorithm algorithm = OtpAlgorithm::kSha1;
  int digits = 6;               // 6 or 8
  int64_t period_seconds = 30;  // any positive length
};

// Checks digits and period; the message names the parameter and what it must be.
Status ValidateTotpParams(const TotpParams& params);

struct TotpCode {
  std::string code;           // zero-padded to `digits`
  int64_t remaining_seconds;  // until the next code, 1..period
};

// Decodes RFC 4648 base32, case-insensitively, ignoring spaces, tabs and line breaks (secrets are
// often shown in groups of four) and tolerating absent padding. The error says what is wrong and
// where, never which character was found; it reads as a predicate ("is empty: ...") so the caller
// prefixes the name of the text ("data.secret "). The caller wipes the returned key when done.
Result<std::vector<uint8_t>> Base32Decode(std::string_view text);

// RFC 4648 base32 without padding, as authenticator apps expect secrets. The caller wipes it.
std::string Base32Encode(std::span<const uint8_t> data);

// Checks that `text` is a usable TOTP secret (non-empty valid base32) without keeping the key.
Status ValidateBase32Secret(std::string_view text);

// The HOTP value for `counter`: HMAC, dynamic truncation, modulo 10^digits.
Result<std::string> Hotp(std::span<const uint8_t> key, uint64_t counter, OtpAlgorithm algorithm,
                         int digits);

// The TOTP code valid at `unix_seconds` (must not be negative) and how long it stays valid.
Result<TotpCode> Totp(std::span<const uint8_t> key, int64_t unix_seconds, const TotpParams& params);

// Totp() for a base32 secret, as stored in credentials; the decoded key is wiped before returning.
Result<TotpCode> TotpFromBase32(std::string_view secret, int64_t unix_seconds,
                                const TotpParams& params);

}  // namespace coffer::crypto
