// Several coffer nodes on one PostgreSQL: each is a real `coffer serve --store postgres://...`
// process with its own data directory and the same root key, and whatever one node writes or
// revokes, the other sees on its very next request.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coffer_process.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "pg_node.h"
#include "pg_test_support.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

class PostgresNodesTest : public PostgresTest {
 protected:
  // A node on the shared database. The first one creates the org and its owner; the others use
  // the first one's root key file, as nodes behind one load balancer share one root key.
  std::unique_ptr<CofferServer> StartNode(const TempDir& dir, const std::string& root_key_file = "") {
    return StartPostgresNode(url_, dir.path(), root_key_file);
  }

  TempDir dir_a_, dir_b_;
};

// The database password is the one secret of the store: it never reaches the banner or a log.
TEST_F(PostgresNodesTest, ANodeServesFromPostgresAndNeverPrintsThePassword) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  EXPECT_EQ(a->stdout_text().find(ClusterPassword(url_)), std::string::npos) << a->stdout_text();
  EXPECT_NE(a->stdout_text().find("PostgreSQL"), std::string::npos) << a->stdout_text();
  const std::string owner = a->owner_token();
  ASSERT_FALSE(owner.empty());
  const json body = {{"type", "API_KEY"}, {"data", {{"key", "sk_live_on_postgres"}}}};
  EXPECT_EQ(a->Call(owner, "PUT", "/v0/vault/stripe", body).status, 201);
  auto read = a->Call(owner, "GET", "/v0/vault/stripe");
  EXPECT_EQ(read.status, 200);
  EXPECT_EQ(read.body["data"]["key"], "sk_live_on_postgres");
  a->Stop();
  EXPECT_EQ(a->stderr_text().find(ClusterPassword(url_)), std::string::npos) << a->stderr_text();
}

// A write answered by node A is read by node B on the very next request: nothing is cached.
TEST_F(PostgresNodesTest, AWriteOnOneNodeIsReadOnTheOtherByTheVeryNextRequest) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  auto b = StartNode(dir_b_, dir_a_.path() + "/root.key");
  ASSERT_TRUE(b->started());
  const std::string owner = a->owner_token();
  for (int version = 1; version <= 3; ++version) {
    const std::string value = "sk_live_v" + std::to_string(version);
    const json body = {{"type", "API_KEY"}, {"data", {{"key", value}}}};
    ASSERT_EQ(a->Call(owner, "PUT", "/v0/vault/shared", body).status, version == 1 ? 201 : 200);
    auto read = b->Call(owner, "GET", "/v0/vault/shared");
    ASSERT_EQ(read.status, 200) << read.body.dump();
    EXPECT_EQ(read.body["data"]["key"], value);
    EXPECT_EQ(read.body["version"], version);
  }
}

// Revoking an identity on one node fails its token on the other at once.
TEST_F(PostgresNodesTest, RevokingOnOneNodeFailsTheTokenOnTheOtherAtOnce) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  auto b = StartNode(dir_b_, dir_a_.path() + "/root.key");
  ASSERT_TRUE(b->started());
  const std::string owner = a->owner_token();
  auto agent = a->Call(owner, "POST", "/v0/identities", json{{"name", "agent"}, {"scopes", {"vault:read", "vault:write"}}});
  ASSERT_EQ(agent.status, 201) << agent.body.dump();
  const std::string agent_id = agent.body["id"];
  auto token = a->Call(owner, "POST", "/v0/identities/" + agent_id + "/tokens", json{{"name", "t"}});
  ASSERT_EQ(token.status, 201) << token.body.dump();
  const std::string agent_token = token.body["token"];
  ASSERT_EQ(b->Call(agent_token, "GET", "/v0/me").status, 200);

  ASSERT_EQ(a->Call(owner, "POST", "/v0/identities/" + agent_id + "/revoke").status, 200);
  EXPECT_EQ(b->Call(agent_token, "GET", "/v0/me").status, 401);
}

// Both nodes append to one audit chain, and it verifies.
TEST_F(PostgresNodesTest, BothNodesAppendToOneChainThatVerifies) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  auto b = StartNode(dir_b_, dir_a_.path() + "/root.key");
  ASSERT_TRUE(b->started());
  const std::string owner = a->owner_token();
  for (int i = 0; i < 20; ++i) {
    const json body = {{"type", "API_KEY"}, {"data", {{"key", "k" + std::to_string(i)}}}};
    CofferServer& node = i % 2 == 0 ? *a : *b;
    ASSERT_EQ(node.Call(owner, "PUT", "/v0/vault/c" + std::to_string(i), body).status, 201);
  }
  auto verified = b->Call(owner, "GET", "/v0/audit/verify");
  ASSERT_EQ(verified.status, 200) << verified.body.dump();
  EXPECT_EQ(verified.body["ok"], true) << verified.body.dump();
}

