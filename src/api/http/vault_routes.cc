#include "api/http/vault_routes.h"

#include <limits>
#include <set>

#include "api/http/authentication.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "core/did_you_mean.h"

namespace coffer::api {
namespace {

Result<std::optional<int>> ParsePositiveInt(const ApiRequest& request, const std::string& key) {
  auto value = ParsePositiveIntParam(request, key, std::numeric_limits<int>::max());
  if (!value.ok()) return value.error();
  return *value ? std::optional<int>(static_cast<int>(**value)) : std::nullopt;
}

Result<std::optional<CredentialType>> ParseTypeField(const nlohmann::json& value, const char* where) {
  if (!value.is_string()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(where) + " must be a string, one of: " + CredentialTypeList());
  }
  auto type = ParseCredentialType(value.get<std::string>());
  if (!type) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string(where) + " is not a credential type" +
                         DidYouMean(value.get<std::string>(), CredentialTypeNames()) + ": use one of " +
                         CredentialTypeList());
  }
  return std::optional<CredentialType>(*type);
}

// Reads the PUT body into a store request. Unknown fields are refused so a typo
// ("metdata") never silently drops what the caller meant to store.
Result<vault::StoreCredentialRequest> ParseStoreBody(const std::string& name, const std::string& body) {
  auto parsed = ParseJsonObject(body);
  if (!parsed.ok()) return parsed.error();
  nlohmann::json& json = *parsed;
  vault::StoreCredentialRequest request;
  request.name = name;
  static const std::set<std::string> kAllowed = {"type", "data", "metadata", "expiresAt", "name"};
  for (auto& [key, value] : json.items()) {
    if (kAllowed.count(key) == 0) {
      WipeJson(json);
      return MakeError(ErrorCode::kInvalidArgument,
                       "unknown field" + DidYouMean(key, {"type", "data", "metadata", "expiresAt"}) +
                           ": a credential takes type, data, metadata and expiresAt");
    }
  }
  auto fail = [&json](ErrorCode code, std::string message) -> Error {
    WipeJson(json);
    return MakeError(code, std::move(message));
  };
  if (json.contains("name") && json["name"] != name) {
    return fail(ErrorCode::kInvalidArgument, "the body's name differs from the name in the URL: drop it or make them equal");
  }
  if (!json.contains("type")) return fail(ErrorCode::kInvalidArgument, "type is required: one of " + CredentialTypeList());
  auto type = ParseTypeField(json["type"], "type");
  if (!type.ok()) return fail(type.error().code, type.error().message);
  request.type = **type;
  if (!json.contains("data")) return fail(ErrorCode::kInvalidArgument, "data is required: a JSON object of secret fields");
  if (!json["data"].is_object()) return fail(ErrorCode::kInvalidArgument, "data must be a JSON object of secret fields");
  if (json.contains("metadata") && !json["metadata"].is_null()) {
    if (!json["metadata"].is_object()) return fail(ErrorCode::kInvalidArgument, "metadata must be a JSON object");
    request.metadata = std::move(json["metadata"]);
  }
  if (json.contains("expiresAt") && !json["expiresAt"].is_null()) {
    const auto& value = json["expiresAt"];
    auto t = ParseTimestamp("expiresAt", value.is_string() ? value.get<std::string>() : "");
    if (!t.ok()) return fail(ErrorCode::kInvalidArgument, t.error().message);
    request.expires_at = *t;
  }
  request.data = std::move(json["data"]);
  return request;
}

ApiResponse PutCredential(vault::Vault& vault, const ApiRequest& request, const PathParams& params) {
  return WithPrincipal(vault, request, [&](const Principal& principal) {
    if (Status s = CheckQuery(request, {}); !s.ok()) return ErrorResponse(s.error());
    const std::string& name = params.at("name");
    if (Status s = ValidateCredentialName(name); !s.ok()) return ErrorResponse(s.error());
    auto body = ParseStoreBody(name, request.body);
    if (!body.ok()) return ErrorResponse(vault.RecordRefusal(principal, "credential.write", name, body.error()));
    vault::StoreCredentialRequest store_request = std::move(body).value();
    auto stored = vault.StoreCredential(principal, store_request);
    WipeJson(store_request.data);
    if (!stored.ok()) return ErrorResponse(stored.error());
    return JsonResponse(stored->version == 1 ? 201 : 200, CredentialInfoJson(*stored));
  });
}

