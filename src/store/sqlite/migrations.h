// Versioned schema migrations, applied in order at start-up inside one transaction each.
#pragma once

#include "core/result.h"
#include "store/sqlite/connection.h"

namespace coffer::store::sqlite {

// Brings the schema to the newest version. Refuses a database from a newer Coffer.
Status ApplyMigrations(Connection& conn);

}  // namespace coffer::store::sqlite
