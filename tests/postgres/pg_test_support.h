// What every PostgreSQL engine test shares: the URL of the cluster the ctest fixture started
// (the file COFFER_TEST_PG_URL_FILE names), and a fresh database per test, dropped after it.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>

#include "store/postgres/postgres_store.h"

namespace coffer::testing {

// The cluster's URL (its database is "postgres"; the user is a superuser).
inline std::string ClusterUrl() {
  const char* file = std::getenv("COFFER_TEST_PG_URL_FILE");
  if (file == nullptr) return "";
  std::ifstream in(file);
  std::string url;
  std::getline(in, url);
  return url;
}

// `url` with its database replaced by `db`.
inline std::string WithDatabase(const std::string& url, const std::string& db) {
  const size_t slash = url.rfind('/');
  return url.substr(0, slash + 1) + db;
}

// The password the cluster's URL carries (user info), for checking that messages leave it out.
inline std::string ClusterPassword(const std::string& url) {
  const size_t start = url.find("://") + 3;
  const size_t colon = url.find(':', start);
  const size_t at = url.find('@', start);
  return url.substr(colon + 1, at - colon - 1);
}

// One SQL statement on the cluster outside any store: for setting up what a store must cope
// with. Returns the first column of the first row, or "" (fails the test on error).
inline std::string AdminQuery(const std::string& url, const std::string& sql) {
  PGconn* conn = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(conn), CONNECTION_OK) << "admin connection failed";
  PGresult* r = PQexec(conn, sql.c_str());
  const ExecStatusType status = PQresultStatus(r);
  EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn);
  std::string out = (status == PGRES_TUPLES_OK && PQntuples(r) > 0) ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  PQfinish(conn);
  return out;
}

// A fresh, empty database for one test, dropped (with any sessions left on it) afterwards.
class PostgresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("COFFER_TEST_PG_URL_FILE") == nullptr) {
      GTEST_SKIP() << "no PostgreSQL: run through ctest, which starts one, or set COFFER_TEST_PG_URL_FILE";
    }
    cluster_url_ = ClusterUrl();
    ASSERT_FALSE(cluster_url_.empty()) << "the file COFFER_TEST_PG_URL_FILE names holds no URL";
    std::random_device rd;
    std::uniform_int_distribution<uint64_t> dist;
    char name[40];
    std::snprintf(name, sizeof name, "coffer_test_%016llx", static_cast<unsigned long long>(dist(rd)));
    db_name_ = name;
    AdminQuery(cluster_url_, "CREATE DATABASE " + db_name_);
    url_ = WithDatabase(cluster_url_, db_name_);
  }
  void TearDown() override {
    if (db_name_.empty()) return;
    AdminQuery(cluster_url_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
  }

  store::postgres::PostgresOptions Options() const {
    store::postgres::PostgresOptions options;
    options.connection.url = url_;
    return options;
  }

  std::unique_ptr<store::postgres::PostgresStore> OpenStore() const {
    auto opened = store::postgres::PostgresStore::Open(Options());
    EXPECT_TRUE(opened.ok()) << (opened.ok() ? "" : opened.error().message);
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  std::string Sql(const std::string& sql) const { return AdminQuery(url_, sql); }

  std::string cluster_url_, db_name_, url_;
};

}  // namespace coffer::testing
