// The five vault tools as MCP offers them: definitions (title, description for a model, input
// and output schemas, annotations) and dispatch onto a McpVaultBackend. Arguments are checked
// here so a model gets a message it can act on; access decisions stay with the vault.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/mcp/mcp_backend.h"

namespace coffer::mcp {

// vault_store (the default: works with every client) or vault.store (the seeds' spelling, for
// clients whose tool-name rules accept dots).
enum class ToolNaming { kUnderscore, kDotted };

class VaultTools {
 public:
  explicit VaultTools(ToolNaming naming) : naming_(naming) {}

  // The tools/list "tools" array: only the tools `caller` has a scope for, with only the fields
  // `protocol_version` defines.
  nlohmann::json List(const CallerInfo& caller, std::string_view protocol_version) const;

  // Whether `name` is one of the tools, in either spelling (a client configured for the other
  // spelling still gets its call served).
  bool Knows(std::string_view name) const;

  // This server's tool names, for error messages.
  std::string Names() const;

  // Runs tool `name` (Knows(name) must hold) and returns a CallToolResult. Every failure, from
  // bad arguments to a missing scope, comes back as a result with isError: true and a message the
  // model can act on. The result may hold a secret: the caller wipes it after sending.
  nlohmann::json Call(McpVaultBackend& backend, std::string_view name,
                      const nlohmann::json& arguments, std::string_view protocol_version) const;

 private:
  ToolNaming naming_;
};

}  // namespace coffer::mcp
