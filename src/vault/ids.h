// Identifiers and bearer tokens. Ids are public handles; tokens are secrets shown once.
#pragma once

#include <string>
#include <string_view>

#include "store/records.h"

namespace coffer::vault {

// "cred_" + 20 base62 characters, and so on for each prefix.
std::string NewId(std::string_view prefix);

// "cof_" + 43 base62 characters: 256 random bits behind a prefix secret scanners can match.
std::string NewToken();
inline constexpr std::string_view kTokenPrefix = "cof_";

// Tokens are stored only as SHA-256.
store::TokenHash HashToken(std::string_view token);

}  // namespace coffer::vault
