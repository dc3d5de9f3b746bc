// A planted, recognisable secret must appear only where it must: in the GET response for it.
// Not in the database files, the logs, other responses or error messages.
#include <gtest/gtest.h>

#include <filesystem>

#include "coffer_process.h"

namespace coffer::testing {
namespace {

constexpr const char* kPlanted = "PLANTED-c0ffee-5ecret-9f8e7d6c5b4a";

TEST(SecretHygieneTest, PlantedSecretAppearsOnlyWhereItMust) {
  TempDir dir;
  std::string everything_else;  // responses and messages the secret must never reach
  {
    CofferServer server(dir.path());
    ASSERT_TRUE(server.started());
    auto client = server.OwnerClient();
    auto send = [&](const std::string& method, const std::string& path, const std::optional<std::string>& body) {
      auto reply = client.Send(method, path, body);
      EXPECT_TRUE(reply.ok());
      return *reply;
    };
    std::string body = std::string(R"({"type":"API_KEY","data":{"apiKey":")") + kPlanted + R"("},"metadata":{"service":"s"}})";
    auto stored = send("PUT", "/v0/vault/planted", body);
    ASSERT_EQ(stored.status, 201);
    everything_else += stored.body.dump();
    everything_else += send("PUT", "/v0/vault/planted", body).body.dump();  // a second version

    auto got = send("GET", "/v0/vault/planted", std::nullopt);
    ASSERT_NE(got.body.dump().find(kPlanted), std::string::npos) << "the one place it must appear";

    // Every error path with the secret in the request.
    std::string p(kPlanted);
    for (const std::string& bad : {
             R"({"type":"NOPE","data":{"apiKey":")" + p + R"("}})",
             R"({"type":")" + p + R"(","data":{"k":"v"}})",
             R"({")" + p + R"(":1,"type":"API_KEY","data":{"k":"v"}})",
             R"({"type":"API_KEY","data":{"apiKey":")" + p + R"("},"expiresAt":")" + p + R"("})",
             R"({"type":"API_KEY","data":{"apiKey":")" + p + R"("},"metadata":")" + p + R"("})",
             R"({"type":"API_KEY","data":{"apiKey":")" + p,  // truncated JSON
         }) {
      everything_else += send("PUT", "/v0/vault/planted", bad).body.dump();
    }
    everything_else += send("GET", "/v0/vault?prefix=plan", std::nullopt).body.dump();
    everything_else += send("GET", "/v0/vault/" + p, std::nullopt).body.dump();
    everything_else += send("GET", "/v0/" + p, std::nullopt).body.dump();
    everything_else += send("GET", "/v0/vault/planted?" + p + "=1", std::nullopt).body.dump();
    auto wrong_token = server.Client(std::string("cof_") + kPlanted);
    everything_else += wrong_token.Send("GET", "/v0/vault/planted")->body.dump();
    everything_else += send("DELETE", "/v0/vault/planted-other", std::nullopt).body.dump();
    // A secret typed into the username field of a login (its password pasted one field early).
    auto anonymous = server.Client("");
    const std::string login = std::string(R"({"username":")") + kPlanted + R"(","password":"not it"})";
    everything_else += anonymous.Send("POST", "/v0/auth/login", login)->body.dump();

    // The CLI: store with the secret on stdin, then a failing get; neither output may echo it.
    std::map<std::string, std::string> env = {{"COFFER_ADDR", server.url()}, {"COFFER_TOKEN", server.owner_token()}};
    auto cli_store = RunCoffer({"vault", "store", "cli-planted", "--type", "API_KEY", "--data", "-"}, env,
                               std::string(R"({"key":")") + kPlanted + "\"}");
    EXPECT_EQ(cli_store.exit_code, 0) << cli_store.err;
    everything_else += cli_store.out + cli_store.err;
    auto cli_bad = RunCoffer({"vault", "store", "x", "--type", "API_KEY", "--data", std::string("{\"k\":\"") + kPlanted}, env);
    EXPECT_NE(cli_bad.exit_code, 0);
    everything_else += cli_bad.out + cli_bad.err;

    EXPECT_EQ(everything_else.find(kPlanted), std::string::npos) << everything_else;
    everything_else += server.stderr_text();
    ASSERT_EQ(server.Stop(), 0);
    everything_else += server.stdout_text() + server.stderr_text();
  }
  EXPECT_EQ(everything_else.find(kPlanted), std::string::npos) << "logs or responses leaked the secret";

  // Every file the server left on disk: database, WAL, key and token files.
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (!entry.is_regular_file()) continue;
    ++files;
    EXPECT_EQ(ReadFile(entry.path()).find(kPlanted), std::string::npos) << entry.path();
  }
  EXPECT_GE(files, 3);
}

}  // namespace
}  // namespace coffer::testing
