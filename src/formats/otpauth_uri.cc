#include "formats/otpauth_uri.h"

#include <cctype>
#include <charconv>
#include <optional>

#include "core/secure_wipe.h"
#include "formats/js_text.h"

namespace coffer {
namespace {

constexpr std::string_view kFormatHint = "expected otpauth://totp/Issuer:account?secret=BASE32";

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kValidation, "the otpauth URI " + std::move(message));
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsUtf8(std::string_view s) {
  std::u32string ignored;
  const bool ok = !DecodeUtf8(s, ignored).has_value();
  WipeCodePoints(ignored);
  return ok;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 percent-decoding. In the query '+' also means a space, as HTML forms (and several QR
// generators) encode it; base32 secrets never contain '+', so nothing is lost.
std::optional<std::string> PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%') {
      const int hi = i + 2 < text.size() ? HexDigit(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexDigit(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        SecureWipe(out);
        return std::nullopt;
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (text[i] == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(text[i]);
    }
  }
  if (!IsUtf8(out)) {
    SecureWipe(out);
    return std::nullopt;
  }
  return out;
}

std::optional<int64_t> ParsePositiveInteger(std::string_view text) {
  int64_t value = 0;
  if (text.empty() || text.size() > 9) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 1) return std::nullopt;
  return value;
}

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// Sets `out` from one query parameter; `seen` guards against a parameter given twice, where
// authenticators disagree on which one wins.
Status ReadParameter(std::string_view name, std::string_view raw, bool& seen, std::string& out) {
  if (seen) return Invalid("has the " + std::string(name) + " parameter more than once: keep one");
  seen = true;
  std::optional<std::string> decoded = PercentDecode(raw, /*plus_is_space=*/true);
  if (!decoded) {
    return Invalid("has a " + std::string(name) +
                   " parameter with a malformed %-escape or text that is not UTF-8 (write % as %25)");
  }
  out = std::move(*decoded);
  return Status::Ok();
}

}  // namespace

OtpauthUri::~OtpauthUri() { SecureWipe(secret); }

bool IsOtpauthUri(std::string_view text) {
  constexpr std::string_view kPrefix = "otpauth:";
  return text.size() >= kPrefix.size() && Lowercase(text.substr(0, kPrefix.size())) == kPrefix;
}

Result<OtpauthUri> ParseOtpauthUri(std::string_view uri) {
  uri = TrimSpaces(uri);
  constexpr std::string_view kScheme = "otpauth://";
  if (uri.size() < kScheme.size() || Lowercase(uri.substr(0, kScheme.size())) != kScheme) {
    return Invalid("does not start with otpauth:// (" + std::string(kFormatHint) + ")");
  }
  uri.remove_prefix(kScheme.size());
  uri = uri.substr(0, uri.find('#'));  // a fragment is not part of the key

  const std::string type = Lowercase(uri.substr(0, uri.find_first_of("/?")));
  const size_t slash = uri.find('/');
  if (type == "hotp") {
    return Invalid("is for a counter-based (HOTP) code: only time-based otpauth://totp/ URIs are "
                   "supported");
  }
  if (type != "totp") {
    return Invalid("has an unknown code type after otpauth://: " + std::string(kFormatHint));
  }
  if (slash != type.size()) {
    return Invalid("has no label after otpauth://totp: " + std::string(kFormatHint));
  }

  const std::string_view rest = uri.substr(slash + 1);
  const size_t question = rest.find('?');
  std::optional<std::string> label = PercentDecode(rest.substr(0, question), /*plus_is_space=*/false);
  if (!label) {
    return Invalid("has a label with a malformed %-escape or text that is not UTF-8 (write % as %25)");
  }

  OtpauthUri result;
  const size_t colon = label->find(':');
  std::string label_issuer;
  if (colon == std::string::npos) {
    result.account = std::string(TrimSpaces(*label));
  } else {
    label_issuer = std::string(TrimSpaces(std::string_view(*label).substr(0, colon)));
    result.account = std::string(TrimSpaces(std::string_view(*label).substr(colon + 1)));
  }

  bool seen_secret = false, seen_issuer = false, seen_algorithm = false, seen_digits = false,
       seen_period = false;
  std::string algorithm, digits, period;
  std::string_view query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::string name = Lowercase(pair.substr(0, eq));
    const std::string_view raw = eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (name == "secret") {
      COFFER_TRY(ReadParameter(name, raw, seen_secret, result.secret));
    } else if (name == "issuer") {
      COFFER_TRY(ReadParameter(name, raw, seen_issuer, result.issuer));
    } else if (name == "algorithm") {
      COFFER_TRY(ReadParameter(name, raw, seen_algorithm, algorithm));
    } else if (name == "digits") {
      COFFER_TRY(ReadParameter(name, raw, seen_digits, digits));
    } else if (name == "period") {
      COFFER_TRY(ReadParameter(name, raw, seen_period, period));
    }
    // Other parameters (image, color, counter...) are presentation or HOTP-only: ignored.
  }

  if (!seen_secret || result.secret.empty()) {
    return Invalid("has no secret parameter: " + std::string(kFormatHint));
  }
  if (Status s = crypto::ValidateBase32Secret(result.secret); !s.ok()) {
    return Invalid("has a secret parameter that " + s.error().message);
  }
  // The issuer parameter is the newer, unambiguous spelling; the label prefix is the fallback.
  if (result.issuer.empty()) result.issuer = std::move(label_issuer);
  if (seen_algorithm) {
    std::optional<crypto::OtpAlgorithm> parsed = crypto::ParseOtpAlgorithm(algorithm);
    if (!parsed) return Invalid("has an algorithm parameter that is not SHA1, SHA256 or SHA512");
    result.params.algorithm = *parsed;
  }
  if (seen_digits) {
    std::optional<int64_t> parsed = ParsePositiveInteger(digits);
    if (!parsed || (*parsed != 6 && *parsed != 8)) return Invalid("has a digits parameter that is not 6 or 8");
    result.params.digits = static_cast<int>(*parsed);
  }
  if (seen_period) {
    std::optional<int64_t> parsed = ParsePositiveInteger(period);
    if (!parsed) return Invalid("has a period parameter that is not a whole number of seconds of at least 1");
    result.params.period_seconds = *parsed;
  }
  return result;
}

}  // namespace coffer
