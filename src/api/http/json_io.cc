#include "api/http/json_io.h"

#include "core/credential.h"
#include "core/json_document.h"

namespace coffer::api {

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kValidation: return 422;
    case ErrorCode::kUnauthenticated: return 401;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kConflict: return 409;
    case ErrorCode::kPayloadTooLarge: return 413;
    case ErrorCode::kRateLimited: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kDataCorrupted: return 500;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_request";
    case ErrorCode::kValidation: return "validation_failed";
    case ErrorCode::kUnauthenticated: return "unauthorized";
    case ErrorCode::kPermissionDenied: return "forbidden";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kDataCorrupted: return "data_corrupted";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

ApiResponse JsonResponse(int status, const nlohmann::json& body) {
  ApiResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

Result<UnixMicros> ParseTimestamp(const std::string& key, std::string_view text) {
  if (auto t = ParseIso8601(text)) return *t;
  return MakeError(ErrorCode::kInvalidArgument, key + " must be an ISO 8601 timestamp such as 2026-12-31T00:00:00Z");
}

ApiResponse SecretJsonResponse(int status, nlohmann::json body) {
  ApiResponse response = JsonResponse(status, body);
  WipeJson(body);
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

ApiResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  ApiResponse response = JsonResponse(status, {{"error", {{"code", code}, {"message", message}}}});
  response.error_envelope = true;
  return response;
}

void StampRequestId(ApiResponse& response, std::string_view request_id) {
  if (!response.error_envelope || request_id.empty()) return;
  // The envelope is ours (ErrorResponse made it), small, and holds no secret.
  auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body["error"].is_object()) return;
  body["error"]["requestId"] = request_id;
  response.body = body.dump();
}

ApiResponse ErrorResponse(const Error& error) {
  ApiResponse response = ErrorResponse(HttpStatusFor(error.code), ErrorCodeName(error.code), error.message);
  if (error.code == ErrorCode::kUnauthenticated) {
    response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"coffer\"");
  }
  return response;
}

nlohmann::json TimestampOrNull(const std::optional<UnixMicros>& t) {
  return t ? nlohmann::json(FormatIso8601(*t)) : nlohmann::json(nullptr);
}

Result<nlohmann::json> ParseJsonObject(const std::string& body) {
  if (body.empty()) {
    return MakeError(ErrorCode::kInvalidArgument, "the request body is empty: send a JSON object");
  }
  auto parsed = ParseUntrustedJson(body);
  if (!parsed.ok()) return MakeError(ErrorCode::kInvalidArgument, "the request body " + parsed.error().message);
  if (!parsed->is_object()) {
    WipeJson(*parsed);
    return MakeError(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  return parsed;
}

}  // namespace coffer::api