ApiResponse GetCredential(vault::Vault& vault, const ApiRequest& request, const PathParams& params) {
  return WithPrincipal(vault, request, [&](const Principal& principal) {
    if (Status s = CheckQuery(request, {"version"}); !s.ok()) return ErrorResponse(s.error());
    auto version = ParsePositiveInt(request, "version");
    if (!version.ok()) return ErrorResponse(version.error());
    auto credential = vault.GetCredential(principal, params.at("name"), *version);
    if (!credential.ok()) return ErrorResponse(credential.error());
    nlohmann::json body = CredentialInfoJson(credential->info);
    body["data"] = std::move(credential->data);  // one holder of the values, wiped once sent
    if (credential->masked) body["masked"] = true;
    return SecretJsonResponse(200, std::move(body));
  });
}

ApiResponse ListCredentials(vault::Vault& vault, const ApiRequest& request, const PathParams&) {
  return WithPrincipal(vault, request, [&](const Principal& principal) {
    if (Status s = CheckQuery(request, {"limit", "cursor", "type", "prefix"}); !s.ok()) {
      return ErrorResponse(s.error());
    }
    vault::ListCredentialsRequest list;
    auto limit = ParsePositiveInt(request, "limit");
    if (!limit.ok()) return ErrorResponse(limit.error());
    if (*limit) list.limit = **limit;
    if (auto it = request.query.find("type"); it != request.query.end()) {
      auto type = ParseTypeField(it->second, "type");
      if (!type.ok()) return ErrorResponse(type.error());
      list.type = *type;
    }
    if (auto it = request.query.find("prefix"); it != request.query.end()) list.prefix = it->second;
    if (auto it = request.query.find("cursor"); it != request.query.end()) list.cursor = it->second;
    auto page = vault.ListCredentials(principal, list);
    if (!page.ok()) return ErrorResponse(page.error());
    nlohmann::json items = nlohmann::json::array();
    for (const auto& info : page->items) items.push_back(CredentialInfoJson(info));
    return JsonResponse(200, {{"credentials", items},
                              {"nextCursor", page->next_cursor ? nlohmann::json(*page->next_cursor)
                                                               : nlohmann::json(nullptr)}});
  });
}

ApiResponse DeleteCredential(vault::Vault& vault, const ApiRequest& request, const PathParams& params) {
  return WithPrincipal(vault, request, [&](const Principal& principal) {
    if (Status s = CheckQuery(request, {}); !s.ok()) return ErrorResponse(s.error());
    const std::string& name = params.at("name");
    Status deleted = vault.DeleteCredential(principal, name);
    if (!deleted.ok()) return ErrorResponse(deleted.error());
    return JsonResponse(200, {{"deleted", true}, {"name", name}});
  });
}

}  // namespace

nlohmann::json CredentialInfoJson(const CredentialInfo& info) {
  return {{"credentialId", info.id},
          {"type", CredentialTypeName(info.type)},
          {"name", info.name},
          {"metadata", info.metadata},
          {"expiresAt", TimestampOrNull(info.expires_at)},
          {"createdAt", FormatIso8601(info.created_at)},
          {"updatedAt", FormatIso8601(info.updated_at)},
          {"version", info.version}};
}

void AddVaultRoutes(Router& router, vault::Vault& vault) {
  // Reads never wait: their audit records are queued and hold only the reply (see http_server.h).
  router.Add("GET", "/v0/vault", [&vault](const ApiRequest& r, const PathParams& p) { return ListCredentials(vault, r, p); },
             Waits::kNo);
  router.Add("PUT", "/v0/vault/:name", [&vault](const ApiRequest& r, const PathParams& p) { return PutCredential(vault, r, p); });
  router.Add("GET", "/v0/vault/:name", [&vault](const ApiRequest& r, const PathParams& p) { return GetCredential(vault, r, p); },
             Waits::kNo);
  router.Add("DELETE", "/v0/vault/:name", [&vault](const ApiRequest& r, const PathParams& p) { return DeleteCredential(vault, r, p); });
}

}  // namespace coffer::api
