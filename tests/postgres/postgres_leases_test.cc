// Background work on two real nodes sharing one PostgreSQL: the KEK re-wrap runs on the node that
// holds its lease, a dead holder's lease expires and the other node finishes the work, and a
// holder paused past its lease (SIGSTOP) wakes up to find the work taken over and writes nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "coffer_process.h"
#include "pg_node.h"
#include "pg_test_support.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

// Credentials to re-wrap: with one DEK per batch, the re-wrap lasts long enough to be interrupted.
constexpr int kCredentials = 400;

class PostgresLeasesTest : public PostgresTest {
 protected:
  std::unique_ptr<CofferServer> StartNode(const TempDir& dir, const std::string& name,
                                          const std::string& root_key_file = "") {
    return StartPostgresNode(url_, dir.path(), root_key_file,
                             {"--node-name", name, "--lease-seconds", "2", "--rewrap-batch-size", "1"});
  }

  // PostgreSQL's own record of what each node wrote: every modifying statement on this test's
  // database goes to the cluster's log, under the node's name (application_name "coffer NODE").
  void LogEveryWriteByNode() {
    Sql("ALTER DATABASE " + db_name_ + " SET log_statement = 'mod'");
    AdminQuery(cluster_url_, "ALTER SYSTEM SET log_line_prefix = '%m [%p] app=%a '");
    AdminQuery(cluster_url_, "SELECT pg_reload_conf()");
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // every backend rereads it
  }
  static std::string ServerLogPath() {
    const std::string dir = std::filesystem::path(std::getenv("COFFER_TEST_PG_URL_FILE")).parent_path();
    std::string cluster = ReadFile(dir + "/cluster-path");
    while (!cluster.empty() && cluster.back() == '\n') cluster.pop_back();
    return cluster + "/server.log";
  }
  // The lines of the cluster's log from byte `from` on in which node `holder` changed the
  // credentials or the re-wrap's progress: work under the re-wrap lease.
  static std::vector<std::string> RewrapWritesBy(const std::string& holder, size_t from) {
    const std::string log = ReadFile(ServerLogPath());
    std::vector<std::string> lines;
    size_t at = std::min(from, log.size());
    while (at < log.size()) {
      size_t end = log.find('\n', at);
      if (end == std::string::npos) end = log.size();
      const std::string line = log.substr(at, end - at);
      if (line.find("app=coffer " + holder) != std::string::npos &&
          (line.find("UPDATE credential_versions") != std::string::npos ||
           line.find("kek_rewrap_jobs") != std::string::npos)) {
        lines.push_back(line);
      }
      at = end + 1;
    }
    return lines;
  }

  void StartBothNodes() {
    a_ = StartNode(dir_a_, "node-a");
    ASSERT_TRUE(a_->started());
    b_ = StartNode(dir_b_, "node-b", dir_a_.path() + "/root.key");
    ASSERT_TRUE(b_->started());
    owner_ = a_->owner_token();
  }

