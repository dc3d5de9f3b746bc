// `coffer vault rotate`, `coffer keys rotate|rotate-all|status|retire` and `coffer status`: the key
// lifecycle over the REST API. (`coffer keys rotate-root` works offline on the data directory and
// lives with the server code.)
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::cli {

// Adds `keys` and `status`, and `rotate` under `vault`; call after AddVaultCommands.
void AddKeyCommands(CLI::App& app);

}  // namespace coffer::cli
