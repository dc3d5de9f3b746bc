// The seam between the MCP tools and the vault. The tools validate arguments and shape results;
// a backend only carries each operation to the vault: in process for the server's /mcp endpoint
// (InProcessBackend), over the REST API for `coffer mcp` on stdio (cli::RestBackend). Either way
// the vault authenticates, authorizes and audits the call exactly as it does for REST.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/credential.h"
#include "core/result.h"
#include "core/time.h"

namespace coffer::mcp {

// Who the MCP client acts as: decides which tools are offered and whether vault_get masks.
struct CallerInfo {
  std::vector<std::string> scopes;
  bool reveal = true;
};

// Results use the REST API's JSON shapes (api/http/vault_routes.cc), so both backends agree:
//   Store, Get:  {"credentialId","type","name","metadata","expiresAt","createdAt","updatedAt",
//                 "version"} and, for Get only, "data"
//   List:        {"credentials": [...as above without data], "nextCursor": string|null}
//   Delete:      {"deleted": true, "name"}
//   Totp:        {"code": "123456", "remaining": 17}
// Errors keep the vault's code and message, which are safe to show a model.
class McpVaultBackend {
 public:
  virtual ~McpVaultBackend() = default;

  virtual Result<nlohmann::json> Store(const std::string& name, CredentialType type,
                                       const nlohmann::json& data, const nlohmann::json& metadata,
                                       std::optional<UnixMicros> expires_at) = 0;
  virtual Result<nlohmann::json> Get(const std::string& name, std::optional<int> version) = 0;
  virtual Result<nlohmann::json> List(std::optional<CredentialType> type, const std::string& prefix,
                                      const std::string& cursor, int limit) = 0;
  virtual Result<nlohmann::json> Delete(const std::string& name) = 0;
  virtual Result<nlohmann::json> Totp(const std::string& name) = 0;

  // The caller's scopes and reveal flag, asked afresh on every use so a changed token counts.
  virtual Result<CallerInfo> Caller() = 0;
};

}  // namespace coffer::mcp
