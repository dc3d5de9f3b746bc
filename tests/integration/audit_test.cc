// The audit trail against the real binary: one record per operation, never a secret, fail closed
// when it cannot be written, tamper evidence, and durability across kill -9.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "coffer_process.h"
#include "raw_http.h"
#include "server_test.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

class AuditTest : public ServerTest {
 protected:
  // Each test starts the server itself, some with options.
  void SetUp() override {}
  void Start(ServerOptions options = {}) { StartServer(std::move(options)); }
  json Latest() {
    auto reply = Call(owner_, "GET", "/v0/audit?limit=1");
    EXPECT_EQ(reply.status, 200) << reply.body.dump();
    return reply.body["events"].empty() ? json() : reply.body["events"][0];
  }
  int64_t LatestSeq() {
    json latest = Latest();
    return latest.is_null() ? 0 : latest["seq"].get<int64_t>();
  }
  // Runs `step`, then checks it left exactly one record, and returns that record.
  template <typename Step>
  json ExactlyOneRecord(Step step) {
    int64_t before = LatestSeq();
    step();
    json latest = Latest();
    EXPECT_EQ(latest["seq"].get<int64_t>(), before + 1) << "one operation, one record: " << latest.dump();
    return latest;
  }
  std::string Sqlite(const std::string& sql) {
    std::string command = "sqlite3 " + dir_.path() + "/coffer.db \"" + sql + "\" 2>&1";
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    char buf[512];
    while (pipe && fgets(buf, sizeof buf, pipe)) out += buf;
    if (pipe) {
      EXPECT_EQ(pclose(pipe), 0) << command << ": " << out;
    }
    return out;
  }
};

