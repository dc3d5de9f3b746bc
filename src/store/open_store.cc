#include "store/open_store.h"

#include <cstdlib>

#include "store/postgres/postgres_store.h"
#include "store/postgres/postgres_url.h"
#include "store/sqlite/sqlite_store.h"

namespace coffer::store {

bool IsPostgresLocation(const std::string& location) { return postgres::IsPostgresUrl(location); }

std::string DescribeStoreLocation(const std::string& location) {
  return IsPostgresLocation(location) ? postgres::RedactPostgresUrl(location) : location;
}

Result<std::unique_ptr<Store>> OpenStore(const StoreLocation& where) {
  if (IsPostgresLocation(where.location)) {
    postgres::PostgresOptions options;
    options.connection.url = where.location;
    options.connection.application_name = where.client_name;
    if (const char* password = std::getenv("COFFER_STORE_PASSWORD"); password != nullptr && *password != '\0') {
      options.connection.password = password;
    }
    auto opened = postgres::PostgresStore::Open(options);
    if (!opened.ok()) return opened.error();
    return std::unique_ptr<Store>(std::move(opened).value());
  }
  auto opened = sqlite::SqliteStore::Open(where.location);
  if (!opened.ok()) return opened.error();
  return std::unique_ptr<Store>(std::move(opened).value());
}

}  // namespace coffer::store
