// `coffer identity|token|grant|login|whoami|passwd`: the delegation chain from the command line.
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

void AddIdentityCommands(CLI::App& app);

}  // namespace coffer::cli
