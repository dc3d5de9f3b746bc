// Key rotation through the real server: one credential re-encrypted in place, KEK rotation and the
// background re-wrap under live load, kill -9 in the middle of a re-wrap, retirement, automatic
// rotation, and the status page.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>

#include "coffer_process.h"
#include "key_test_support.h"

namespace coffer::testing {
namespace {

TEST(KeyRotationTest, RotatingOneCredentialChangesItsBlobButNotItsValueOrHistory) {
  TempDir dir;
  CofferServer server(dir.path());
  ASSERT_TRUE(server.started());
  auto client = server.OwnerClient();
  for (const char* value : {"sk_one", "sk_two", "sk_three"}) {
    ASSERT_TRUE(client.Send("PUT", "/v0/vault/stripe", CredentialBody(value)).ok());
  }
  ASSERT_EQ(client.Send("PUT", "/v0/vault/other", CredentialBody("sk_other"))->status, 201);
  const std::string db = dir.path() + "/coffer.db";
  auto before = ReadBlobs(db, "stripe");
  auto other_before = ReadBlobs(db, "other");
  ASSERT_EQ(before.size(), 3u);

  auto rotated = client.Send("POST", "/v0/vault/stripe/rotate");
  ASSERT_TRUE(rotated.ok());
  ASSERT_EQ(rotated->status, 200) << rotated->body.dump();
  EXPECT_EQ(rotated->body["version"], 3);
  EXPECT_EQ(rotated->body["rotated"], true);

  auto after = ReadBlobs(db, "stripe");
  ASSERT_EQ(after.size(), 3u) << "no version added or removed";
  EXPECT_NE(after[3], before[3]) << "the current version has new key material";
  EXPECT_EQ(after[3].size(), before[3].size());
  EXPECT_EQ(after[1], before[1]) << "history untouched";
  EXPECT_EQ(after[2], before[2]);
  EXPECT_EQ(ReadBlobs(db, "other"), other_before) << "other credentials untouched";

  auto current = client.Send("GET", "/v0/vault/stripe");
  EXPECT_EQ(current->body["data"]["key"], "sk_three");
  EXPECT_EQ(current->body["version"], 3);
  EXPECT_EQ(client.Send("GET", "/v0/vault/stripe?version=1")->body["data"]["key"], "sk_one");
  EXPECT_EQ(client.Send("GET", "/v0/vault/stripe?version=2")->body["data"]["key"], "sk_two");

  // The CLI does the same, and rotating twice gives different blobs again.
  auto cli = RunCoffer({"vault", "rotate", "stripe", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("Rotated stripe"), std::string::npos) << cli.out;
  EXPECT_NE(ReadBlobs(db, "stripe")[3], after[3]);
  EXPECT_EQ(client.Send("GET", "/v0/vault/stripe")->body["data"]["key"], "sk_three");

  // Bad input: unknown names, fields, parameters.
  EXPECT_EQ(client.Send("POST", "/v0/vault/nope/rotate")->status, 404);
  EXPECT_EQ(client.Send("POST", "/v0/vault/stripe/rotate", R"({"force":true})")->status, 400);
  EXPECT_EQ(client.Send("POST", "/v0/vault/stripe/rotate?all=1")->status, 400);
  auto missing = RunCoffer({"vault", "rotate", "nope", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(missing.exit_code, 3);
  auto anonymous = cli::ApiClient(cli::ClientConfig{server.url(), "", ""}).Send("POST", "/v0/vault/stripe/rotate");
  EXPECT_EQ(anonymous->status, 401);

  // The value survives a restart too.
  server.Stop();
  CofferServer again(dir.path());
  ASSERT_TRUE(again.started());
  EXPECT_EQ(again.OwnerClient().Send("GET", "/v0/vault/stripe")->body["data"]["key"], "sk_three");
}

TEST(KeyRotationTest, KekRotationUnderConcurrentLoadLosesNoRequest) {
  TempDir dir;
  CofferServer server(dir.path(), {.extra_args = {"--rewrap-batch-size", "16"}});
  ASSERT_TRUE(server.started());
  std::map<std::string, std::string> values;
  for (int i = 0; i < 300; ++i) values["seed-" + std::to_string(i)] = "v0-" + std::to_string(i);
  ASSERT_EQ(StoreAll(server, values), 0);

  // Writers each own a set of names (so the last acknowledged value is known); readers check seeds.
  std::atomic<bool> stop{false};
  std::atomic<int> failures{0};
  std::atomic<int> requests{0};
  std::mutex values_mutex;
  std::string first_failure;
  auto record_failure = [&](const std::string& what) {
    std::lock_guard lock(values_mutex);
    if (failures++ == 0) first_failure = what;
  };
  std::vector<std::thread> load;
  for (int w = 0; w < 3; ++w) {
    load.emplace_back([&, w] {
      auto client = server.OwnerClient();
      for (int i = 0; !stop; ++i) {
        std::string name = "load-" + std::to_string(w) + "-" + std::to_string(i % 40);
        std::string value = "w" + std::to_string(w) + "-" + std::to_string(i);
        auto reply = client.Send("PUT", "/v0/vault/" + name, CredentialBody(value));
        ++requests;
        if (!reply.ok() || (reply->status != 200 && reply->status != 201)) {
          record_failure("PUT " + name + (reply.ok() ? " HTTP " + std::to_string(reply->status) : " no reply"));
          continue;
        }
        std::lock_guard lock(values_mutex);
        values[name] = value;
      }
    });
  }
  for (int r = 0; r < 3; ++r) {
    load.emplace_back([&, r] {
      auto client = server.OwnerClient();
      std::mt19937 random(static_cast<unsigned>(r));
      while (!stop) {
        int i = static_cast<int>(random() % 300);
        auto reply = client.Send("GET", "/v0/vault/seed-" + std::to_string(i));
        ++requests;
        if (!reply.ok() || reply->status != 200 || reply->body["data"]["key"] != "v0-" + std::to_string(i)) {
          record_failure("GET seed-" + std::to_string(i) + (reply.ok() ? " HTTP " + std::to_string(reply->status) : ""));
        }
      }
    });
  }

  auto admin = server.OwnerClient();
  while (requests < 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto rotated = admin.Send("POST", "/v0/keys/rotate");
  ASSERT_EQ(rotated->status, 200) << rotated->body.dump();
  EXPECT_EQ(rotated->body["previousKekVersion"], 1);
  EXPECT_EQ(rotated->body["kekVersion"], 2);
  int seen = requests;
  while (requests < seen + 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto rotated_again = admin.Send("POST", "/v0/keys/rotate");
  ASSERT_EQ(rotated_again->status, 200);
  EXPECT_EQ(rotated_again->body["kekVersion"], 3);
  auto all = admin.Send("POST", "/v0/keys/rotate-all");
  ASSERT_EQ(all->status, 202) << all->body.dump();
  auto status = WaitForRewrap(admin);
  seen = requests;
  while (requests < seen + 100) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  for (auto& t : load) t.join();

  EXPECT_EQ(failures.load(), 0) << "first failure: " << first_failure;
  EXPECT_EQ(status["rewrap"]["state"], "finished") << status.dump();
  // Writes made during the re-wrap were sealed under the new KEK; make sure nothing is left behind.
  ASSERT_EQ(admin.Send("POST", "/v0/keys/rotate-all")->status, 202);
  status = WaitForRewrap(admin);
  EXPECT_EQ(status["currentKekVersion"], 3);
  EXPECT_EQ(status["rewrap"]["remaining"], 0);
  for (const auto& kek : status["keks"]) {
    if (kek["version"] != 3) {
      EXPECT_EQ(kek["deks"], 0) << status.dump();
    }
  }
  EXPECT_TRUE(CheckAll(server, values).empty());

  // Retirement: a current KEK or one that is unknown is refused; the rest go, and data stays readable.
  EXPECT_EQ(admin.Send("POST", "/v0/keys/retire", R"({"version":3})")->status, 409);
  EXPECT_EQ(admin.Send("POST", "/v0/keys/retire", R"({"version":9})")->status, 404);
  EXPECT_EQ(admin.Send("POST", "/v0/keys/retire", R"({"version":"two"})")->status, 400);
  auto retired = admin.Send("POST", "/v0/keys/retire");
  ASSERT_EQ(retired->status, 200);
  EXPECT_EQ(retired->body["retired"], nlohmann::json::array({1, 2}));
  EXPECT_EQ(admin.Send("GET", "/v0/keys/status")->body["keks"].size(), 1u);
  EXPECT_TRUE(CheckAll(server, values).empty());
  server.Stop();
  CofferServer again(dir.path());
  ASSERT_TRUE(again.started()) << again.stderr_text();
  EXPECT_TRUE(CheckAll(again, values).empty());
}

TEST(KeyRotationTest, RetiringAKekThatStillWrapsDeksIsRefused) {
  TempDir dir;
  const std::string db = dir.path() + "/coffer.db";
  std::string old_blob;
  {
    CofferServer server(dir.path());
    ASSERT_TRUE(server.started());
    auto client = server.OwnerClient();
    ASSERT_EQ(client.Send("PUT", "/v0/vault/a", CredentialBody("x"))->status, 201);
    old_blob = ReadBlobs(db, "a")[1];
    ASSERT_EQ(client.Send("POST", "/v0/keys/rotate")->status, 200);
    EXPECT_EQ(WaitForRewrap(client)["rewrap"]["state"], "finished");
  }
  // Put the blob sealed under KEK 1 back, as a restored backup row would: KEK 1 is in use again.
  ASSERT_TRUE(ReplaceBlob(db, "a", 1, old_blob));
  CofferServer server(dir.path());
  ASSERT_TRUE(server.started());
  auto client = server.OwnerClient();
  auto status = client.Send("GET", "/v0/keys/status")->body;
  EXPECT_EQ(status["keks"][0]["deks"], 1) << status.dump();
  EXPECT_EQ(status["keks"][0]["retirable"], false);
  EXPECT_EQ(client.Send("GET", "/v0/vault/a")->body["data"]["key"], "x") << "readable under the old KEK";

  auto refused = client.Send("POST", "/v0/keys/retire", R"({"version":1})");
  EXPECT_EQ(refused->status, 409);
  EXPECT_NE(refused->body["error"]["message"].get<std::string>().find("rotate-all"), std::string::npos);
  EXPECT_EQ(client.Send("POST", "/v0/keys/retire")->body["retired"], nlohmann::json::array()) << "nothing retirable";
  auto current = client.Send("POST", "/v0/keys/retire", R"({"version":2})");
  EXPECT_EQ(current->status, 409);
  EXPECT_NE(current->body["error"]["message"].get<std::string>().find("coffer keys rotate"), std::string::npos);
  auto cli = RunCoffer({"keys", "retire", "--version", "2", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(cli.exit_code, 2) << cli.err;

  ASSERT_EQ(client.Send("POST", "/v0/keys/rotate-all")->status, 202);
  EXPECT_EQ(WaitForRewrap(client)["rewrap"]["remaining"], 0);
  auto text = RunCoffer({"keys", "status", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("Current KEK version: 2"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("retirable"), std::string::npos) << text.out;
  auto retired = RunCoffer({"keys", "retire", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(retired.exit_code, 0) << retired.err;
  EXPECT_NE(retired.out.find("[1]"), std::string::npos) << retired.out;
  EXPECT_EQ(client.Send("GET", "/v0/vault/a")->body["data"]["key"], "x");
}

TEST(KeyRotationTest, KillNineDuringRewrapAlwaysRecovers) {
  TempDir dir;
  std::map<std::string, std::string> values;
  for (int i = 0; i < 600; ++i) values["cred-" + std::to_string(i)] = "value-" + std::to_string(i);
  const std::vector<std::string> args = {"--rewrap-batch-size", "2"};
  {
    CofferServer server(dir.path(), {.extra_args = args});
    ASSERT_TRUE(server.started());
    ASSERT_EQ(StoreAll(server, values, 8), 0);
  }
  std::mt19937 random(std::random_device{}());
  int expected_version = 1;
  int resumed = 0;  // rounds whose kill landed mid-re-wrap (timing decides; reported, not asserted)
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    {
      CofferServer server(dir.path(), {.extra_args = args});
      ASSERT_TRUE(server.started()) << server.stderr_text();
      auto client = server.OwnerClient();
      // Half the rounds rotate the KEK, half re-wrap only; both run the same background job.
      if (round % 2 == 0) {
        auto rotated = client.Send("POST", "/v0/keys/rotate");
        ASSERT_EQ(rotated->status, 200);
        expected_version = rotated->body["kekVersion"];
      } else {
        ASSERT_EQ(client.Send("POST", "/v0/keys/rotate-all")->status, 202);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(random() % 100));
      EXPECT_EQ(server.Stop(SIGKILL), 128 + SIGKILL);
    }
    CofferServer restarted(dir.path(), {.extra_args = args});
    ASSERT_TRUE(restarted.started()) << restarted.stderr_text();
    auto client = restarted.OwnerClient();
    auto status = WaitForRewrap(client);
    if (restarted.stderr_text().find("resuming the re-wrap") != std::string::npos) ++resumed;
    EXPECT_EQ(status["rewrap"]["state"], "finished") << status.dump();
    EXPECT_EQ(status["currentKekVersion"], expected_version);
    EXPECT_EQ(status["rewrap"]["remaining"], 0);
    for (const auto& kek : status["keks"]) {
      if (kek["version"] != expected_version) {
        EXPECT_EQ(kek["deks"], 0) << status.dump();
      }
    }
    auto bad = CheckAll(restarted, values);
    EXPECT_TRUE(bad.empty()) << bad.size() << " unreadable, first: " << bad.front();
  }
  std::printf("kill -9 landed during the re-wrap in %d of 10 rounds\n", resumed);
}

TEST(KeyRotationTest, RotatesAutomaticallyAfterTheConfiguredEncryptions) {
  TempDir dir;
  CofferServer server(dir.path(), {.extra_args = {"--kek-rotate-after-encryptions", "5"}});
  ASSERT_TRUE(server.started());
  std::map<std::string, std::string> values;
  for (int i = 0; i < 8; ++i) values["auto-" + std::to_string(i)] = "v" + std::to_string(i);
  ASSERT_EQ(StoreAll(server, values, 1), 0);
  auto client = server.OwnerClient();
  nlohmann::json status;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    status = client.Send("GET", "/v0/keys/status")->body;
    if (status["currentKekVersion"].get<int>() >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_GE(status["currentKekVersion"].get<int>(), 2) << status.dump();
  EXPECT_NE(status["lastRotations"]["kekRotated"]["detail"].get<std::string>().find("automatic"), std::string::npos);
  EXPECT_EQ(status["policy"]["rotateAfterEncryptions"], 5);
  EXPECT_TRUE(CheckAll(server, values).empty());

  for (const char* bad : {"0", "99999999999"}) {
    TempDir other;
    CofferServer refused(other.path(), {.extra_args = {"--kek-rotate-after-encryptions", bad}, .expect_start = false});
    EXPECT_NE(refused.WaitForExit(), 0);
    EXPECT_NE(refused.stderr_text().find("--kek-rotate-after-encryptions"), std::string::npos) << refused.stderr_text();
  }
}

TEST(KeyRotationTest, StatusShowsCountsAndKeysButNoSecrets) {
  TempDir dir;
  CofferServer server(dir.path());
  ASSERT_TRUE(server.started());
  auto client = server.OwnerClient();
  ASSERT_EQ(client.Send("PUT", "/v0/vault/a", CredentialBody("sk_status_planted_secret"))->status, 201);
  ASSERT_EQ(client.Send("PUT", "/v0/vault/b", R"({"type":"CUSTOM","data":{"x":"y_status_planted"}})")->status, 201);
  ASSERT_EQ(client.Send("PUT", "/v0/vault/a", CredentialBody("sk_status_planted_secret2"))->status, 200);
  ASSERT_EQ(client.Send("POST", "/v0/vault/a/rotate")->status, 200);
  auto reply = client.Send("GET", "/v0/status");
  ASSERT_EQ(reply->status, 200);
  const auto& s = reply->body;
  EXPECT_EQ(s["credentials"]["total"], 2);
  EXPECT_EQ(s["credentials"]["byType"]["API_KEY"], 1);
  EXPECT_EQ(s["credentials"]["byType"]["CUSTOM"], 1);
  EXPECT_EQ(s["credentials"]["byType"]["LOGIN"], 0);
  EXPECT_EQ(s["keys"]["currentKekVersion"], 1);
  EXPECT_EQ(s["keys"]["keks"][0]["deks"], 3) << "two versions of a, one of b";
  EXPECT_EQ(s["keys"]["rootKeyProvider"], "file");
  EXPECT_FALSE(s["keys"]["lastRotations"]["credentialRotated"].is_null());
  EXPECT_TRUE(s["keys"]["lastRotations"]["kekRotated"].is_null());
  EXPECT_EQ(s["storage"]["engine"], "sqlite");
  // The owner sees group commit at work: every write above, each in some fsync'd commit.
  EXPECT_GE(s["storage"]["writes"].get<int64_t>(), 4);
  EXPECT_GE(s["storage"]["commits"].get<int64_t>(), 1);
  EXPECT_LE(s["storage"]["commits"].get<int64_t>(), s["storage"]["writes"].get<int64_t>());
  EXPECT_EQ(s["sealed"], false);
  EXPECT_GE(s["uptimeSeconds"].get<int64_t>(), 0);
  EXPECT_EQ(reply->body.dump().find("planted"), std::string::npos);
  EXPECT_EQ(cli::ApiClient(cli::ClientConfig{server.url(), "", ""}).Send("GET", "/v0/status")->status, 401);
  EXPECT_EQ(client.Send("GET", "/v0/status?verbose=1")->status, 400);
  // An agent sees its org's counts, not how busy the whole server is.
  auto agent = client.Send("POST", "/v0/identities", R"({"name":"status-agent"})");
  ASSERT_EQ(agent->status, 201);
  auto agent_token = client.Send("POST", "/v0/identities/" + agent->body["id"].get<std::string>() + "/tokens",
                                 R"({"name":"t"})");
  ASSERT_EQ(agent_token->status, 201);
  auto as_agent = cli::ApiClient(cli::ClientConfig{server.url(), agent_token->body["token"].get<std::string>(), ""})
                      .Send("GET", "/v0/status");
  ASSERT_EQ(as_agent->status, 200);
  EXPECT_EQ(as_agent->body["storage"], nlohmann::json({{"engine", "sqlite"}}));
  auto cli = RunCoffer({"status", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(cli.exit_code, 0) << cli.err;
  EXPECT_NE(cli.out.find("Credentials: 2"), std::string::npos) << cli.out;
  auto keys_rotate = RunCoffer({"keys", "rotate", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(keys_rotate.exit_code, 0) << keys_rotate.err;
  EXPECT_NE(keys_rotate.out.find("KEK version 2 is current"), std::string::npos) << keys_rotate.out;
  auto rotate_all = RunCoffer({"keys", "rotate-all", "--wait", "--addr", server.url(), "--token", server.owner_token()});
  EXPECT_EQ(rotate_all.exit_code, 0) << rotate_all.err;
  EXPECT_NE(rotate_all.out.find("finished"), std::string::npos) << rotate_all.out;
}

}  // namespace
}  // namespace coffer::testing
