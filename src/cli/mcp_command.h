// `coffer mcp`: an MCP server on stdin/stdout for Claude Desktop, Cursor and any MCP client that
// launches its servers as processes. It holds no secrets of its own: every tool call goes to a
// Coffer server (COFFER_ADDR / --addr) with the user's token (COFFER_TOKEN / --token).
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

// Adds `mcp` with --tool-names underscore|dotted, --print-config, --addr and --token. The
// command exits the process: 0 when the client closes stdin.
void AddMcpCommand(CLI::App& app);

}  // namespace coffer::cli
