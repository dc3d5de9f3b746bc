// PostgreSQL restarted under load: while the database is down a node answers 503, never a wrong
// answer and never a hang past its timeouts; once it is back the node serves again without a
// restart of its own; and no write it acknowledged is lost. The test runs its own cluster, since
// the one the other tests share must stay up.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "coffer_process.h"
#include "pg_test_support.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

int Cluster(const std::string& verb, const std::string& dir) {
  const std::string command = "bash " COFFER_PG_CLUSTER_SCRIPT " " + verb + " " + dir + " >/dev/null 2>&1";
  return std::system(command.c_str());
}

TEST(PostgresRestartTest, ARestartUnderLoadGives503sThenServiceAgainAndLosesNoAcknowledgedWrite) {
  TempDir cluster, node_dir;
  ASSERT_EQ(Cluster("start", cluster.path()), 0);
  const std::string cluster_url = ReadFile(cluster.path() + "/url").substr(0, ReadFile(cluster.path() + "/url").find('\n'));
  AdminQuery(cluster_url, "CREATE DATABASE restart_test");
  ServerOptions options;
  options.extra_args = {"--store", WithDatabase(cluster_url, "restart_test")};
  CofferServer node(node_dir.path(), options);
  ASSERT_TRUE(node.started()) << node.stderr_text();
  const std::string owner = node.owner_token();

  // Writers that never stop on an error: each PUT is answered 2xx (acknowledged) or 503.
  std::mutex mutex;
  std::map<std::string, std::string> acknowledged;
  std::map<int, int> statuses;
  std::atomic<int> acks{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 2000 && !stop.load(); ++i) {
        const std::string name = "w" + std::to_string(t) + "-" + std::to_string(i);
        const std::string value = "sk_live_" + name;
        auto reply = node.Call(owner, "PUT", "/v0/vault/" + name, json{{"type", "API_KEY"}, {"data", {{"key", value}}}});
        const bool ok = reply.status == 200 || reply.status == 201;
        {
          std::lock_guard lock(mutex);
          ++statuses[reply.status];
          if (ok) acknowledged[name] = value;
        }
        if (ok) {
          ++acks;
        } else {
          std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a client's back-off
        }
      }
    });
  }
  auto wait_for_acks = [&](int count) {
    for (int poll = 0; poll < 600 && acks.load() < count; ++poll) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  wait_for_acks(40);
  const int before_restart = acks.load();
  ASSERT_EQ(Cluster("stop", cluster.path()), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // writes meet a database that is gone
  ASSERT_EQ(Cluster("start", cluster.path()), 0);
  wait_for_acks(before_restart + 40);
  stop = true;
  for (auto& w : writers) w.join();

  for (const auto& [status, count] : statuses) {
    EXPECT_TRUE(status == 200 || status == 201 || status == 503) << count << " writes answered " << status;
  }
  EXPECT_GE(acks.load(), before_restart + 40) << "the node did not serve again after the database came back";
  for (const auto& [status, count] : statuses) std::printf("%d writes answered %d\n", count, status);
  for (const auto& [name, value] : acknowledged) {
    auto read = node.Call(owner, "GET", "/v0/vault/" + name);
    ASSERT_EQ(read.status, 200) << name << " was acknowledged and is gone";
    EXPECT_EQ(read.body["data"]["key"], value);
  }
  auto verified = node.Call(owner, "GET", "/v0/audit/verify");
  EXPECT_EQ(verified.status, 200) << verified.body.dump();
  EXPECT_EQ(verified.body["ok"], true) << verified.body.dump();
  node.Stop();
  Cluster("remove", cluster.path());
}

}  // namespace
}  // namespace coffer::testing