TEST_F(AuditTest, EveryOperationLeavesExactlyOneRecordWithTheRightFields) {
  Start();
  const json body = {{"type", "API_KEY"}, {"data", {{"key", "sk_live_AUDITPLANTED"}}}};
  json r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "PUT", "/v0/vault/stripe", body).status, 201); });
  EXPECT_EQ(r["action"], "credential.create");
  EXPECT_EQ(r["target"], "stripe");
  EXPECT_EQ(r["targetVersion"], 1);
  EXPECT_EQ(r["outcome"], "ok");
  EXPECT_EQ(r["actor"]["name"], "owner");
  EXPECT_EQ(r["sourceIp"], "127.0.0.1");
  EXPECT_TRUE(r["tokenId"].get<std::string>().rfind("tok_", 0) == 0);
  EXPECT_TRUE(r["requestId"].get<std::string>().rfind("req_", 0) == 0);
  EXPECT_EQ(r["chain"].size(), 1u);

  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "PUT", "/v0/vault/stripe", body).status, 200); });
  EXPECT_EQ(r["action"], "credential.update");
  EXPECT_EQ(r["targetVersion"], 2);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "GET", "/v0/vault/stripe?version=1").status, 200); });
  EXPECT_EQ(r["action"], "credential.read");
  EXPECT_EQ(r["targetVersion"], 1);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "GET", "/v0/vault?prefix=str").status, 200); });
  EXPECT_EQ(r["action"], "credential.list");
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "GET", "/v0/vault/missing").status, 404); });
  EXPECT_EQ(r["outcome"], "not_found");
  // What a failed request named may be anything, a pasted secret included: only its keyed digest
  // is kept, and a filter by the name still finds it.
  EXPECT_TRUE(r["target"].get<std::string>().starts_with("digest:")) << r.dump();
  auto by_name = Call(owner_, "GET", "/v0/audit?name=missing");
  ASSERT_EQ(by_name.body["events"].size(), 1u);
  EXPECT_EQ(by_name.body["events"][0]["seq"], r["seq"]);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call("cof_" + std::string(43, 'x'), "GET", "/v0/vault/stripe").status, 401); });
  EXPECT_EQ(r["action"], "auth.token");
  EXPECT_EQ(r["outcome"], "denied");
  EXPECT_EQ(r["actor"]["id"], "");

  std::string agent;
  r = ExactlyOneRecord([&] {
    auto created = Call(owner_, "POST", "/v0/identities", json{{"name", "lister"}, {"scopes", {"vault:list"}}});
    EXPECT_EQ(created.status, 201);
    agent = created.body["id"];
  });
  EXPECT_EQ(r["action"], "identity.create");
  std::string token;
  r = ExactlyOneRecord([&] {
    token = Call(owner_, "POST", "/v0/identities/" + agent + "/tokens", json{{"name", "t"}}).body["token"];
  });
  EXPECT_EQ(r["action"], "token.create");
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(token, "GET", "/v0/vault/stripe").status, 403); });
  EXPECT_EQ(r["outcome"], "denied");
  EXPECT_EQ(r["actor"]["id"], agent);
  EXPECT_EQ(r["chain"].size(), 2u);
  // The agent may not read the audit trail; nor does it see the owner's records with audit:read.
  EXPECT_EQ(Call(token, "GET", "/v0/audit").status, 403);

  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "DELETE", "/v0/vault/stripe").status, 200); });
  EXPECT_EQ(r["action"], "credential.delete");

  // Filters and search.
  auto reads = Call(owner_, "GET", "/v0/audit?action=credential.read");
  EXPECT_EQ(reads.body["events"].size(), 3u) << "the read, the 404 and the agent's 403";
  auto read_ok = Call(owner_, "GET", "/v0/audit?action=credential.read&outcome=ok");
  ASSERT_EQ(read_ok.body["events"].size(), 1u);
  EXPECT_EQ(read_ok.body["events"][0]["targetVersion"], 1);
  auto denied = Call(owner_, "GET", "/v0/audit?outcome=denied&limit=10");
  EXPECT_EQ(denied.body["events"].size(), 2u);
  auto family = Call(owner_, "GET", "/v0/audit?action=credential&name=stripe");
  EXPECT_EQ(family.body["events"].size(), 5u);
  auto page = Call(owner_, "GET", "/v0/audit?limit=2");
  ASSERT_FALSE(page.body["nextCursor"].is_null());
  auto next = Call(owner_, "GET", "/v0/audit?limit=2&cursor=" + page.body["nextCursor"].get<std::string>());
  EXPECT_LT(next.body["events"][0]["seq"], page.body["events"][1]["seq"]);

  // The planted value never reaches the audit trail, its export or its table.
  server_->Stop();
  EXPECT_EQ(Sqlite("SELECT * FROM audit_events").find("AUDITPLANTED"), std::string::npos);
  Start();
  auto exported = RunCoffer({"audit", "export"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", owner_}});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  EXPECT_NE(exported.out.find("credential.create"), std::string::npos);
  EXPECT_EQ(exported.out.find("AUDITPLANTED"), std::string::npos);
  EXPECT_EQ(exported.out.find(token), std::string::npos) << "never a token";
}

// Every record names what it acted on, in full: ids for identities, tokens and grants (with the
// granter, grantee and pattern of a new grant), the name of a credential.
TEST_F(AuditTest, EveryRecordNamesWhatItActedOnInFull) {
  Start();
  const std::string owner_id = Call(owner_, "GET", "/v0/me").body["identity"]["id"];
  std::string agent;
  json r = ExactlyOneRecord([&] {
    auto created = Call(owner_, "POST", "/v0/identities", json{{"name", "target-agent"}});
    ASSERT_EQ(created.status, 201) << created.body.dump();
    agent = created.body["id"];
  });
  EXPECT_EQ(r["action"], "identity.create");
  EXPECT_EQ(r["target"], agent + " target-agent");

  std::string token, token_id;
  r = ExactlyOneRecord([&] {
    auto issued = Call(owner_, "POST", "/v0/identities/" + agent + "/tokens", json{{"name", "t"}});
    ASSERT_EQ(issued.status, 201) << issued.body.dump();
    token = issued.body["token"];
    token_id = issued.body["id"];
  });
  EXPECT_EQ(r["action"], "token.create");
  EXPECT_EQ(r["target"], agent + " " + token_id);

  std::string grant;
  r = ExactlyOneRecord([&] {
    auto granted = Call(owner_, "POST", "/v0/identities/" + owner_id + "/grants",
                        json{{"granteeId", agent}, {"pattern", "shared-*"}, {"scopes", {"vault:read"}}});
    ASSERT_EQ(granted.status, 201) << granted.body.dump();
    grant = granted.body["id"];
  });
  EXPECT_EQ(r["action"], "grant.create");
  EXPECT_EQ(r["target"], grant + " " + owner_id + " -> " + agent + " shared-*");

  const json secret = {{"type", "API_KEY"}, {"data", {{"key", "v"}}}};
  struct Step {
    std::string method;
    long status;
    std::string action;
  };
  for (const Step& step : std::vector<Step>{{"PUT", 201, "credential.create"}, {"PUT", 200, "credential.update"},
                                             {"GET", 200, "credential.read"}, {"DELETE", 200, "credential.delete"}}) {
    r = ExactlyOneRecord([&] {
      const auto body = step.method == "PUT" ? std::optional<json>(secret) : std::nullopt;
      EXPECT_EQ(Call(token, step.method, "/v0/vault/named-one", body).status, step.status) << step.action;
    });
    EXPECT_EQ(r["action"], step.action);
    EXPECT_EQ(r["target"], "named-one") << step.action;
  }

  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "DELETE", "/v0/identities/" + agent + "/tokens/" + token_id).status, 200); });
  EXPECT_EQ(r["action"], "token.revoke");
  EXPECT_EQ(r["target"], agent + " " + token_id);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "DELETE", "/v0/identities/" + owner_id + "/grants/" + grant).status, 200); });
  EXPECT_EQ(r["action"], "grant.revoke");
  EXPECT_EQ(r["target"], grant);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "POST", "/v0/identities/" + agent + "/revoke").status, 200); });
  EXPECT_EQ(r["action"], "identity.revoke");
  EXPECT_EQ(r["target"], agent);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "DELETE", "/v0/identities/" + agent + "/credentials").status, 200); });
  EXPECT_EQ(r["action"], "identity.purge");
  EXPECT_EQ(r["target"], agent);
  r = ExactlyOneRecord([&] { EXPECT_EQ(Call(owner_, "POST", "/v0/identities/" + agent + "/restore").status, 200); });
  EXPECT_EQ(r["action"], "identity.restore");
  EXPECT_EQ(r["target"], agent);
}

