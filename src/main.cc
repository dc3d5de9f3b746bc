// coffer: one binary that is the server, the command-line client and (later) the MCP server.
#include <CLI/CLI.hpp>

#include "cli/env_commands.h"
#include "cli/audit_commands.h"
#include "cli/exit_codes.h"
#include "cli/identity_commands.h"
#include "cli/import_command.h"
#include "cli/key_commands.h"
#include "cli/mcp_command.h"
#include "cli/vault_commands.h"
#include "server/migrate_command.h"
#include "server/rotate_root_command.h"
#include "server/serve_command.h"

int main(int argc, char** argv) {
  CLI::App app("Coffer: a self-hosted credential vault for AI agents", "coffer");
  app.require_subcommand(1);
  app.set_version_flag("--version", "coffer 0.1.0");
  coffer::server::AddServeCommand(app);
  coffer::cli::AddVaultCommands(app);
  coffer::cli::AddImportCommand(app);
  coffer::cli::AddExportCommand(app);
  coffer::cli::AddRunCommand(app);
  coffer::cli::AddMcpCommand(app);
  coffer::cli::AddIdentityCommands(app);
  coffer::cli::AddAuditCommands(app);
  coffer::cli::AddKeyCommands(app);          // after AddVaultCommands: adds `vault rotate`
  coffer::server::AddRotateRootCommand(app);  // after AddKeyCommands: adds `keys rotate-root`
  coffer::server::AddMigrateCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return coffer::cli::kExitUsage;
  }
  return coffer::cli::kExitOk;
}
