// The /v0/vault REST API, driven over real HTTP against the real binary.
#include <gtest/gtest.h>

#include "coffer_process.h"
#include "core/credential.h"
#include "test_keys.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

class VaultApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<CofferServer>(dir_.path());
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
    client_ = std::make_unique<cli::ApiClient>(server_->OwnerClient());
  }

  cli::ApiReply Send(const std::string& method, const std::string& path,
                     const std::optional<std::string>& body = std::nullopt) {
    auto reply = client_->Send(method, path, body);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : cli::ApiReply{};
  }
  cli::ApiReply Put(const std::string& name, const json& body) { return Send("PUT", "/v0/vault/" + name, body.dump()); }
  cli::ApiReply Get(const std::string& path) { return Send("GET", path); }

  static void ExpectError(const cli::ApiReply& reply, long status, const std::string& code) {
    EXPECT_EQ(reply.status, status) << reply.body.dump();
    ASSERT_TRUE(reply.body.contains("error")) << reply.body.dump();
    EXPECT_EQ(reply.body["error"]["code"], code);
    EXPECT_FALSE(reply.body["error"]["message"].get<std::string>().empty());
  }

  TempDir dir_;
  std::unique_ptr<CofferServer> server_;
  std::unique_ptr<cli::ApiClient> client_;
};

// One plausible credential per type, in the seeds' spellings.
std::vector<std::pair<std::string, json>> OneOfEachType() {
  return {
      {"LOGIN", {{"password", "s3cret!"}}},
      {"API_KEY", {{"apiKey", "sk_live_4eC39HqLyjWDqB"}}},
      {"OAUTH", {{"access_token", "CLH7sqK"}, {"refresh_token", "CJH7sqK"}}},
      {"TOTP", {{"secret", "JBSWY3DPEHPK3PXP"}}},
      {"SSH_KEY", {{"privateKey", kTestSshPrivateKey}}},
      {"DATABASE", {{"url", "postgres://app:pw@db.internal:5432/app"}}},
      {"SMTP", {{"host", "smtp.example.com"}, {"username", "bot"}, {"password", "pw"}}},
      {"AWS", {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}, {"secretAccessKey", "wJalrXUtnFEMI/K7MDENG"}}},
      {"CERTIFICATE", {{"certificate", kTestCertificate}}},
      {"CUSTOM", {{"anything", "goes"}, {"nested", {{"n", 1}}}}},
  };
}

TEST_F(VaultApiTest, StoreGetRoundTripForEveryType) {
  for (const auto& [type, data] : OneOfEachType()) {
    std::string name = "cred-" + type;
    auto stored = Put(name, {{"type", type}, {"data", data}, {"metadata", {{"service", "x"}}}});
    ASSERT_EQ(stored.status, 201) << stored.body.dump();
    EXPECT_EQ(stored.body["name"], name);
    EXPECT_EQ(stored.body["type"], type);
    EXPECT_EQ(stored.body["version"], 1);
    EXPECT_TRUE(stored.body["credentialId"].get<std::string>().starts_with("cred_"));
    EXPECT_TRUE(stored.body["expiresAt"].is_null());
    EXPECT_FALSE(stored.body.contains("data")) << "a store response never echoes the secret";

    auto got = Get("/v0/vault/" + name);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.body["data"], data);
    EXPECT_EQ(got.body["metadata"], json({{"service", "x"}}));
    EXPECT_EQ(got.body["credentialId"], stored.body["credentialId"]);
  }
}

TEST_F(VaultApiTest, SeedExampleWorksUnchanged) {
  // Seed 000's fetch example, byte for byte apart from the base URL and token.
  auto stored = Put("stripe-production", json::parse(R"({
      "type": "API_KEY",
      "data": {"apiKey": "sk_live_4eC39HqLyjWDqB..."},
      "metadata": {"service": "stripe", "environment": "production"},
      "expiresAt": "2026-12-31T00:00:00Z"})"));
  ASSERT_EQ(stored.status, 201);
  EXPECT_EQ(stored.body["expiresAt"], "2026-12-31T00:00:00Z");
  auto cred = Get("/v0/vault/stripe-production");
  EXPECT_EQ(cred.body["data"]["apiKey"], "sk_live_4eC39HqLyjWDqB...");
  EXPECT_EQ(Put("skill:openai:access_token", {{"type", "API_KEY"}, {"data", {{"key", "sk-abc"}}}}).status, 201);
  EXPECT_EQ(Get("/v0/vault/skill:openai:access_token").body["data"]["key"], "sk-abc");
}

