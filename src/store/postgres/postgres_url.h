// What Coffer itself needs to know of a PostgreSQL URL: whether a store location is one, how to
// name it in a message without its password, and which secrets a message must never carry.
// libpq parses the URL for connecting; nothing here builds a connection string.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace coffer::store::postgres {

// postgres://... or postgresql://... (the two schemes libpq accepts).
bool IsPostgresUrl(std::string_view location);

// The URL with its password (in the user info, or a password= query parameter) replaced by
// "***": safe for logs and error messages.
std::string RedactPostgresUrl(std::string_view url);

// The password the URL carries, as written and percent-decoded: strings to scrub from any
// message (libpq's own messages do not echo it, but nothing relies on that).
std::vector<std::string> PasswordsInUrl(std::string_view url);

// `text` with every occurrence of each non-empty secret replaced by "***".
std::string ScrubSecrets(std::string text, const std::vector<std::string>& secrets);

}  // namespace coffer::store::postgres
