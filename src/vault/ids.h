// Identifiers and bearer tokens. Ids are public handles; tokens are secrets shown once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/records.h"

namespace coffer::vault {

// "cred_" + 20 base62 characters, and so on for each prefix.
std::string NewId(std::string_view prefix);

// `prefix` + 9 base62 characters of `at_micros` + 11 random ones: as unique as NewId's ids for
// any practical purpose (65 random bits per microsecond), and in time order, so an index on them
// grows at its right edge. For audit records: with random ids every insert dirtied a page
// somewhere in the middle of the id index, about half of a busy commit's writes.
std::string NewTimeOrderedId(std::string_view prefix, int64_t at_micros);

// "cof_" + 43 base62 characters: 256 random bits behind a prefix secret scanners can match.
std::string NewToken();
inline constexpr std::string_view kTokenPrefix = "cof_";

// Tokens are stored only as SHA-256.
store::TokenHash HashToken(std::string_view token);

}  // namespace coffer::vault