TEST_F(VaultApiTest, OverwriteBumpsVersionAndKeepsHistory) {
  for (int i = 1; i <= 13; ++i) {
    auto reply = Put("rotating", {{"type", "API_KEY"}, {"data", {{"key", "v" + std::to_string(i)}}}});
    EXPECT_EQ(reply.status, i == 1 ? 201 : 200);
    EXPECT_EQ(reply.body["version"], i);
  }
  auto latest = Get("/v0/vault/rotating");
  EXPECT_EQ(latest.body["version"], 13);
  EXPECT_EQ(latest.body["data"]["key"], "v13");
  // The current version and the previous 10 are readable.
  for (int v = 3; v <= 13; ++v) {
    auto old = Get("/v0/vault/rotating?version=" + std::to_string(v));
    ASSERT_EQ(old.status, 200) << v;
    EXPECT_EQ(old.body["data"]["key"], "v" + std::to_string(v));
    EXPECT_EQ(old.body["version"], v);
  }
  ExpectError(Get("/v0/vault/rotating?version=2"), 404, "not_found");
  ExpectError(Get("/v0/vault/rotating?version=0"), 400, "invalid_request");
  ExpectError(Get("/v0/vault/rotating?version=abc"), 400, "invalid_request");
}

TEST_F(VaultApiTest, OverwriteCanChangeTypeAndMetadata) {
  ASSERT_EQ(Put("x", {{"type", "API_KEY"}, {"data", {{"key", "a"}}}, {"metadata", {{"m", 1}}}}).status, 201);
  ASSERT_EQ(Put("x", {{"type", "CUSTOM"}, {"data", {{"other", "b"}}}}).status, 200);
  auto now = Get("/v0/vault/x");
  EXPECT_EQ(now.body["type"], "CUSTOM");
  EXPECT_EQ(now.body["metadata"], json::object());
  auto before = Get("/v0/vault/x?version=1");
  EXPECT_EQ(before.body["type"], "API_KEY");
  EXPECT_EQ(before.body["metadata"]["m"], 1);
}

TEST_F(VaultApiTest, ListShowsMetadataNeverData) {
  for (const auto& [type, data] : OneOfEachType()) Put("cred-" + type, {{"type", type}, {"data", data}});
  auto list = Get("/v0/vault");
  ASSERT_EQ(list.status, 200);
  ASSERT_EQ(list.body["credentials"].size(), 10u);
  for (const auto& item : list.body["credentials"]) {
    EXPECT_FALSE(item.contains("data"));
    EXPECT_TRUE(item.contains("credentialId"));
  }
  EXPECT_EQ(list.body.dump().find("s3cret!"), std::string::npos);
  EXPECT_TRUE(list.body["nextCursor"].is_null());
}

TEST_F(VaultApiTest, ListPaginatesAndFilters) {
  for (int i = 0; i < 7; ++i) Put("app-" + std::to_string(i), {{"type", "API_KEY"}, {"data", {{"apiKey", "v"}}}});
  for (int i = 0; i < 3; ++i) {
    Put("db-" + std::to_string(i), {{"type", "DATABASE"}, {"data", {{"url", "postgres://db-" + std::to_string(i)}}}});
  }
  std::vector<std::string> seen;
  std::string cursor;
  int pages = 0;
  do {
    auto page = Get("/v0/vault?limit=3" + (cursor.empty() ? "" : "&cursor=" + client_->Escape(cursor)));
    ASSERT_EQ(page.status, 200);
    EXPECT_LE(page.body["credentials"].size(), 3u);
    for (const auto& item : page.body["credentials"]) seen.push_back(item["name"]);
    cursor = page.body["nextCursor"].is_string() ? page.body["nextCursor"].get<std::string>() : "";
    ASSERT_LT(++pages, 10);
  } while (!cursor.empty());
  EXPECT_EQ(seen.size(), 10u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));

  EXPECT_EQ(Get("/v0/vault?type=DATABASE").body["credentials"].size(), 3u);
  EXPECT_EQ(Get("/v0/vault?prefix=app-").body["credentials"].size(), 7u);
  EXPECT_EQ(Get("/v0/vault?prefix=db-&type=API_KEY").body["credentials"].size(), 0u);
  ExpectError(Get("/v0/vault?type=NOPE"), 400, "invalid_request");
  ExpectError(Get("/v0/vault?limit=0"), 400, "invalid_request");
  ExpectError(Get("/v0/vault?limit=100000"), 400, "invalid_request");
  ExpectError(Get("/v0/vault?cursor=%25%25%25"), 400, "invalid_request");
  ExpectError(Get("/v0/vault?limt=3"), 400, "invalid_request");
}

TEST_F(VaultApiTest, DeleteRemovesEveryVersion) {
  Put("gone", {{"type", "API_KEY"}, {"data", {{"apiKey", "1"}}}});
  Put("gone", {{"type", "API_KEY"}, {"data", {{"apiKey", "2"}}}});
  auto deleted = Send("DELETE", "/v0/vault/gone");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.body["deleted"], true);
  ExpectError(Get("/v0/vault/gone"), 404, "not_found");
  ExpectError(Get("/v0/vault/gone?version=1"), 404, "not_found");
  ExpectError(Send("DELETE", "/v0/vault/gone"), 404, "not_found");
  // The name can be used again, as a new credential.
  auto again = Put("gone", {{"type", "API_KEY"}, {"data", {{"apiKey", "3"}}}});
  EXPECT_EQ(again.status, 201);
  EXPECT_EQ(again.body["version"], 1);
}