  void StoreCredentials() {
    std::vector<std::thread> writers;
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([this, w] {
        for (int i = w; i < kCredentials; i += 4) {
          const json body = {{"type", "API_KEY"}, {"data", {{"key", Value(i)}}}};
          ASSERT_EQ(a_->Call(owner_, "PUT", "/v0/vault/c" + std::to_string(i), body).status, 201);
        }
      });
    }
    for (auto& w : writers) w.join();
  }
  static std::string Value(int i) { return "sk_live_value_" + std::to_string(i); }

  // The node that holds `lease` in the store right now ("" when nobody does), and its token.
  std::string Holder(const std::string& lease) {
    return Sql("SELECT holder FROM leases WHERE name = '" + lease +
               "' AND expires_at > (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT");
  }
  int64_t Token(const std::string& lease) {
    std::string token = Sql("SELECT token FROM leases WHERE name = '" + lease + "'");
    return token.empty() ? 0 : std::stoll(token);
  }
  CofferServer& NodeNamed(const std::string& holder) {
    return holder.rfind("node-a:", 0) == 0 ? *a_ : *b_;
  }
  CofferServer& OtherThan(const std::string& holder) {
    return holder.rfind("node-a:", 0) == 0 ? *b_ : *a_;
  }

  json Rewrap(CofferServer& node) {
    auto status = node.Call(owner_, "GET", "/v0/keys/status");
    EXPECT_EQ(status.status, 200) << status.body.dump();
    return status.body["rewrap"];
  }
  // Polls until `done` holds of the re-wrap's progress (or about a minute has passed).
  json WaitForRewrap(CofferServer& node, const std::function<bool(const json&)>& done) {
    json rewrap;
    for (int poll = 0; poll < 3000; ++poll) {
      rewrap = Rewrap(node);
      if (done(rewrap)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return rewrap;
  }

  // Every value reads back, and every DEK was re-wrapped exactly once: the job counts each DEK it
  // moved, and KEK 1 wraps none any more.
  void ExpectEveryDekRewrappedOnce(CofferServer& node) {
    json status = node.Call(owner_, "GET", "/v0/keys/status").body;
    EXPECT_EQ(status["rewrap"]["state"], "finished") << status.dump();
    EXPECT_EQ(status["rewrap"]["rewrapped"], kCredentials) << status.dump();
    for (const auto& kek : status["keks"]) {
      if (kek["version"] == 1) {
        EXPECT_EQ(kek["deks"], 0) << status.dump();
      }
    }
    EXPECT_EQ(Sql("SELECT count(*) FROM key_events WHERE kind = 'rewrap_finished'"), "1");
    for (int i = 0; i < kCredentials; i += 37) {
      auto read = node.Call(owner_, "GET", "/v0/vault/c" + std::to_string(i));
      ASSERT_EQ(read.status, 200) << read.body.dump();
      EXPECT_EQ(read.body["data"]["key"], Value(i));
    }
  }

  TempDir dir_a_, dir_b_;
  std::unique_ptr<CofferServer> a_, b_;
  std::string owner_;
};

// A KEK rotated on the node without the lease is re-wrapped by the one with it; kill -9 of that
// node in the middle lets the other finish, each DEK once.
TEST_F(PostgresLeasesTest, KillNineOfTheNodeReWrappingLetsTheOtherFinishEachDekOnce) {
  StartBothNodes();
  StoreCredentials();
  const std::string holder = Holder("keys.rewrap");
  ASSERT_FALSE(holder.empty()) << "no node took the re-wrap lease";
  const int64_t token = Token("keys.rewrap");

  auto rotated = OtherThan(holder).Call(owner_, "POST", "/v0/keys/rotate");
  ASSERT_EQ(rotated.status, 200) << rotated.body.dump();
  json progress = WaitForRewrap(OtherThan(holder), [](const json& r) { return r["rewrapped"] > 0; });
  ASSERT_GT(progress["rewrapped"], 0) << "the lease holder never picked up the job: " << progress.dump();
  ASSERT_NE(progress["state"], "finished") << "too quick to interrupt: " << progress.dump();
  EXPECT_EQ(Holder("keys.rewrap"), holder) << "the lease moved while its holder was working";

  NodeNamed(holder).Stop(9);
  CofferServer& survivor = OtherThan(holder);
  progress = WaitForRewrap(survivor, [](const json& r) { return r["state"] == "finished"; });
  ASSERT_EQ(progress["state"], "finished") << progress.dump() << survivor.stderr_text();
  EXPECT_NE(Holder("keys.rewrap"), holder);
  EXPECT_EQ(Token("keys.rewrap"), token + 1) << "the lease changed hands other than once";
  ExpectEveryDekRewrappedOnce(survivor);
}

// A holder stopped with SIGSTOP past its lease, then continued, finds the work taken over: it
// stops, never takes the lease back while the other node holds it, and writes nothing.
TEST_F(PostgresLeasesTest, AHolderPausedPastItsLeaseWritesNothingWhenItResumes) {
  LogEveryWriteByNode();
  StartBothNodes();
  StoreCredentials();
  const std::string holder = Holder("keys.rewrap");
  ASSERT_FALSE(holder.empty());
  const int64_t token = Token("keys.rewrap");
  CofferServer& paused = NodeNamed(holder);
  CofferServer& other = OtherThan(holder);

  ASSERT_EQ(other.Call(owner_, "POST", "/v0/keys/rotate").status, 200);
  json progress = WaitForRewrap(other, [](const json& r) { return r["rewrapped"] > 0; });
  ASSERT_GT(progress["rewrapped"], 0) << progress.dump();
  ASSERT_NE(progress["state"], "finished") << "too quick to interrupt: " << progress.dump();
  ASSERT_FALSE(RewrapWritesBy(holder, 0).empty()) << "the log does not show the holder's re-wrap writes";

  paused.Signal(SIGSTOP);
  // The other node takes the lease over once it expires (or once PostgreSQL ends a transaction
  // the paused node left open), and carries the re-wrap on.
  std::string taken_by;
  for (int poll = 0; poll < 600 && (taken_by.empty() || taken_by == holder); ++poll) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    taken_by = Holder("keys.rewrap");
  }
  ASSERT_FALSE(taken_by.empty() || taken_by == holder) << "the lease never left the paused node";
  const int64_t new_token = Token("keys.rewrap");
  EXPECT_EQ(new_token, token + 1);
  const int64_t rewrapped_at_takeover = Rewrap(other)["rewrapped"];
  WaitForRewrap(other, [&](const json& r) { return r["rewrapped"] > rewrapped_at_takeover || r["state"] == "finished"; });

  const size_t log_at_resume = ReadFile(ServerLogPath()).size();
  paused.Signal(SIGCONT);
  progress = WaitForRewrap(other, [](const json& r) { return r["state"] == "finished"; });
  ASSERT_EQ(progress["state"], "finished") << progress.dump();
  // Give the resumed node time for several of its ticks and batches.
  std::this_thread::sleep_for(std::chrono::seconds(3));

  const auto stale_writes = RewrapWritesBy(holder, log_at_resume);
  EXPECT_TRUE(stale_writes.empty()) << "the resumed node wrote under its lost lease, first:\n" << stale_writes.front();
  EXPECT_EQ(Holder("keys.rewrap"), taken_by) << "the resumed node took the lease back";
  EXPECT_EQ(Token("keys.rewrap"), new_token) << "the lease changed hands again";
  const std::string log = paused.stderr_text();
  EXPECT_TRUE(log.find("lost the lease on keys.rewrap") != std::string::npos ||
              log.find("the database is unavailable") != std::string::npos)
      << "the resumed node did not notice it lost the lease:\n" << log;
  EXPECT_EQ(log.find(" is finished"), std::string::npos) << "the resumed node finished the re-wrap:\n" << log;
  ExpectEveryDekRewrappedOnce(other);
  // And it still serves requests, as a node without the lease does.
  EXPECT_EQ(paused.Call(owner_, "GET", "/v0/vault/c1").status, 200);
}

