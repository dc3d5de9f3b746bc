// `coffer keys rotate-root` on the database several nodes share: refused while any node runs (its
// leases say so), and once every node is stopped, every KEK re-wrapped under a new root key that
// both nodes then start with, and the old key opens nothing.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "coffer_process.h"
#include "pg_node.h"
#include "pg_test_support.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

class PostgresRootRotationTest : public PostgresTest {
 protected:
  std::unique_ptr<CofferServer> StartNode(const TempDir& dir, const std::string& root_key_file = "",
                                          bool expect_start = true) {
    return StartPostgresNode(url_, dir.path(), root_key_file, {}, expect_start);
  }
  CommandResult RotateRoot() {
    return RunCoffer({"keys", "rotate-root", "--store", url_, "--data-dir", dir_a_.path()});
  }

  TempDir dir_a_, dir_b_;
};

TEST_F(PostgresRootRotationTest, RefusedWhileANodeRunsThenRotatesEveryKekForEveryNode) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started()) << a->stderr_text();
  const std::string key_file = dir_a_.path() + "/root.key";
  auto b = StartNode(dir_b_, key_file);
  ASSERT_TRUE(b->started()) << b->stderr_text();
  const std::string owner = a->owner_token();
  ASSERT_EQ(a->Call(owner, "PUT", "/v0/vault/stripe", json{{"type", "API_KEY"}, {"data", {{"key", "sk_live_1"}}}}).status,
            201);
  ASSERT_EQ(a->Call(owner, "POST", "/v0/keys/rotate").status, 200);  // two KEK versions to re-wrap

  // Node B still runs: its leases (or A's, renewed) say a node is up.
  a->Stop();
  auto busy = RotateRoot();
  EXPECT_NE(busy.exit_code, 0);
  EXPECT_NE(busy.err.find("stop every node first"), std::string::npos) << busy.err;
  EXPECT_EQ(busy.err.find(ClusterPassword(url_)), std::string::npos) << busy.err;
  const std::string old_key = ReadFile(key_file);

  b->Stop();  // a clean stop lets its leases go at once
  auto rotated = RotateRoot();
  ASSERT_EQ(rotated.exit_code, 0) << rotated.err;
  EXPECT_NE(rotated.out.find("2 KEK(s) re-wrapped"), std::string::npos) << rotated.out;
  EXPECT_NE(rotated.out.find("Start every node with"), std::string::npos) << rotated.out;
  EXPECT_EQ(rotated.out.find(ClusterPassword(url_)), std::string::npos) << rotated.out;
  EXPECT_NE(ReadFile(key_file), old_key);

  // Both nodes start with the new key and read what was stored under the old one.
  a = StartNode(dir_a_);
  ASSERT_TRUE(a->started()) << a->stderr_text();
  b = StartNode(dir_b_, key_file);
  ASSERT_TRUE(b->started()) << b->stderr_text();
  auto read = b->Call(owner, "GET", "/v0/vault/stripe");
  ASSERT_EQ(read.status, 200) << read.body.dump();
  EXPECT_EQ(read.body["data"]["key"], "sk_live_1");
  auto verified = b->Call(owner, "GET", "/v0/audit/verify");
  EXPECT_EQ(verified.body["ok"], true) << verified.body.dump();

  // The old key opens nothing any more: a node given it refuses to start.
  b->Stop();
  TempDir old_dir;
  const std::string old_key_file = old_dir.path() + "/old.key";
  {
    std::FILE* f = std::fopen(old_key_file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs(old_key.c_str(), f);
    std::fclose(f);
  }
  auto stale = StartNode(dir_b_, old_key_file, /*expect_start=*/false);
  EXPECT_NE(stale->WaitForExit(), 0);
  EXPECT_NE(stale->stderr_text().find("root key"), std::string::npos) << stale->stderr_text();
}

TEST_F(PostgresRootRotationTest, StoreMustBeAPostgresUrl) {
  auto refused = RunCoffer({"keys", "rotate-root", "--store", dir_a_.path() + "/coffer.db"});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("postgres://"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace coffer::testing