// A request refused for its malformed body is still an attempt, and leaves its one record; the
// name it targeted is kept only as a digest, like any failed request's.
// A User-Agent is the client's to choose, bytes that are not UTF-8 included; recorded as sent,
// one such request (no token needed) made every later listing of the trail fail to serialise.
TEST_F(AuditTest, AUserAgentThatIsNotTextCannotBreakTheTrail) {
  Start();
  RawResponse refused = RawRequest(PortOf(*server_), "GET", "/v0/me",
                                   {{"Authorization", "Bearer cof_nope"}, {"User-Agent", "evil\xff\xfe" "agent"}});
  EXPECT_EQ(refused.status, 401);
  auto listed = Call(owner_, "GET", "/v0/audit?limit=5");
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  bool found = false;
  for (const auto& event : listed.body["events"]) found = found || event["userAgent"] == "evil??agent";
  EXPECT_TRUE(found) << listed.body.dump();
}

TEST_F(AuditTest, ARequestRefusedForAMalformedBodyLeavesOneErrorRecord) {
  Start();
  json r = ExactlyOneRecord([&] {
    auto reply = server_->Client(owner_).Send("PUT", "/v0/vault/somename", std::string(R"({"type": )"));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 400);
  });
  EXPECT_EQ(r["action"], "credential.write");
  EXPECT_EQ(r["outcome"], "error");
  EXPECT_TRUE(r["target"].is_string() && r["target"].get<std::string>().starts_with("digest:")) << r.dump();
  EXPECT_TRUE(r["reason"].is_string() && !r["reason"].get<std::string>().empty()) << r.dump();
  EXPECT_EQ(r.dump().find("somename"), std::string::npos) << "the name is not kept in clear";

  r = ExactlyOneRecord([&] {
    auto reply = server_->Client(owner_).Send("POST", "/v0/identities", std::string(R"({"name": "x",)"));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 400);
  });
  EXPECT_EQ(r["action"], "identity.create");
  EXPECT_EQ(r["outcome"], "error");

  // Well-formed JSON with a field of the wrong type is refused input too.
  r = ExactlyOneRecord([&] {
    auto reply = server_->Client(owner_).Send("POST", "/v0/identities", std::string(R"({"name": ["x"]})"));
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(reply->status, 400);
  });
  EXPECT_EQ(r["action"], "identity.create");
  EXPECT_EQ(r["outcome"], "error");
  EXPECT_NE(r["reason"].get<std::string>().find("name must be a string"), std::string::npos) << r.dump();
}

