// `coffer migrate --from SRC --to DST`: moves a whole Coffer between engines (a SQLite data
// directory, a PostgreSQL database) with every server on the source stopped. The copy itself is
// engine-agnostic (store/store_copy.h); this command opens the stores and the root key, refuses
// what must not be copied, prints progress, verifies the copy with the root key
// (vault/copy_verification.h), and tells the operator how the new nodes find the root key.
#pragma once

#include <CLI/CLI.hpp>

namespace coffer::server {

void AddMigrateCommand(CLI::App& app);

}  // namespace coffer::server
