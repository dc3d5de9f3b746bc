#include "cli/rest_backend.h"

#include "core/principal.h"
#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

ErrorCode CodeForStatus(long status) {
  switch (status) {
    case 400: return ErrorCode::kInvalidArgument;
    case 401: return ErrorCode::kUnauthenticated;
    case 403: return ErrorCode::kPermissionDenied;
    case 404: return ErrorCode::kNotFound;
    case 409: return ErrorCode::kConflict;
    case 413: return ErrorCode::kPayloadTooLarge;
    case 422: return ErrorCode::kValidation;
    case 429: return ErrorCode::kRateLimited;
    default: return status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal;
  }
}

// The router's answer for a path it has no route for, as opposed to a 404 for a missing
// credential: it tells that the server is older than the endpoint.
bool IsMissingEndpoint(const ApiReply& reply) {
  return reply.status == 404 && ErrorMessageOf(reply).rfind("no such endpoint", 0) == 0;
}

}  // namespace

Result<nlohmann::json> RestBackend::Call(const std::string& method, const std::string& path,
                                         const std::optional<std::string>& body) {
  auto reply = client_.Send(method, path, body);
  if (!reply.ok()) return reply.error();
  if (reply->status < 200 || reply->status >= 300) {
    if (reply->status == 401) {
      return MakeError(ErrorCode::kUnauthenticated,
                       ErrorMessageOf(*reply) + "; `coffer mcp` sends the token from --token or COFFER_TOKEN");
    }
    return MakeError(CodeForStatus(reply->status), ErrorMessageOf(*reply));
  }
  return std::move(reply->body);
}

Result<nlohmann::json> RestBackend::Store(const std::string& name, CredentialType type, const nlohmann::json& data,
                                          const nlohmann::json& metadata, std::optional<UnixMicros> expires_at) {
  nlohmann::json body = {{"type", CredentialTypeName(type)}, {"data", data}, {"metadata", metadata}};
  if (expires_at) body["expiresAt"] = FormatIso8601(*expires_at);
  std::string text = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  WipeJson(body);
  auto stored = Call("PUT", "/v0/vault/" + client_.Escape(name), text);
  SecureWipe(text);
  return stored;
}

Result<nlohmann::json> RestBackend::Get(const std::string& name, std::optional<int> version) {
  std::string path = "/v0/vault/" + client_.Escape(name);
  if (version) path += "?version=" + std::to_string(*version);
  return Call("GET", path);
}

Result<nlohmann::json> RestBackend::List(std::optional<CredentialType> type, const std::string& prefix,
                                         const std::string& cursor, int limit) {
  std::string path = "/v0/vault?limit=" + std::to_string(limit);
  if (type) path += "&type=" + client_.Escape(std::string(CredentialTypeName(*type)));
  if (!prefix.empty()) path += "&prefix=" + client_.Escape(prefix);
  if (!cursor.empty()) path += "&cursor=" + client_.Escape(cursor);
  return Call("GET", path);
}

Result<nlohmann::json> RestBackend::Delete(const std::string& name) {
  return Call("DELETE", "/v0/vault/" + client_.Escape(name));
}

Result<nlohmann::json> RestBackend::Totp(const std::string& name) {
  auto reply = client_.Send("GET", "/v0/vault/" + client_.Escape(name) + "/totp");
  if (!reply.ok()) return reply.error();
  if (IsMissingEndpoint(*reply)) {
    return MakeError(ErrorCode::kUnavailable,
                     "TOTP is not available on this server yet (it has no /v0/vault/:name/totp endpoint): "
                     "upgrade the Coffer server to get one-time codes");
  }
  if (reply->status < 200 || reply->status >= 300) {
    return MakeError(CodeForStatus(reply->status), ErrorMessageOf(*reply));
  }
  return std::move(reply->body);
}

Result<mcp::CallerInfo> RestBackend::Caller() {
  auto reply = client_.Send("GET", "/v0/me");
  if (!reply.ok()) return reply.error();
  if (IsMissingEndpoint(*reply)) {
    return mcp::CallerInfo{{std::string(scopes::kVaultRead), std::string(scopes::kVaultWrite),
                            std::string(scopes::kVaultDelete), std::string(scopes::kVaultList),
                            std::string(scopes::kVaultUse)},
                           true};
  }
  if (reply->status < 200 || reply->status >= 300) {
    std::string message = ErrorMessageOf(*reply);
    if (reply->status == 401) message += "; `coffer mcp` sends the token from --token or COFFER_TOKEN";
    return MakeError(CodeForStatus(reply->status), message);
  }
  const nlohmann::json& me = reply->body;
  mcp::CallerInfo caller;
  if (me.is_object() && me.contains("scopes") && me["scopes"].is_array()) {
    for (const auto& scope : me["scopes"]) {
      if (scope.is_string()) caller.scopes.push_back(scope.get<std::string>());
    }
  }
  // Anything but an explicit true masks: a malformed answer must not reveal secrets.
  caller.reveal = me.is_object() && me.contains("reveal") && me["reveal"].is_boolean() && me["reveal"].get<bool>();
  return caller;
}

}  // namespace coffer::cli
