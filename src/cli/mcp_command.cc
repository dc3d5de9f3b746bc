#include "cli/mcp_command.h"

#include <signal.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "api/mcp/mcp_session.h"
#include "cli/api_client.h"
#include "cli/exit_codes.h"
#include "cli/rest_backend.h"
#include "core/log.h"
#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

struct McpOptions {
  std::string addr;
  std::string token;
  std::string tool_names = "underscore";
  bool print_config = false;
};

mcp::ToolNaming NamingOf(const McpOptions& options) {
  return options.tool_names == "dotted" ? mcp::ToolNaming::kDotted : mcp::ToolNaming::kUnderscore;
}

// MCP clients launch servers without the user's PATH, so the config names this binary absolutely.
std::string SelfPath() {
  char buffer[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  if (n <= 0) return "coffer";
  return std::string(buffer, static_cast<size_t>(n));
}

// Writes one message and its newline; false once stdout is gone (the client went away).
bool WriteLine(const std::string& line) {
  if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size()) return false;
  if (std::fputc('\n', stdout) == EOF) return false;
  return std::fflush(stdout) == 0;
}

// Says on stderr, once at start, whether the server and token work, so a misconfiguration shows
// in the client's MCP log before the model's first call fails.
void CheckServer(RestBackend& backend, const ClientConfig& config) {
  if (config.token.empty()) {
    LogWarning("coffer mcp: no token: set COFFER_TOKEN or pass --token (see coffer mcp --print-config)");
  }
  auto caller = backend.Caller();
  if (!caller.ok()) {
    LogWarning("coffer mcp: " + caller.error().message);
    return;
  }
  LogInfo("coffer mcp: serving MCP on stdio for " + config.address + (caller->reveal ? "" : " (reveal: false)"));
}

int PrintConfig(const McpOptions& options) {
  ClientConfig config = ResolveClientConfig(options.addr, options.token);
  // Ordered, so the snippet reads as the clients' documentation shows it: command, args, env.
  using Ordered = nlohmann::ordered_json;
  Ordered args = Ordered::array({"mcp"});
  if (options.tool_names == "dotted") args.insert(args.end(), {"--tool-names", "dotted"});
  Ordered env = {{"COFFER_ADDR", config.address},
                 {"COFFER_TOKEN", config.token.empty() ? std::string("<your Coffer token>") : config.token}};
  if (!config.ca_file.empty()) env["COFFER_CA_FILE"] = config.ca_file;
  Ordered snippet = {{"mcpServers", {{"coffer", {{"command", SelfPath()}, {"args", args}, {"env", env}}}}}};
  std::string text = snippet.dump(2);

  ApiClient client(config);
  RestBackend backend(client);
  auto caller = backend.Caller();
  std::cout << text << "\n";
  std::cout.flush();
  SecureWipe(text);
  std::fprintf(stderr,
               "Add the \"coffer\" entry above to claude_desktop_config.json (Claude Desktop: Settings > "
               "Developer > Edit Config)\nor to ~/.cursor/mcp.json (Cursor), then restart the client. It "
               "holds your token: keep that file private.\n");
  if (config.token.empty()) {
    std::fprintf(stderr, "coffer: no token found: replace <your Coffer token>, or set COFFER_TOKEN and run this again\n");
    return kExitOk;
  }
  if (!caller.ok()) {
    std::fprintf(stderr, "coffer: warning: this configuration does not work yet: %s\n", caller.error().message.c_str());
  }
  return kExitOk;
}

int ServeStdio(const McpOptions& options) {
  // A client that closes our stdout mid-reply must not kill us with SIGPIPE before we log it.
  signal(SIGPIPE, SIG_IGN);
  ClientConfig config = ResolveClientConfig(options.addr, options.token);
  ApiClient client(config);
  SecureWipe(config.token);
  RestBackend backend(client);
  CheckServer(backend, client.config());

  mcp::McpSession session(NamingOf(options));
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::optional<std::string> reply = session.HandleText(line, backend);
    SecureWipe(line);
    if (!reply) continue;
    const bool written = WriteLine(*reply);
    SecureWipe(*reply);
    if (!written) {
      LogWarning("coffer mcp: stdout is closed: exiting");
      return kExitOk;
    }
  }
  // EOF on stdin is how an MCP client ends a stdio session (lifecycle, "Shutdown").
  return kExitOk;
}

}  // namespace

void AddMcpCommand(CLI::App& app) {
  auto options = std::make_shared<McpOptions>();
  CLI::App* cmd = app.add_subcommand(
      "mcp", "Serve MCP on stdin/stdout for Claude Desktop, Cursor and other MCP clients");
  cmd->add_option("--addr", options->addr, "Server address (env COFFER_ADDR, default http://127.0.0.1:8720)");
  cmd->add_option("--token", options->token, "Bearer token (env COFFER_TOKEN)");
  cmd->add_option("--tool-names", options->tool_names,
                  "underscore: vault_store, ... (any client); dotted: vault.store, ... (the seeds' spelling)")
      ->check(CLI::IsMember({"underscore", "dotted"}))
      ->capture_default_str();
  cmd->add_flag("--print-config", options->print_config,
                "Print the JSON that adds Coffer to Claude Desktop or Cursor, for this server and token");
  cmd->callback([options] {
    std::exit(options->print_config ? PrintConfig(*options) : ServeStdio(*options));
  });
}

}  // namespace coffer::cli
