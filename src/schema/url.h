// The parts of a URL that credential checks look at: enough to tell a URL from a bare host name,
// and to see whether it carries a password or a token. Not a general RFC 3986 parser.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace coffer {

struct UrlParts {
  std::string scheme;              // lower-cased
  std::string_view userinfo;       // "user:password" before '@', or empty
  std::string_view host_and_path;  // up to '?'
  std::string_view query;          // after '?', or empty
};

// nullopt unless `text` is scheme://something with no whitespace.
std::optional<UrlParts> SplitUrl(std::string_view text);

// user:password@ with a non-empty password (redis://:password@host counts).
bool UrlHasPassword(const UrlParts& url);

}  // namespace coffer
