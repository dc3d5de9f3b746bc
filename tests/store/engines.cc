// The engine list. Adding an engine is one entry in EnginesUnderTest().
#include <libpq-fe.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "store/open_store.h"
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

// PostgreSQL: a fresh database per test on the throwaway cluster whose URL is in the file
// COFFER_TEST_PG_URL_FILE names (ctest starts the cluster first), dropped afterwards. Each Open()
// connects one more store to it: one more node.
class PostgresDatabase : public TestDatabase {
 public:
  PostgresDatabase() {
    const char* url_file = std::getenv("COFFER_TEST_PG_URL_FILE");
    if (url_file == nullptr) {
      problem_ = "no PostgreSQL: run through ctest, which starts one, or set COFFER_TEST_PG_URL_FILE";
      return;
    }
    std::ifstream in(url_file);
    std::getline(in, cluster_url_);
    std::random_device random;
    name_ = "conformance_" + std::to_string(random()) + std::to_string(random());
    if (!Admin("CREATE DATABASE " + name_)) {
      problem_ = "cannot create a database on the test cluster";
      name_.clear();
    }
  }
  ~PostgresDatabase() override {
    if (!name_.empty()) Admin("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  }

  Result<std::unique_ptr<Store>> Open() override {
    if (!problem_.empty()) return MakeError(ErrorCode::kUnavailable, problem_);
    return OpenStore({cluster_url_.substr(0, cluster_url_.rfind('/') + 1) + name_});
  }

 private:
  bool Admin(const std::string& sql) const {
    PGconn* conn = PQconnectdb(cluster_url_.c_str());
    bool ok = PQstatus(conn) == CONNECTION_OK;
    if (ok) {
      PGresult* result = PQexec(conn, sql.c_str());
      ok = PQresultStatus(result) == PGRES_COMMAND_OK;
      PQclear(result);
    }
    PQfinish(conn);
    return ok;
  }

  std::string cluster_url_, name_, problem_;
};

}  // namespace

std::vector<EngineUnderTest> EnginesUnderTest() {
  std::vector<EngineUnderTest> engines;
  engines.push_back({"sqlite", [] { return std::make_unique<SqliteDatabase>(); }});
  engines.push_back({"postgres", [] { return std::make_unique<PostgresDatabase>(); }});
  return engines;
}

}  // namespace coffer::store::conformance
