#include "schema/url.h"

#include <algorithm>
#include <cctype>

namespace coffer {
namespace {

bool IsSchemeChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
}

}  // namespace

std::optional<UrlParts> SplitUrl(std::string_view text) {
  const size_t separator = text.find("://");
  if (separator == std::string_view::npos || separator == 0 || separator + 3 == text.size()) {
    return std::nullopt;
  }
  const std::string_view scheme = text.substr(0, separator);
  const bool scheme_ok = std::isalpha(static_cast<unsigned char>(scheme[0])) &&
                         std::all_of(scheme.begin(), scheme.end(), IsSchemeChar);
  const bool has_space =
      std::any_of(text.begin(), text.end(), [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
  if (!scheme_ok || has_space) return std::nullopt;
  UrlParts url;
  for (char c : scheme) url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view rest = text.substr(separator + 3);
  const size_t authority_end = std::min(rest.find_first_of("/?#"), rest.size());
  const size_t at = rest.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos) {
    url.userinfo = rest.substr(0, at);
    rest.remove_prefix(at + 1);
  }
  const size_t question = rest.find('?');
  url.host_and_path = rest.substr(0, question);
  if (question != std::string_view::npos) url.query = rest.substr(question + 1);
  return url;
}

bool UrlHasPassword(const UrlParts& url) {
  const size_t colon = url.userinfo.find(':');
  return colon != std::string_view::npos && colon + 1 < url.userinfo.size();
}

}  // namespace coffer
