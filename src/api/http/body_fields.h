// Reading JSON request bodies strictly, for every route: unknown fields and wrong types are
// errors that name the field, so a typo like "scope" never silently means "all scopes", and the
// parsed body is wiped whatever the handler does.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http/api_types.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "core/credential.h"
#include "core/principal.h"
#include "vault/vault.h"

namespace coffer::api {

// A refused request's error, recorded in the audit trail; returns what to answer with.
using Refusal = std::function<Error(const Error&)>;

// The fields of one parsed body, each read with its type checked. A field of the wrong type is
// passed through `refusal` when there is one, so it is audited like a body that did not parse.
class BodyFields {
 public:
  explicit BodyFields(nlohmann::json& json, Refusal refusal = nullptr)
      : json_(json), refusal_(std::move(refusal)) {}

  Result<std::optional<std::string>> OptionalString(const std::string& key) const {
    if (!json_.contains(key) || json_[key].is_null()) return std::optional<std::string>();
    if (!json_[key].is_string()) return Refuse(key + " must be a string");
    return std::optional<std::string>(json_[key].get<std::string>());
  }

  Result<std::string> RequiredString(const std::string& key) const {
    auto value = OptionalString(key);
    if (!value.ok()) return value.error();
    if (!*value) return Refuse(key + " is required");
    return **value;
  }

  Result<std::optional<std::vector<std::string>>> OptionalStrings(const std::string& key) const {
    if (!json_.contains(key) || json_[key].is_null()) return std::optional<std::vector<std::string>>();
    const auto& value = json_[key];
    bool ok = value.is_array();
    std::vector<std::string> out;
    for (const auto& item : value) {
      ok = ok && item.is_string();
      if (ok) out.push_back(item.get<std::string>());
    }
    if (!ok) return Refuse(key + " must be an array of strings");
    return std::optional<std::vector<std::string>>(std::move(out));
  }

  Result<std::optional<bool>> OptionalBool(const std::string& key) const {
    if (!json_.contains(key) || json_[key].is_null()) return std::optional<bool>();
    if (!json_[key].is_boolean()) return Refuse(key + " must be true or false");
    return std::optional<bool>(json_[key].get<bool>());
  }

  Result<std::optional<int64_t>> OptionalPositiveInt(const std::string& key, int64_t max) const {
    if (!json_.contains(key) || json_[key].is_null()) return std::optional<int64_t>();
    const auto& value = json_[key];
    if (!value.is_number_integer() || value.get<int64_t>() < 1 || value.get<int64_t>() > max) {
      return Refuse(key + " must be a positive integer");
    }
    return std::optional<int64_t>(value.get<int64_t>());
  }

  Result<std::optional<UnixMicros>> OptionalTime(const std::string& key) const {
    auto text = OptionalString(key);
    if (!text.ok()) return text.error();
    if (!*text) return std::optional<UnixMicros>();
    auto t = ParseTimestamp(key, **text);
    if (!t.ok()) return Refuse(t.error().message);
    return std::optional<UnixMicros>(*t);
  }

 private:
  Error Refuse(std::string message) const {
    Error error = MakeError(ErrorCode::kInvalidArgument, std::move(message));
    return refusal_ ? refusal_(error) : error;
  }

  nlohmann::json& json_;
  Refusal refusal_;
};

// Endpoints whose fields are all optional may also be called with no body at all.
enum class EmptyBody { kRefused, kAllowed };

// The body as a JSON object whose fields are all in `allowed`; or why not.
inline Result<nlohmann::json> ParseBody(const ApiRequest& request, const std::set<std::string>& allowed,
                                        EmptyBody empty) {
  COFFER_TRY(CheckQuery(request, {}));
  const bool blank = request.body.find_first_not_of(" \t\r\n") == std::string::npos;
  if (empty == EmptyBody::kAllowed && blank) return nlohmann::json::object();
  auto json = ParseJsonObject(request.body);
  if (!json.ok()) return json.error();
  for (const auto& [key, value] : json->items()) {
    if (allowed.count(key) == 0) {
      WipeJson(*json);
      return UnknownName("field", key, allowed);
    }
  }
  return json;
}

// Parses the body and checks its fields; `handler(fields)` runs only on a clean body.
template <typename Handler>
ApiResponse WithBody(const ApiRequest& request, const std::set<std::string>& allowed, Handler handler,
                     EmptyBody empty = EmptyBody::kRefused) {
  auto json = ParseBody(request, allowed, empty);
  if (!json.ok()) return ErrorResponse(json.error());
  BodyFields fields(*json);
  ApiResponse response = handler(fields);
  WipeJson(*json);
  return response;
}

// WithBody for an authenticated caller: a refused body (one that does not parse, or has a field
// of the wrong type) also leaves an audit record of `action` on `target` with outcome error and
// the reason, like every other refused request, so the trail shows attempts that never parsed.
template <typename Handler>
ApiResponse WithCallerBody(vault::Vault& vault, const Principal& caller, std::string_view action,
                           std::string target, const ApiRequest& request, const std::set<std::string>& allowed,
                           Handler handler, EmptyBody empty = EmptyBody::kRefused) {
  Refusal refusal = [&](const Error& error) { return vault.RecordRefusal(caller, std::string(action), target, error); };
  auto json = ParseBody(request, allowed, empty);
  if (!json.ok()) return ErrorResponse(refusal(json.error()));
  BodyFields fields(*json, refusal);
  ApiResponse response = handler(fields);
  WipeJson(*json);
  return response;
}

// Reads a field in a handler, returning its error response when the field is wrong.
#define COFFER_FIELD(var, expr)                          \
  auto var = (expr);                                     \
  if (!var.ok()) return ErrorResponse(var.error())

}  // namespace coffer::api
