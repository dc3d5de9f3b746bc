// `coffer serve`: the command-line face of ServeOptions.
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::server {

void AddServeCommand(CLI::App& app);

}  // namespace coffer::server
