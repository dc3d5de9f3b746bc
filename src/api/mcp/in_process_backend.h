// The MCP tools' backend inside the server: calls vault::Vault directly as one authenticated
// principal, so /mcp requests are authorized and audited by the same code as REST requests.
// One instance serves one HTTP request: the principal is resolved afresh from each request's token.
#pragma once

#include "api/mcp/mcp_backend.h"
#include "core/principal.h"
#include "vault/vault.h"

namespace coffer::mcp {

class InProcessBackend : public McpVaultBackend {
 public:
  // Both must outlive the backend.
  InProcessBackend(vault::Vault& vault, const Principal& principal) : vault_(vault), principal_(principal) {}

  Result<nlohmann::json> Store(const std::string& name, CredentialType type, const nlohmann::json& data,
                               const nlohmann::json& metadata, std::optional<UnixMicros> expires_at) override;
  Result<nlohmann::json> Get(const std::string& name, std::optional<int> version) override;
  Result<nlohmann::json> List(std::optional<CredentialType> type, const std::string& prefix,
                              const std::string& cursor, int limit) override;
  Result<nlohmann::json> Delete(const std::string& name) override;
  Result<nlohmann::json> Totp(const std::string& name) override;
  Result<CallerInfo> Caller() override;

 private:
  vault::Vault& vault_;
  const Principal& principal_;
};

}  // namespace coffer::mcp
