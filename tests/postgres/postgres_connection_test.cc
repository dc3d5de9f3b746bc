// Connecting, migrating and failing on PostgreSQL: migrations on a fresh database, refusal of a
// newer schema, nodes migrating at once, passwords kept out of every message, kUnavailable for a
// database that cannot be reached, and a node that reconnects by itself.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "pg_test_support.h"
#include "store/open_store.h"
#include "store/postgres/migrations.h"
#include "store/postgres/postgres_url.h"

namespace coffer::testing {
namespace {

using store::postgres::PostgresStore;

class PostgresConnectionTest : public PostgresTest {};

TEST_F(PostgresConnectionTest, AFreshDatabaseIsMigratedAndReopensUnchanged) {
  {
    auto s = OpenStore();
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->engine(), "postgres");
  }
  EXPECT_EQ(Sql("SELECT max(version) FROM schema_migrations"),
            std::to_string(store::postgres::KnownSchemaVersion()));
  EXPECT_EQ(Sql("SELECT count(*) FROM audit_tip"), "1");
  auto again = OpenStore();
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(Sql("SELECT count(*) FROM schema_migrations"), std::to_string(store::postgres::KnownSchemaVersion()));
  // Names compare as bytes whatever the database's locale.
  EXPECT_EQ(Sql("SELECT collation_name FROM information_schema.columns WHERE table_name = 'credentials' "
                "AND column_name = 'name'"),
            "C");
}

TEST_F(PostgresConnectionTest, ADatabaseFromANewerCofferIsRefused) {
  ASSERT_NE(OpenStore(), nullptr);
  Sql("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)");
  auto refused = PostgresStore::Open(Options());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(refused.error().message.find("the database schema is version 999, newer than this Coffer understands"),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("upgrade Coffer"), std::string::npos);
}

TEST_F(PostgresConnectionTest, NodesStartingTogetherApplyEachMigrationOnce) {
  constexpr int kNodes = 6;
  std::vector<std::thread> nodes;
  std::vector<Status> outcomes(kNodes);
  for (int i = 0; i < kNodes; ++i) {
    nodes.emplace_back([&, i] {
      auto opened = PostgresStore::Open(Options());
      outcomes[static_cast<size_t>(i)] = opened.ok() ? Status::Ok() : Status(opened.error());
    });
  }
  for (auto& t : nodes) t.join();
  for (const auto& o : outcomes) EXPECT_TRUE(o.ok()) << o.error().message;
  EXPECT_EQ(Sql("SELECT count(*) FROM schema_migrations"), std::to_string(store::postgres::KnownSchemaVersion()));
}

TEST_F(PostgresConnectionTest, AWrongPasswordIsUnavailableAndNeverEchoed) {
  const std::string password = ClusterPassword(url_);
  const std::string wrong = "Wr0ngSecretPassw0rd";
  std::string url = url_;
  url.replace(url.find(password), password.size(), wrong);
  auto opened = PostgresStore::Open({.connection = {.url = url}});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().message.find("the database is unavailable"), std::string::npos) << opened.error().message;
  EXPECT_EQ(opened.error().message.find(wrong), std::string::npos) << opened.error().message;
  EXPECT_EQ(opened.error().message.find(password), std::string::npos);
  EXPECT_NE(opened.error().message.find("***"), std::string::npos);  // the URL, redacted
}

TEST_F(PostgresConnectionTest, AnUnreachablePortIsUnavailableWithoutThePassword) {
  // A port nothing listens on: bound and released again.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  ::close(fd);
  const std::string password = ClusterPassword(url_);
  const std::string url = "postgres://coffer:" + password + "@127.0.0.1:" + std::to_string(port) + "/" + db_name_;
  auto opened = store::OpenStore({url});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(opened.error().message.find("the database is unavailable"), std::string::npos) << opened.error().message;
  EXPECT_EQ(opened.error().message.find(password), std::string::npos) << opened.error().message;
}

TEST_F(PostgresConnectionTest, ThePasswordCanComeFromCofferStorePassword) {
  const std::string password = ClusterPassword(url_);
  std::string url = url_;
  url.erase(url.find(":" + password), password.size() + 1);  // postgres://coffer@host:port/db
  ASSERT_EQ(url.find(password), std::string::npos);
  ::setenv("COFFER_STORE_PASSWORD", password.c_str(), 1);
  auto opened = store::OpenStore({url});
  ::unsetenv("COFFER_STORE_PASSWORD");
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ((*opened)->engine(), "postgres");
  // libpq reports the session's application_name; the timeout and durability are set per session.
  EXPECT_TRUE((*opened)->Write([](store::WriteTransaction& txn) { return txn.InsertOrg({"org_1", "acme", 1}); }).ok());
  EXPECT_EQ(Sql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'coffer' AND datname = '" +
                db_name_ + "'") != "0",
            true);
}

TEST_F(PostgresConnectionTest, TheFactoryOpensSqliteForAFilePath) {
  char dir[] = "/tmp/coffer-open-store-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/coffer.db";
  auto opened = store::OpenStore({path});
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ((*opened)->engine(), "sqlite");
  opened = Error{ErrorCode::kInternal, ""};
  for (const char* suffix : {"", "-wal", "-shm"}) ::unlink((path + suffix).c_str());
  ::rmdir(dir);
}

TEST_F(PostgresConnectionTest, ANodeReconnectsByItselfAfterItsSessionsAreKilled) {
  auto s = OpenStore();
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->Write([](store::WriteTransaction& txn) { return txn.InsertOrg({"org_1", "acme", 1}); }).ok());
  ASSERT_TRUE(s->BeginRead()->ListOrgs().ok());  // leaves a pooled reader
  // As an administrator's pg_terminate_backend or a server restart would: every session goes.
  Sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" + db_name_ +
      "' AND pid <> pg_backend_pid()");
  Status written = s->Write([](store::WriteTransaction& txn) { return txn.InsertOrg({"org_2", "beta", 2}); });
  EXPECT_TRUE(written.ok()) << written.error().message;
  auto orgs = s->BeginRead()->ListOrgs();
  ASSERT_TRUE(orgs.ok()) << orgs.error().message;
  EXPECT_EQ(orgs->size(), 2u);
}

TEST(PostgresUrlTest, PasswordsAreRedactedWhereverTheUrlCarriesThem) {
  using store::postgres::PasswordsInUrl;
  using store::postgres::RedactPostgresUrl;
  EXPECT_EQ(RedactPostgresUrl("postgres://u:s3cret@db:5432/coffer"), "postgres://u:***@db:5432/coffer");
  EXPECT_EQ(RedactPostgresUrl("postgresql://u@db/coffer"), "postgresql://u@db/coffer");
  EXPECT_EQ(RedactPostgresUrl("postgres://db/coffer?sslmode=require&password=pw1"),
            "postgres://db/coffer?sslmode=require&password=***");
  EXPECT_EQ(RedactPostgresUrl("postgres://u:p%40ss@db/c"), "postgres://u:***@db/c");
  EXPECT_EQ(PasswordsInUrl("postgres://u:p%40ss@db/c"), (std::vector<std::string>{"p@ss", "p%40ss"}));
  EXPECT_EQ(RedactPostgresUrl("postgres://u:a:b@c@db/c"), "postgres://u:***@db/c");
  EXPECT_TRUE(store::IsPostgresLocation("postgresql://x"));
  EXPECT_FALSE(store::IsPostgresLocation("./coffer-data/coffer.db"));
  EXPECT_EQ(store::DescribeStoreLocation("postgres://u:pw@h/d"), "postgres://u:***@h/d");
}

}  // namespace
}  // namespace coffer::testing
