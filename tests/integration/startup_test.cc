// First start, restarts, root keys, TLS and shutdown: what an operator relies on.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "coffer_process.h"

namespace coffer::testing {
namespace {

int FileMode(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

TEST(StartupTest, FirstStartCreatesKeyTokenAndPrintsHowToAuthenticate) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  CofferServer server(data);
  ASSERT_TRUE(server.started());
  EXPECT_EQ(FileMode(data + "/root.key"), 0600);
  EXPECT_EQ(FileMode(data + "/owner.token"), 0600);
  EXPECT_EQ(FileMode(data), 0700);
  std::string token = server.owner_token();
  EXPECT_TRUE(token.starts_with("cof_"));
  EXPECT_EQ(token.size(), 4u + 43u);
  EXPECT_NE(server.stdout_text().find(token), std::string::npos) << "printed once, like vault -dev";
  EXPECT_NE(server.stdout_text().find("Authorization: Bearer"), std::string::npos);
  EXPECT_EQ(ReadFile(data + "/root.key").size(), 45u) << "base64 of 32 bytes and a newline";
}

// The database and its WAL and shared-memory files hold wrapped keys, hashes and the audit trail:
// private to the server's user from the moment SQLite creates them, not only the key files.
TEST(StartupTest, DatabaseFilesArePrivateWhileTheServerRuns) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  CofferServer server(data);
  ASSERT_TRUE(server.started());
  ASSERT_EQ(server.OwnerClient().Send("PUT", "/v0/vault/a", R"({"type":"API_KEY","data":{"key":"v"}})")->status, 201);
  for (const char* file : {"coffer.db", "coffer.db-wal", "coffer.db-shm"}) {
    const std::string path = data + "/" + file;
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(FileMode(path), 0600) << file << " is mode 0" << std::oct << FileMode(path);
  }
}

TEST(StartupTest, RemovesSecretTemporariesACrashLeftBehind) {
  TempDir dir;
  { CofferServer first(dir.path()); ASSERT_TRUE(first.started()); }
  // What a crash between write and rename leaves: a copy of a key or token under a temporary name.
  for (const char* name : {"root.key.tmp-Ab3dE9", "owner.token.tmp-Zz0011", "root.kdf.tmp-q1w2e3"}) {
    std::ofstream(dir.path() + "/" + name) << "planted";
  }
  std::ofstream(dir.path() + "/notes.tmp-Ab3dE9") << "not ours";
  std::ofstream(dir.path() + "/root.key.tmp-longer-name") << "not this shape";
  CofferServer second(dir.path());
  ASSERT_TRUE(second.started()) << second.stderr_text();
  for (const char* name : {"root.key.tmp-Ab3dE9", "owner.token.tmp-Zz0011", "root.kdf.tmp-q1w2e3"}) {
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/" + name)) << name;
  }
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/notes.tmp-Ab3dE9")) << "only the server's own files go";
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/root.key.tmp-longer-name"));
}

TEST(StartupTest, RefusesAReadableKeyFile) {
  TempDir dir;
  { CofferServer first(dir.path()); ASSERT_TRUE(first.started()); }
  ::chmod((dir.path() + "/root.key").c_str(), 0644);
  CofferServer second(dir.path(), {.expect_start = false});
  EXPECT_NE(second.WaitForExit(), 0);
  EXPECT_NE(second.stderr_text().find("chmod 600"), std::string::npos) << second.stderr_text();
}

TEST(StartupTest, MissingKeyFileForExistingDataIsNotReplaced) {
  TempDir dir;
  { CofferServer first(dir.path()); ASSERT_TRUE(first.started()); }
  std::filesystem::remove(dir.path() + "/root.key");
  CofferServer second(dir.path(), {.expect_start = false});
  EXPECT_NE(second.WaitForExit(), 0);
  EXPECT_NE(second.stderr_text().find("missing"), std::string::npos) << second.stderr_text();
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/root.key"));
}

TEST(StartupTest, WrongRootKeyIsAClearStartupError) {
  TempDir dir;
  { CofferServer first(dir.path()); ASSERT_TRUE(first.started()); }
  // 32 bytes of 0x01, base64: a valid key, but not this data directory's.
  CofferServer second(dir.path(), {.env = {{"COFFER_ROOT_KEY", "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="}}, .expect_start = false});
  EXPECT_NE(second.WaitForExit(), 0);
  EXPECT_NE(second.stderr_text().find("root key does not open"), std::string::npos) << second.stderr_text();
}

TEST(StartupTest, RootKeyFromEnvironment) {
  TempDir dir;
  const std::string key = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
  {
    CofferServer server(dir.path(), {.env = {{"COFFER_ROOT_KEY", key}}});
    ASSERT_TRUE(server.started()) << server.stderr_text();
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/root.key")) << "no key file when the env provides it";
    auto client = server.OwnerClient();
    ASSERT_EQ(client.Send("PUT", "/v0/vault/a", R"({"type":"API_KEY","data":{"key":"v"}})")->status, 201);
  }
  {
    CofferServer again(dir.path(), {.env = {{"COFFER_ROOT_KEY", key}}});
    ASSERT_TRUE(again.started());
    EXPECT_EQ(again.OwnerClient().Send("GET", "/v0/vault/a")->body["data"]["key"], "v");
  }
  CofferServer bad(dir.path(), {.env = {{"COFFER_ROOT_KEY", "not-base64!"}}, .expect_start = false});
  EXPECT_NE(bad.WaitForExit(), 0);
  EXPECT_NE(bad.stderr_text().find("base64"), std::string::npos);
}

TEST(StartupTest, RefusesPlainHttpOffLoopback) {
  TempDir dir;
  CofferServer server(dir.path(), {.extra_args = {"--listen", "0.0.0.0:0"}, .expect_start = false});
  EXPECT_NE(server.WaitForExit(), 0);
  EXPECT_NE(server.stderr_text().find("--tls-cert"), std::string::npos) << server.stderr_text();
}

TEST(StartupTest, ServesTls) {
  TempDir dir;
  std::string cert = dir.path() + "/cert.pem", key = dir.path() + "/key.pem";
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                    "-addext subjectAltName=IP:127.0.0.1 -keyout " + key + " -out " + cert + " 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  CofferServer server(dir.path() + "/data", {.extra_args = {"--tls-cert", cert, "--tls-key", key}});
  ASSERT_TRUE(server.started()) << server.stderr_text();
  EXPECT_TRUE(server.url().starts_with("https://"));
  cli::ApiClient client(cli::ClientConfig{server.url(), server.owner_token(), cert});
  auto put = client.Send("PUT", "/v0/vault/tls", R"({"type":"API_KEY","data":{"key":"v"}})");
  ASSERT_TRUE(put.ok()) << put.error().message;
  EXPECT_EQ(put->status, 201);
  EXPECT_EQ(client.Send("GET", "/v0/vault/tls")->body["data"]["key"], "v");
  cli::ApiClient untrusting(cli::ClientConfig{server.url(), server.owner_token(), ""});
  EXPECT_FALSE(untrusting.Send("GET", "/healthz").ok()) << "an unknown CA is refused by the client";
}

TEST(StartupTest, GracefulShutdownLosesNothingAnswered) {
  TempDir dir;
  std::atomic<int> answered{0};
  std::vector<std::string> stored_names;
  std::mutex names_mutex;
  {
    CofferServer server(dir.path());
    ASSERT_TRUE(server.started());
    std::vector<std::thread> writers;
    std::atomic<bool> stop{false};
    for (int w = 0; w < 4; ++w) {
      writers.emplace_back([&, w] {
        auto client = server.OwnerClient();
        for (int i = 0; i < 2000 && !stop; ++i) {
          std::string name = "w" + std::to_string(w) + "-" + std::to_string(i);
          auto reply = client.Send("PUT", "/v0/vault/" + name, R"({"type":"API_KEY","data":{"key":")" + name + "\"}}");
          if (reply.ok() && reply->status == 201) {
            std::lock_guard lock(names_mutex);
            stored_names.push_back(name);
            ++answered;
          }
        }
      });
    }
    while (answered < 50) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(server.Stop(SIGTERM), 0);
    stop = true;
    for (auto& t : writers) t.join();
  }
  CofferServer again(dir.path());
  ASSERT_TRUE(again.started());
  auto client = again.OwnerClient();
  for (const auto& name : stored_names) {
    auto got = client.Send("GET", "/v0/vault/" + name);
    ASSERT_EQ(got->status, 200) << name << " was answered 201 before shutdown but is gone";
    EXPECT_EQ(got->body["data"]["key"], name);
  }
}

}  // namespace
}  // namespace coffer::testing