// coffer status names the engine, the node that answered, and who holds each lease.
TEST_F(PostgresLeasesTest, StatusNamesTheEngineTheNodeAndEachLeaseHolder) {
  StartBothNodes();
  auto status = b_->Call(owner_, "GET", "/v0/status");
  ASSERT_EQ(status.status, 200) << status.body.dump();
  EXPECT_EQ(status.body["storage"]["engine"], "postgres");
  EXPECT_EQ(status.body["storage"]["node"].get<std::string>().rfind("node-b:", 0), 0u) << status.body.dump();
  bool saw_rewrap = false;
  for (const auto& lease : status.body["storage"]["leases"]) {
    if (lease["name"] != "keys.rewrap") continue;
    saw_rewrap = true;
    EXPECT_EQ(lease["holder"], Holder("keys.rewrap"));
    EXPECT_EQ(lease["held"], true);
  }
  EXPECT_TRUE(saw_rewrap) << status.body.dump();
  auto cli = RunCoffer({"status"}, {{"COFFER_ADDR", b_->url()}, {"COFFER_TOKEN", owner_}});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("Lease keys.rewrap: held by node-"), std::string::npos) << cli.out;
  EXPECT_NE(cli.out.find("Storage: postgres"), std::string::npos) << cli.out;
}

}  // namespace
}  // namespace coffer::testing
