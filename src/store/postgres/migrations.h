// Versioned schema migrations for PostgreSQL, applied at start-up inside one transaction each.
// Numbered independently of SQLite's: migration 1 is the whole schema SQLite reached in its 7.
#pragma once

#include "core/result.h"
#include "store/postgres/connection.h"

namespace coffer::store::postgres {

// Brings the schema to the newest version. Refuses a database from a newer Coffer. Safe when
// several nodes start at once: each migration is applied by one of them, under an advisory lock.
Status ApplyMigrations(Connection& conn);

// How many migrations this binary knows (the schema version it brings a database to).
int KnownSchemaVersion();

}  // namespace coffer::store::postgres
