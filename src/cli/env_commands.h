// `coffer export` and `coffer run`: credentials as environment variables (the mapping is in
// env_mapping.h), written as a .env or JSON file, or handed straight to a command's environment
// with no file at all.
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

// Add `export` and `run`. Each exits the process with its exit code; `run` becomes the command.
void AddExportCommand(CLI::App& app);
void AddRunCommand(CLI::App& app);

}  // namespace coffer::cli
