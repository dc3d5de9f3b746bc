// One MCP connection's protocol engine: JSON-RPC 2.0 framing, the initialize handshake with
// version negotiation, ping, tools/list and tools/call. Transport-free: `coffer mcp` feeds it
// stdin lines, the server's /mcp route feeds it POST bodies, and both get the same answers.
// Not thread-safe: a transport serializes the messages of one session.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/mcp/mcp_backend.h"
#include "api/mcp/vault_tools.h"

namespace coffer::mcp {

// JSON-RPC 2.0 error codes.
namespace rpc_error {
inline constexpr int kParseError = -32700;
inline constexpr int kInvalidRequest = -32600;  // also: a request before initialize
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
}  // namespace rpc_error

// {"jsonrpc":"2.0","id":id,"error":{"code":code,"message":message}}; id null when unknown.
nlohmann::json RpcError(const nlohmann::json& id, int code, std::string_view message);

class McpSession {
 public:
  explicit McpSession(ToolNaming naming) : tools_(naming) {}

  // Handles one message: a request, a notification, a response, or (for revisions that allow
  // them) a batch. Returns the reply, or nothing when none is due (notifications, responses).
  // Calls that reach the vault go through `backend`, which may differ per message (the HTTP
  // route authenticates each POST). The reply may hold a secret: wipe it after sending.
  std::optional<nlohmann::json> Handle(const nlohmann::json& message, McpVaultBackend& backend);

  // Handle() for text: a message that is not JSON gets a parse-error reply. The parsed message is
  // wiped before returning, since a vault_store call carries a secret.
  std::optional<std::string> HandleText(std::string_view text, McpVaultBackend& backend);

  // True once an initialize request has been answered successfully.
  bool initialized() const { return !protocol_version_.empty(); }
  // The negotiated revision; empty before initialize.
  const std::string& protocol_version() const { return protocol_version_; }

 private:
  std::optional<nlohmann::json> HandleOne(const nlohmann::json& message, McpVaultBackend& backend);
  nlohmann::json Dispatch(const nlohmann::json& id, const std::string& method,
                          const nlohmann::json& params, McpVaultBackend& backend);
  nlohmann::json Initialize(const nlohmann::json& id, const nlohmann::json& params);
  nlohmann::json ListTools(const nlohmann::json& id, McpVaultBackend& backend);
  nlohmann::json CallTool(const nlohmann::json& id, const nlohmann::json& params, McpVaultBackend& backend);

  VaultTools tools_;
  std::string protocol_version_;
};

// Serializes a reply for the wire: one line, invalid UTF-8 replaced rather than thrown on.
std::string SerializeMessage(const nlohmann::json& message);

}  // namespace coffer::mcp
