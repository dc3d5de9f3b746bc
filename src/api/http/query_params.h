// Query string checks shared by the routes: unknown parameters are refused (`?dryrun=true` must
// not silently store), and flags and numbers are parsed with messages that say what to send.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/http/api_types.h"
#include "core/result.h"
#include "core/time.h"

namespace coffer::api {

// "unknown <what> <key>: allowed are ..." (the key quoted only when harmless), for parameters and
// body fields alike.
Error UnknownName(std::string_view what, const std::string& key, const std::set<std::string>& allowed);

// Fails naming the first parameter not in `allowed`, and listing those that are.
Status CheckQuery(const ApiRequest& request, const std::set<std::string>& allowed);

// `true`/`1` or `false`/`0` (case-insensitive); `default_value` when the parameter is absent.
Result<bool> ParseFlagParam(const ApiRequest& request, const std::string& key, bool default_value);

// A positive integer up to `max`; empty when the parameter is absent.
Result<std::optional<int64_t>> ParsePositiveIntParam(const ApiRequest& request, const std::string& key,
                                                     int64_t max = INT64_MAX);

// An ISO 8601 time; empty when the parameter is absent.
Result<std::optional<UnixMicros>> ParseTimeParam(const ApiRequest& request, const std::string& key);

// The parameter's text, or "" when absent.
std::string StringParam(const ApiRequest& request, const std::string& key);

}  // namespace coffer::api
