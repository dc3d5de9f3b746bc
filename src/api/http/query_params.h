// Query string checks shared by the routes: unknown parameters are refused (`?dryrun=true` must
// not silently store), and flags and numbers are parsed with messages that say what to send.
#pragma once

#include <optional>
#include <set>
#include <string>

#include "api/http/api_types.h"
#include "core/result.h"

namespace coffer::api {

// Fails naming the first parameter not in `allowed`, and listing those that are.
Status CheckQuery(const ApiRequest& request, const std::set<std::string>& allowed);

// `true`/`1` or `false`/`0` (case-insensitive); `default_value` when the parameter is absent.
Result<bool> ParseFlagParam(const ApiRequest& request, const std::string& key, bool default_value);

// The parameter's text, or "" when absent.
std::string StringParam(const ApiRequest& request, const std::string& key);

}  // namespace coffer::api
