// The MCP tools' backend for `coffer mcp`: carries each tool call to a Coffer server over its
// REST API with the user's token, so the server authorizes and audits it like any other call.
#pragma once

#include "api/mcp/mcp_backend.h"
#include "cli/api_client.h"

namespace coffer::cli {

class RestBackend : public mcp::McpVaultBackend {
 public:
  // `client` must outlive the backend.
  explicit RestBackend(ApiClient& client) : client_(client) {}

  Result<nlohmann::json> Store(const std::string& name, CredentialType type, const nlohmann::json& data,
                               const nlohmann::json& metadata, std::optional<UnixMicros> expires_at) override;
  Result<nlohmann::json> Get(const std::string& name, std::optional<int> version) override;
  Result<nlohmann::json> List(std::optional<CredentialType> type, const std::string& prefix,
                              const std::string& cursor, int limit) override;
  Result<nlohmann::json> Delete(const std::string& name) override;
  Result<nlohmann::json> Totp(const std::string& name) override;
  // From GET /v0/me. A server without that endpoint predates scoped tokens and reveal: false,
  // so every vault scope and reveal: true is then the truth.
  Result<mcp::CallerInfo> Caller() override;

 private:
  // Sends a request; a non-2xx reply becomes an Error with the server's message.
  Result<nlohmann::json> Call(const std::string& method, const std::string& path,
                              const std::optional<std::string>& body = std::nullopt);

  ApiClient& client_;
};

}  // namespace coffer::cli
