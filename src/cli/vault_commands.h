// `coffer vault store|get|list|delete|totp`, mirroring the seeds' CLI (Mailgent's `mailgent vault ...`).
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

// Adds `vault` and its subcommands. Each subcommand exits the process with its exit code.
void AddVaultCommands(CLI::App& app);

}  // namespace coffer::cli