TEST_F(VaultApiTest, EverythingSurvivesARestart) {
  for (const auto& [type, data] : OneOfEachType()) Put("cred-" + type, {{"type", type}, {"data", data}});
  Put("cred-API_KEY", {{"type", "API_KEY"}, {"data", {{"apiKey", "second"}}}});
  ASSERT_EQ(server_->Stop(), 0);
  server_ = std::make_unique<CofferServer>(dir_.path());
  ASSERT_TRUE(server_->started()) << server_->stderr_text();
  EXPECT_EQ(server_->stdout_text().find("cof_"), std::string::npos) << "the owner token is printed only once";
  client_ = std::make_unique<cli::ApiClient>(server_->OwnerClient());
  for (const auto& [type, data] : OneOfEachType()) {
    auto got = Get("/v0/vault/cred-" + type);
    ASSERT_EQ(got.status, 200);
    if (type != "API_KEY") {
      EXPECT_EQ(got.body["data"], data);
    }
  }
  EXPECT_EQ(Get("/v0/vault/cred-API_KEY").body["data"]["apiKey"], "second");
  EXPECT_EQ(Get("/v0/vault/cred-API_KEY?version=1").body["data"]["apiKey"], "sk_live_4eC39HqLyjWDqB");
}

TEST_F(VaultApiTest, BadInputGetsAClearErrorAndChangesNothing) {
  ASSERT_EQ(Put("keep", {{"type", "API_KEY"}, {"data", {{"key", "original"}}}}).status, 201);
  struct Case {
    std::string path, body;
    long status;
    std::string code;
  };
  std::vector<Case> cases = {
      {"/v0/vault/keep", "{not json", 400, "invalid_request"},
      {"/v0/vault/keep", "[1,2]", 400, "invalid_request"},
      {"/v0/vault/keep", "", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"data":{"key":"x"}})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"API_KEY"})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"PASSWORD","data":{"key":"x"}})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":42,"data":{"key":"x"}})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"API_KEY","data":"x"})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"API_KEY","data":{"key":"x"},"metadata":[]})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"API_KEY","data":{"key":"x"},"expiresAt":"soon"})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"API_KEY","data":{"key":"x"},"metdata":{}})", 400, "invalid_request"},
      {"/v0/vault/keep", R"({"type":"API_KEY","data":{}})", 422, "validation_failed"},
      {"/v0/vault/has%20space", R"({"type":"API_KEY","data":{"key":"x"}})", 400, "invalid_request"},
      {"/v0/vault/" + std::string(129, 'a'), R"({"type":"API_KEY","data":{"key":"x"}})", 400, "invalid_request"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.body);
    ExpectError(Send("PUT", c.path, c.body), c.status, c.code);
  }
  auto still = Get("/v0/vault/keep");
  EXPECT_EQ(still.body["version"], 1);
  EXPECT_EQ(still.body["data"]["key"], "original");
  EXPECT_EQ(Get("/v0/vault").body["credentials"].size(), 1u);
}

TEST_F(VaultApiTest, OversizedBodyIsRefused) {
  std::string big = R"({"type":"CUSTOM","data":{"blob":")" + std::string(1024 * 1024 + 10, 'x') + "\"}}";
  auto reply = Send("PUT", "/v0/vault/big", big);
  EXPECT_EQ(reply.status, 413);
  ExpectError(Get("/v0/vault/big"), 404, "not_found");
}

TEST_F(VaultApiTest, TokensAreRequired) {
  Put("secret", {{"type", "API_KEY"}, {"data", {{"key", "x"}}}});
  for (const std::string& token : {std::string(), std::string("wrong"), std::string("cof_") + std::string(43, 'A')}) {
    auto client = server_->Client(token);
    auto reply = client.Send("GET", "/v0/vault/secret");
    ASSERT_TRUE(reply.ok());
    ExpectError(*reply, 401, "unauthorized");
    auto write = client.Send("PUT", "/v0/vault/secret", R"({"type":"API_KEY","data":{"key":"evil"}})");
    ExpectError(*write, 401, "unauthorized");
  }
  EXPECT_EQ(Get("/v0/vault/secret").body["data"]["key"], "x");
}

TEST_F(VaultApiTest, UnknownRoutesAndMethods) {
  ExpectError(Get("/v0/nothing"), 404, "not_found");
  ExpectError(Get("/v1/vault"), 404, "not_found");
  auto wrong = Send("POST", "/v0/vault/x", "{}");
  ExpectError(wrong, 405, "method_not_allowed");
  ExpectError(Send("PATCH", "/v0/vault"), 405, "method_not_allowed");
}

TEST_F(VaultApiTest, HealthNeedsNoToken) {
  auto anonymous = server_->Client("");
  auto reply = anonymous.Send("GET", "/healthz");
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body["status"], "ok");
}

}  // namespace
}  // namespace coffer::testing
