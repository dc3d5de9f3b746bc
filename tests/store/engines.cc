// The engine list. Adding an engine is one entry in EnginesUnderTest().
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "engine_under_test.h"

namespace coffer::store::conformance {
namespace {

// SQLite: a temporary directory per test, holding one database file.
class SqliteDatabase : public TestDatabase {
 public:
  SqliteDatabase() {
    std::string pattern = (std::filesystem::temp_directory_path() / "coffer-conformance-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~SqliteDatabase() override {
    std::error_code ignored;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
  }

  Result<std::unique_ptr<Store>> Open() override {
    if (dir_.empty()) return MakeError(ErrorCode::kUnavailable, "cannot make a temporary directory");
    auto store = sqlite::SqliteStore::Open((dir_ / "coffer.db").string());
    if (!store.ok()) return store.error();
    return std::unique_ptr<Store>(std::move(store).value());
  }

 private:
  std::filesystem::path dir_;
};

}  // namespace

std::vector<EngineUnderTest> EnginesUnderTest() {
  std::vector<EngineUnderTest> engines;
  engines.push_back({"sqlite", [] { return std::make_unique<SqliteDatabase>(); }});
  // PostgreSQL goes here, as one more entry, when its engine exists: when COFFER_TEST_PG_URL_FILE
  // names a file, read the server's URL from it (tests/postgres/pg_cluster.sh starts a throwaway
  // server on loopback), and make a PostgresDatabase that creates a fresh database per test (and
  // drops it when destroyed), whose Open() connects one more store (one more node) to it:
  //   if (const char* url_file = std::getenv("COFFER_TEST_PG_URL_FILE")) {
  //     engines.push_back({"postgres", [url = ReadUrl(url_file)] { return PostgresDatabase::Create(url); }});
  //   }
  return engines;
}

}  // namespace coffer::store::conformance
