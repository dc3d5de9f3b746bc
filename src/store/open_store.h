// Opens the store a location names: a postgres:// or postgresql:// URL is a PostgreSQL database
// (several nodes may share it), anything else a SQLite database file (one node).
//
// PostgreSQL's password comes from the URL, from the file PGPASSFILE names (libpq reads it), or
// from the environment variable COFFER_STORE_PASSWORD, which keeps it off the command line.
// Errors name the location without its password.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace coffer::store {

struct StoreLocation {
  std::string location;  // a file path, or a PostgreSQL URL
  // How this process names itself to a database server (PostgreSQL's application_name), so an
  // operator's pg_stat_activity shows which node holds which session.
  std::string client_name = "coffer";
};

// Whether `location` is a PostgreSQL URL rather than a file path.
bool IsPostgresLocation(const std::string& location);

// `location` fit for a message or a log: a URL's password replaced by "***".
std::string DescribeStoreLocation(const std::string& location);

Result<std::unique_ptr<Store>> OpenStore(const StoreLocation& where);

}  // namespace coffer::store