// kill -9 of one of two nodes under mixed load from several clients loses nothing: every request
// answered 2xx has its data and its audit record, and the chain verifies.
TEST_F(PostgresNodesTest, KillNineOfOneNodeUnderLoadLosesNoAnsweredWriteNorItsRecord) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  auto b = StartNode(dir_b_, dir_a_.path() + "/root.key");
  ASSERT_TRUE(b->started());
  const std::string owner = a->owner_token();
  std::mutex mutex;
  std::map<std::string, std::string> acknowledged;
  std::atomic<int> acks{0};
  std::atomic<bool> b_killed{false};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; i < 60; ++i) {
        // Half the clients write through B until it dies, then through A, as a load balancer would.
        CofferServer& node = (t % 2 == 1 && !b_killed.load()) ? *b : *a;
        const std::string name = "k" + std::to_string(t) + "-" + std::to_string(i);
        const std::string value = "sk_live_" + name;
        // Sent without Call's expectation of an answer: a request in flight to B when it dies
        // gets none, and is simply not acknowledged.
        auto client = node.Client(owner);
        const std::string body = json{{"type", "API_KEY"}, {"data", {{"key", value}}}}.dump();
        auto put = client.Send("PUT", "/v0/vault/" + name, body);
        if (put.ok() && (put->status == 200 || put->status == 201)) {
          std::lock_guard lock(mutex);
          acknowledged[name] = value;
          ++acks;
        }
        (void)client.Send("GET", "/v0/vault/" + name, std::nullopt);  // reads in the mix
      }
    });
  }
  for (int poll = 0; poll < 600 && acks.load() < 60; ++poll) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  b_killed = true;
  b->Stop(9);
  for (auto& c : clients) c.join();

  ASSERT_FALSE(acknowledged.empty());
  for (const auto& [name, value] : acknowledged) {
    auto read = a->Call(owner, "GET", "/v0/vault/" + name);
    ASSERT_EQ(read.status, 200) << name << " was acknowledged and is gone";
    EXPECT_EQ(read.body["data"]["key"], value);
    auto records = a->Call(owner, "GET", "/v0/audit?action=credential.create&name=" + name);
    ASSERT_EQ(records.status, 200) << records.body.dump();
    EXPECT_EQ(records.body["events"].size(), 1u) << name << ": " << records.body.dump();
  }
  auto verified = a->Call(owner, "GET", "/v0/audit/verify");
  ASSERT_EQ(verified.status, 200) << verified.body.dump();
  EXPECT_EQ(verified.body["ok"], true) << verified.body.dump();
}

// A KEK rotated on one node is used by the other at once: it opens what was sealed under the new
// KEK, and seals its own writes under it, so the old KEK empties and can be retired.
TEST_F(PostgresNodesTest, AKekRotatedOnOneNodeIsUsedByTheOtherForReadsAndWrites) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  auto b = StartNode(dir_b_, dir_a_.path() + "/root.key");
  ASSERT_TRUE(b->started());
  const std::string owner = a->owner_token();
  const json body = {{"type", "API_KEY"}, {"data", {{"key", "sk_live_before"}}}};
  ASSERT_EQ(a->Call(owner, "PUT", "/v0/vault/before", body).status, 201);
  ASSERT_EQ(b->Call(owner, "GET", "/v0/vault/before").status, 200);  // B holds KEK 1 only

  auto rotated = a->Call(owner, "POST", "/v0/keys/rotate");
  ASSERT_EQ(rotated.status, 200) << rotated.body.dump();
  ASSERT_EQ(rotated.body["kekVersion"], 2);
  json status;
  for (int poll = 0; poll < 200; ++poll) {  // the re-wrap runs in the background
    status = a->Call(owner, "GET", "/v0/keys/status").body;
    if (status["rewrap"]["state"] == "finished") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(status["rewrap"]["state"], "finished") << status.dump();

  // "before" is now wrapped under KEK 2, which B has never loaded.
  auto read = b->Call(owner, "GET", "/v0/vault/before");
  ASSERT_EQ(read.status, 200) << read.body.dump();
  EXPECT_EQ(read.body["data"]["key"], "sk_live_before");

  // B seals under KEK 2 too: KEK 1 keeps no DEK, so it can be retired.
  const json from_b = {{"type", "API_KEY"}, {"data", {{"key", "sk_live_from_b"}}}};
  ASSERT_EQ(b->Call(owner, "PUT", "/v0/vault/from-b", from_b).status, 201);
  status = a->Call(owner, "GET", "/v0/keys/status").body;
  for (const auto& kek : status["keks"]) {
    if (kek["version"] == 1) {
      EXPECT_EQ(kek["deks"], 0) << status.dump();
    }
  }
  auto retired = a->Call(owner, "POST", "/v0/keys/retire", json{{"version", 1}});
  EXPECT_EQ(retired.status, 200) << retired.body.dump();
  EXPECT_EQ(a->Call(owner, "GET", "/v0/vault/from-b").body["data"]["key"], "sk_live_from_b");
}