TEST_F(AuditTest, TailFollowPrintsEveryRecordOfABurstOnceInOrder) {
  Start();
  // `coffer audit tail -f --json` in the background; `exec` makes the echoed pid the CLI's own.
  const std::string command = "COFFER_ADDR=" + server_->url() + " COFFER_TOKEN=" + owner_ + " sh -c 'echo $$; exec " +
                              std::getenv("COFFER_BIN") + " audit tail -f --json --action credential.read'";
  FILE* tail = popen(command.c_str(), "r");
  ASSERT_NE(tail, nullptr);
  char line[8192];
  // The pid line, read byte by byte so nothing after it is left in the FILE's buffer.
  std::string pid_line;
  for (char c; ::read(fileno(tail), &c, 1) == 1 && c != '\n';) pid_line += c;
  const pid_t pid = static_cast<pid_t>(std::stol(pid_line));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // its first poll: nothing yet

  // A burst larger than one poll's page (1000) while the tail is stopped between two polls.
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);
  constexpr int kBurst = 1300;
  std::atomic<int> next{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 8; ++t) {
    readers.emplace_back([&] {
      for (int i = next++; i < kBurst; i = next++) Call(owner_, "GET", "/v0/vault/missing-" + std::to_string(i));
    });
  }
  for (auto& r : readers) r.join();
  ASSERT_EQ(::kill(pid, SIGCONT), 0);

  // Read the pipe directly (not through the FILE's buffer), so poll() sees every byte still to come.
  std::vector<int64_t> seqs;
  std::string pending;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  pollfd ready{fileno(tail), POLLIN, 0};
  while (static_cast<int>(seqs.size()) < kBurst && std::chrono::steady_clock::now() < deadline) {
    if (::poll(&ready, 1, 1000) <= 0) continue;
    ssize_t n = ::read(ready.fd, line, sizeof line);
    if (n <= 0) break;
    pending.append(line, static_cast<size_t>(n));
    for (size_t end; (end = pending.find('\n')) != std::string::npos; pending.erase(0, end + 1)) {
      seqs.push_back(json::parse(pending.substr(0, end))["seq"].get<int64_t>());
    }
  }
  ::kill(pid, SIGTERM);
  pclose(tail);
  ASSERT_EQ(seqs.size(), static_cast<size_t>(kBurst)) << "the tail skipped or repeated records of the burst";
  EXPECT_TRUE(std::is_sorted(seqs.begin(), seqs.end()) && std::adjacent_find(seqs.begin(), seqs.end()) == seqs.end())
      << "records are printed oldest first, each once";
}

TEST_F(AuditTest, WhenTheAuditCannotBeWrittenNothingIsServed) {
  const std::string fault = dir_.path() + "/audit-fault";
  Start(ServerOptions{{}, {{"COFFER_AUDIT_FAULT_FILE", fault}}});
  const json body = {{"type", "LOGIN"}, {"data", {{"password", "FAULT-PLANTED-1"}}}};
  ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/bank", body).status, 201);
  std::ofstream(fault) << "on";
  auto read = Call(owner_, "GET", "/v0/vault/bank");
  EXPECT_EQ(read.status, 503);
  EXPECT_EQ(read.body.dump().find("FAULT-PLANTED-1"), std::string::npos) << "the secret left without its record";
  auto write = Call(owner_, "PUT", "/v0/vault/bank", json{{"type", "LOGIN"}, {"data", {{"password", "FAULT-PLANTED-2"}}}});
  EXPECT_EQ(write.status, 503);
  std::remove(fault.c_str());
  auto after = Call(owner_, "GET", "/v0/vault/bank");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body["data"]["password"], "FAULT-PLANTED-1") << "the unaudited write must not have landed";
  EXPECT_EQ(after.body["version"], 1);
}

