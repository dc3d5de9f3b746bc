// `coffer import FILE`: sends a .env file to POST /v0/vault/import and prints the per-entry report
// (which variable became which credential, of which type, how sure, and what was done).
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

// Adds `import`. It exits the process with its exit code.
void AddImportCommand(CLI::App& app);

}  // namespace coffer::cli
