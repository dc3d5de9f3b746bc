#include "store/postgres/postgres_url.h"

#include <algorithm>
#include <optional>

namespace coffer::store::postgres {
namespace {

constexpr std::string_view kRedacted = "***";

struct Span {
  size_t begin = 0, end = 0;  // [begin, end) of the url
};

// Where the authority's password is: after the first ':' of the user info, which ends at the
// last '@' before the path (taking the last one redacts too much rather than too little).
std::optional<Span> UserInfoPassword(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  const size_t start = scheme + 3;
  const size_t authority_end = std::min(url.find_first_of("/?#", start), url.size());
  const size_t at = url.rfind('@', authority_end == 0 ? 0 : authority_end - 1);
  if (at == std::string_view::npos || at < start) return std::nullopt;
  const size_t colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::nullopt;
  return Span{colon + 1, at};
}

// Every value of a password= query parameter.
std::vector<Span> QueryPasswords(std::string_view url) {
  std::vector<Span> out;
  const size_t query = url.find('?');
  if (query == std::string_view::npos) return out;
  size_t pos = query + 1;
  while (pos < url.size()) {
    const size_t end = std::min(url.find('&', pos), url.size());
    std::string_view pair = url.substr(pos, end - pos);
    if (pair.starts_with("password=")) out.push_back(Span{pos + 9, end});
    pos = end + 1;
  }
  return out;
}

std::string PercentDecode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 && hex(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

std::vector<Span> PasswordSpans(std::string_view url) {
  std::vector<Span> spans = QueryPasswords(url);
  if (auto user_info = UserInfoPassword(url)) spans.push_back(*user_info);
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  return spans;
}

}  // namespace

bool IsPostgresUrl(std::string_view location) {
  return location.starts_with("postgres://") || location.starts_with("postgresql://");
}

std::string RedactPostgresUrl(std::string_view url) {
  std::string out;
  size_t copied = 0;
  for (const Span& s : PasswordSpans(url)) {
    if (s.begin < copied) continue;
    out.append(url.substr(copied, s.begin - copied));
    out.append(kRedacted);
    copied = s.end;
  }
  out.append(url.substr(copied));
  return out;
}

std::vector<std::string> PasswordsInUrl(std::string_view url) {
  std::vector<std::string> out;
  for (const Span& s : PasswordSpans(url)) {
    if (s.end <= s.begin) continue;
    std::string raw(url.substr(s.begin, s.end - s.begin));
    std::string decoded = PercentDecode(raw);
    if (decoded != raw) out.push_back(std::move(decoded));
    out.push_back(std::move(raw));
  }
  return out;
}

std::string ScrubSecrets(std::string text, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    if (secret.empty()) continue;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), kRedacted);
      pos += kRedacted.size();
    }
  }
  return text;
}

}  // namespace coffer::store::postgres
