// `coffer keys rotate-root`: re-wraps every KEK under a new root key, offline, on a data directory
// whose server is stopped. Offline because the new root key is a secret of its own (a key file, a
// passphrase, an HSM key) that belongs with the operator at the machine, not in an API request.
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::server {

// Adds `rotate-root` under `keys`; call after cli::AddKeyCommands.
void AddRotateRootCommand(CLI::App& app);

}  // namespace coffer::server
