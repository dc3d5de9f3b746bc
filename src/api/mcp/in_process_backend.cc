#include "api/mcp/in_process_backend.h"

#include "api/http/vault_routes.h"

namespace coffer::mcp {

Result<nlohmann::json> InProcessBackend::Store(const std::string& name, CredentialType type,
                                               const nlohmann::json& data, const nlohmann::json& metadata,
                                               std::optional<UnixMicros> expires_at) {
  vault::StoreCredentialRequest request;
  request.name = name;
  request.type = type;
  request.data = data;
  request.metadata = metadata;
  request.expires_at = expires_at;
  auto stored = vault_.StoreCredential(principal_, request);
  WipeJson(request.data);
  if (!stored.ok()) return stored.error();
  return api::CredentialInfoJson(*stored);
}

Result<nlohmann::json> InProcessBackend::Get(const std::string& name, std::optional<int> version) {
  auto credential = vault_.GetCredential(principal_, name, version);
  if (!credential.ok()) return credential.error();
  nlohmann::json out = api::CredentialInfoJson(credential->info);
  out["data"] = std::move(credential->data);  // moved, not copied: no second holder of the values
  if (credential->masked) out["masked"] = true;
  return out;
}

Result<nlohmann::json> InProcessBackend::List(std::optional<CredentialType> type, const std::string& prefix,
                                              const std::string& cursor, int limit) {
  vault::ListCredentialsRequest request;
  request.type = type;
  request.prefix = prefix;
  request.cursor = cursor;
  request.limit = limit;
  auto page = vault_.ListCredentials(principal_, request);
  if (!page.ok()) return page.error();
  nlohmann::json items = nlohmann::json::array();
  for (const auto& info : page->items) items.push_back(api::CredentialInfoJson(info));
  return nlohmann::json{
      {"credentials", std::move(items)},
      {"nextCursor", page->next_cursor ? nlohmann::json(*page->next_cursor) : nlohmann::json(nullptr)}};
}

Result<nlohmann::json> InProcessBackend::Delete(const std::string& name) {
  Status deleted = vault_.DeleteCredential(principal_, name);
  if (!deleted.ok()) return deleted.error();
  return nlohmann::json{{"deleted", true}, {"name", name}};
}

Result<nlohmann::json> InProcessBackend::Totp(const std::string& name) {
  auto code = vault_.GetTotp(principal_, name);
  if (!code.ok()) return code.error();
  return nlohmann::json{{"code", code->code}, {"remaining", code->remaining_seconds}};
}

Result<CallerInfo> InProcessBackend::Caller() { return CallerInfo{principal_.scopes, principal_.reveal}; }

}  // namespace coffer::mcp