TEST_F(AuditTest, VerifyNamesTheFirstTamperedRecord) {
  Start();
  for (int i = 0; i < 8; ++i) {
    ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/k" + std::to_string(i), json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status, 201);
  }
  std::map<std::string, std::string> env = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", owner_}};
  auto clean = RunCoffer({"audit", "verify"}, env);
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;

  auto verify_after = [&](const std::string& sql) {
    server_->Stop();
    Sqlite(sql);
    Start();
    auto reply = Call(owner_, "GET", "/v0/audit/verify");
    EXPECT_EQ(reply.status, 200);
    return reply.body;
  };
  // Altered: a read turned into something else.
  json report = verify_after("UPDATE audit_events SET target = 'other' WHERE seq = 4");
  EXPECT_EQ(report["ok"], false);
  EXPECT_EQ(report["firstBadSeq"], 4) << report.dump();
  auto cli = RunCoffer({"audit", "verify"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", owner_}});
  EXPECT_EQ(cli.exit_code, 1);
  EXPECT_NE(cli.out.find("record 4"), std::string::npos) << cli.out;
}

TEST_F(AuditTest, VerifyFindsARemovedRecord) {
  Start();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/k" + std::to_string(i), json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status, 201);
  }
  server_->Stop();
  Sqlite("DELETE FROM audit_events WHERE seq = 3");
  Start();
  auto removed = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(removed.body["firstBadSeq"], 3) << removed.body.dump();
}

TEST_F(AuditTest, VerifyFindsReorderedRecords) {
  Start();
  for (int i = 0; i < 6; ++i) {
    ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/k" + std::to_string(i), json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status, 201);
  }
  server_->Stop();
  // Swap records 3 and 4 (keeping each one's own hash): the order no longer chains.
  Sqlite("UPDATE audit_events SET seq = -3 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 4; "
         "UPDATE audit_events SET seq = 4 WHERE seq = -3");
  Start();
  auto reordered = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(reordered.body["firstBadSeq"], 3) << reordered.body.dump();
}

TEST_F(AuditTest, SignedCheckpointsCatchTruncationAndRewrites) {
  Start(ServerOptions{{"--audit-checkpoint-every", "4"}});
  for (int i = 0; i < 9; ++i) {
    ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/k" + std::to_string(i), json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status, 201);
  }
  auto listed = Call(owner_, "GET", "/v0/audit/checkpoints");
  ASSERT_EQ(listed.status, 200) << listed.body.dump();
  EXPECT_EQ(listed.body["algorithm"], "Ed25519");
  ASSERT_GE(listed.body["checkpoints"].size(), 2u);
  EXPECT_EQ(listed.body["checkpoints"][0]["seq"], 4);
  EXPECT_EQ(listed.body["checkpoints"][1]["seq"], 8);
  auto clean = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(clean.body["ok"], true) << clean.body.dump();
  EXPECT_GE(clean.body["checkpoints"], 2);

  // Cutting the tail off leaves a chain that links up; the checkpoint at 8 still vouches for it,
  // and new records are numbered after it, so the gap never closes.
  server_->Stop();
  Sqlite("DELETE FROM audit_events WHERE seq >= 6");
  Start(ServerOptions{{"--audit-checkpoint-every", "4"}});
  ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/after", json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status, 201);
  EXPECT_GT(LatestSeq(), 8);
  auto truncated = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(truncated.body["ok"], false);
  EXPECT_EQ(truncated.body["firstBadSeq"], 6) << truncated.body.dump();

  // A forged checkpoint (its hash changed, its signature kept) is named as such.
  server_->Stop();
  Sqlite("UPDATE audit_checkpoints SET hash = zeroblob(32) WHERE seq = 4");
  Start(ServerOptions{{"--audit-checkpoint-every", "4"}});
  auto forged = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(forged.body["firstBadSeq"], 4) << forged.body.dump();
  EXPECT_NE(forged.body["problem"].get<std::string>().find("not signed"), std::string::npos);
}

TEST_F(AuditTest, RetentionPrunesBehindACheckpointAndTheRestStillVerifies) {
  Start();
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(Call(owner_, "PUT", "/v0/vault/old" + std::to_string(i), json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status, 201);
  }
  const int64_t last_old = LatestSeq();
  server_->Stop();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  // Everything written before this start is older than the 2 s retention: pruned at start-up.
  Start(ServerOptions{{"--audit-retention", "2s"}});
  json prune;
  for (int attempt = 0; attempt < 100 && prune.is_null(); ++attempt) {
    auto found = Call(owner_, "GET", "/v0/audit?action=audit.prune");
    if (!found.body["events"].empty()) prune = found.body["events"][0];
    if (prune.is_null()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(prune.is_null()) << "retention should prune at start-up";
  auto oldest = Call(owner_, "GET", "/v0/audit/export");
  std::istringstream lines(oldest.raw_body);
  std::string first_line;
  std::getline(lines, first_line);
  ASSERT_FALSE(first_line.empty());
  EXPECT_GT(json::parse(first_line)["seq"].get<int64_t>(), last_old) << "the old records are gone";
  EXPECT_EQ(Call(owner_, "GET", "/v0/vault/old0").status, 200) << "retention prunes the trail, never credentials";

  auto report = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(report.body["ok"], true) << report.body.dump();
  EXPECT_GT(report.body["firstSeq"], last_old);
  auto cli = RunCoffer({"audit", "verify"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", owner_}});
  EXPECT_EQ(cli.exit_code, 0) << cli.out << cli.err;
  EXPECT_NE(cli.out.find("pruned by retention"), std::string::npos) << cli.out;

  // Removing the checkpoint the kept records start from shows as records missing.
  server_->Stop();
  Sqlite("DELETE FROM audit_checkpoints");
  Start();
  auto unanchored = Call(owner_, "GET", "/v0/audit/verify");
  EXPECT_EQ(unanchored.body["ok"], false);
  EXPECT_EQ(unanchored.body["firstBadSeq"], 1) << unanchored.body.dump();
}

TEST_F(AuditTest, KillNineLosesNoAnsweredWriteNorItsRecord) {
  Start();
  std::vector<std::string> answered;
  std::mutex mutex;
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&, w] {
      auto client = server_->Client(owner_);
      for (int i = 0; i < 5000 && !stop; ++i) {
        std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
        auto reply = client.Send("PUT", "/v0/vault/" + name, json{{"type", "API_KEY"}, {"data", {{"key", name}}}}.dump());
        if (!reply.ok()) break;
        if (reply->status == 201) {
          std::lock_guard lock(mutex);
          answered.push_back(name);
        }
      }
    });
  }
  while (true) {
    {
      std::lock_guard lock(mutex);
      if (answered.size() >= 200) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  server_->Stop(SIGKILL);
  stop = true;
  for (auto& t : writers) t.join();
  Start();
  std::set<std::string> recorded;
  auto client = server_->Client(owner_);
  auto raw = client.Send("GET", "/v0/audit/export?action=credential.create");
  ASSERT_TRUE(raw.ok());
  std::istringstream lines(raw->raw_body.empty() ? raw->body.dump() : raw->raw_body);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty()) recorded.insert(json::parse(line)["target"].get<std::string>());
  }
  for (const auto& name : answered) {
    auto got = Call(owner_, "GET", "/v0/vault/" + name);
    ASSERT_EQ(got.status, 200) << name << " was answered 201 before kill -9 but is gone";
    EXPECT_EQ(got.body["data"]["key"], name);
    EXPECT_TRUE(recorded.count(name)) << name << " has no audit record";
  }
  EXPECT_EQ(Call(owner_, "GET", "/v0/audit/verify").body["ok"], true);
}

}  // namespace
}  // namespace coffer::testing
