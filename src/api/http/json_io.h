// JSON bodies in and out: success bodies, the error envelope {"error": {"code", "message"}}, and
// the mapping from ErrorCode to HTTP status.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "api/http/api_types.h"
#include "core/result.h"
#include "core/time.h"

namespace coffer::api {

ApiResponse JsonResponse(int status, const nlohmann::json& body);
// For a body holding a secret (a value, a token, a key, a code): `body` is wiped once written,
// and no cache may keep the response.
ApiResponse SecretJsonResponse(int status, nlohmann::json body);
ApiResponse ErrorResponse(const Error& error);
ApiResponse ErrorResponse(int status, std::string_view code, std::string_view message);
// Adds "requestId" to an error envelope's "error" object, so a user can quote it; other bodies
// are left as they are.
void StampRequestId(ApiResponse& response, std::string_view request_id);

int HttpStatusFor(ErrorCode code);
std::string_view ErrorCodeName(ErrorCode code);

// An ISO 8601 time sent as `key` (a body field or a query parameter); the error shows the form.
Result<UnixMicros> ParseTimestamp(const std::string& key, std::string_view text);

// Parses a request body that must be a JSON object. Errors say where the JSON broke.
Result<nlohmann::json> ParseJsonObject(const std::string& body);

// ISO 8601 in responses; null when absent.
nlohmann::json TimestampOrNull(const std::optional<UnixMicros>& t);

}  // namespace coffer::api
