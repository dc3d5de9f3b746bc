// MCP's Streamable HTTP transport at /mcp on the server's existing router: POST carries one
// JSON-RPC message and gets one JSON reply (no SSE stream: every tool answers at once), GET is
// 405, DELETE ends a session. Each POST is authenticated by its own Bearer token, exactly like a
// REST call; the MCP session it belongs to is bound to the token that created it.
#pragma once

#include <chrono>
#include <cstddef>
#include <set>
#include <string>

#include "api/http/router.h"
#include "vault/vault.h"

namespace coffer::api {

struct McpHttpOptions {
  // Sessions idle this long are dropped; the client gets 404 and initializes again (the spec's
  // recovery path), so a forgotten session costs memory only until then.
  std::chrono::seconds idle_timeout{30 * 60};
  // Past this many live sessions the least recently used one is dropped.
  size_t max_sessions = 10000;
  // Hosts besides loopback that browser pages may reach /mcp by (origin_policy.h).
  std::set<std::string> served_hosts;
};

// Registers POST, GET and DELETE /mcp. `vault` must outlive the router.
void AddMcpRoutes(Router& router, vault::Vault& vault, McpHttpOptions options = {});

}  // namespace coffer::api