// Two nodes started at the same moment on an empty database, with the same root key: one sets it
// up, the other joins it, and both serve the one owner.
TEST_F(PostgresNodesTest, TwoNodesStartedTogetherOnAnEmptyDatabaseBothServeOneOrg) {
  TempDir keys;
  const std::string key_file = keys.path() + "/root.key";
  {
    // A 256-bit key file as `coffer serve` writes one: base64, mode 0600.
    const std::string text = crypto::Base64Encode(crypto::RandomBytes(32));
    std::FILE* f = std::fopen(key_file.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fprintf(f, "%s\n", text.c_str());
    std::fclose(f);
    ::chmod(key_file.c_str(), 0600);
  }
  std::unique_ptr<CofferServer> a, b;
  std::thread start_a([&] { a = StartNode(dir_a_, key_file); });
  std::thread start_b([&] { b = StartNode(dir_b_, key_file); });
  start_a.join();
  start_b.join();
  ASSERT_TRUE(a->started()) << a->stderr_text();
  ASSERT_TRUE(b->started()) << b->stderr_text();
  const bool a_set_up = a->stdout_text().find("shown once") != std::string::npos;
  const bool b_set_up = b->stdout_text().find("shown once") != std::string::npos;
  EXPECT_NE(a_set_up, b_set_up) << "exactly one node should have created the owner";
  const std::string owner = a_set_up ? a->owner_token() : b->owner_token();
  const json body = {{"type", "API_KEY"}, {"data", {{"key", "sk_live_together"}}}};
  ASSERT_EQ(a->Call(owner, "PUT", "/v0/vault/together", body).status, 201);
  EXPECT_EQ(b->Call(owner, "GET", "/v0/vault/together").body["data"]["key"], "sk_live_together");
  EXPECT_EQ(Sql("SELECT count(*) FROM orgs"), "1");
}

// Password guesses are counted across nodes: spreading them over two nodes buys no extra tries,
// and the lockout holds on both, with the right password too.
TEST_F(PostgresNodesTest, FailedLoginsOnBothNodesCountTogether) {
  auto a = StartNode(dir_a_);
  ASSERT_TRUE(a->started());
  auto b = StartNode(dir_b_, dir_a_.path() + "/root.key");
  ASSERT_TRUE(b->started());
  const std::string owner = a->owner_token();
  const json dana = {{"username", "dana"}, {"password", "dana's long password"}, {"role", "member"}};
  ASSERT_EQ(a->Call(owner, "POST", "/v0/humans", dana).status, 201);
  // Four wrong guesses on each node: five free attempts in all, so the lockout starts on the way.
  std::vector<long> answers;
  for (int i = 0; i < 8; ++i) {
    CofferServer& node = i % 2 == 0 ? *a : *b;
    const json guess = {{"username", "dana"}, {"password", "guess-" + std::to_string(i)}};
    answers.push_back(node.Call("", "POST", "/v0/auth/login", guess).status);
  }
  EXPECT_EQ(answers.front(), 401);
  EXPECT_EQ(answers.back(), 429) << "guesses spread over two nodes were not counted together";
  const json right = {{"username", "dana"}, {"password", "dana's long password"}};
  EXPECT_EQ(a->Call("", "POST", "/v0/auth/login", right).status, 429);
  EXPECT_EQ(b->Call("", "POST", "/v0/auth/login", right).status, 429);
}

}  // namespace
}  // namespace coffer::testing
