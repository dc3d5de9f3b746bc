// Typed credentials against the real binary: schema validation on store (422 naming the field),
// GET /v0/types and /v0/presets, TOTP codes from the server checked against an independent
// RFC 6238 computation, and `coffer vault store --preset` / `coffer vault totp`.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "coffer_process.h"
#include "crypto/totp.h"
#include "test_keys.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

constexpr const char* kPlanted = "PLANTED-7ypedc0ffee-5ecret";

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TypedCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<CofferServer>(dir_.path());
    ASSERT_TRUE(server_->started()) << server_->stderr_text();
    client_ = std::make_unique<cli::ApiClient>(server_->OwnerClient());
    env_ = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", server_->owner_token()}};
  }

  cli::ApiReply Send(const std::string& method, const std::string& path,
                     const std::optional<std::string>& body = std::nullopt) {
    auto reply = client_->Send(method, path, body);
    EXPECT_TRUE(reply.ok());
    return reply.ok() ? *reply : cli::ApiReply{};
  }
  cli::ApiReply Put(const std::string& name, const json& body) { return Send("PUT", "/v0/vault/" + name, body.dump()); }
  CommandResult Cli(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    return RunCoffer(args, env_, stdin_text);
  }

  // The server's code must be the one RFC 6238 gives for the moment before or after the request
  // (a period boundary may fall in between).
  void ExpectServerCode(const std::string& name, const std::string& secret, const crypto::TotpParams& params) {
    const int64_t before = NowSeconds();
    auto reply = Send("GET", "/v0/vault/" + name + "/totp");
    const int64_t after = NowSeconds();
    ASSERT_EQ(reply.status, 200) << name << ": " << reply.body.dump();
    std::set<std::string> expected;
    for (int64_t t : {before, after}) {
      auto code = crypto::TotpFromBase32(secret, t, params);
      ASSERT_TRUE(code.ok()) << code.error().message;
      expected.insert(code->code);
    }
    ASSERT_TRUE(reply.body["code"].is_string()) << reply.body.dump();
    const std::string code = reply.body["code"];
    EXPECT_EQ(code.size(), static_cast<size_t>(params.digits));
    EXPECT_TRUE(expected.count(code)) << name << " gave " << code;
    ASSERT_TRUE(reply.body["remaining"].is_number_integer());
    EXPECT_GE(reply.body["remaining"].get<int64_t>(), 1);
    EXPECT_LE(reply.body["remaining"].get<int64_t>(), params.period_seconds);
    EXPECT_EQ(reply.body.size(), 2u) << "only the code and its remaining seconds: " << reply.body.dump();
    EXPECT_EQ(reply.body.dump().find(secret), std::string::npos);
  }

  TempDir dir_;
  std::unique_ptr<CofferServer> server_;
  std::unique_ptr<cli::ApiClient> client_;
  std::map<std::string, std::string> env_;
};

TEST_F(TypedCredentialsTest, DataThatDoesNotFitItsTypeIs422NamingTheField) {
  const std::string bad_certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  struct Case {
    std::string type;
    json data;
    std::vector<std::string> message_has;
  };
  const std::vector<Case> cases = {
      {"API_KEY", {{"k", "v"}}, {"data.apiKey", "key"}},
      {"LOGIN", {{"username", "agent"}}, {"data.password", "required"}},
      {"LOGIN", {{"password", "pw"}, {"totpSecret", kPlanted}}, {"data.totpSecret", "base32"}},
      {"TOTP", {{"secret", kPlanted}}, {"data.secret"}},
      {"TOTP", {{"secret", "JBSWY3DPEHPK3PXP"}, {"digits", 7}}, {"data.digits", "6 or 8"}},
      {"TOTP", {{"secret", "JBSWY3DPEHPK3PXP"}, {"algorithm", "MD5"}}, {"data.algorithm", "SHA256"}},
      {"TOTP", {{"secret", "JBSWY3DPEHPK3PXP"}, {"period", 0}}, {"data.period"}},
      {"OAUTH", {{"clientId", "abc"}}, {"accessToken", "refreshToken"}},
      {"DATABASE", {{"url", "not a url"}}, {"data.url", "URL"}},
      {"DATABASE", {{"user", "app"}}, {"url", "host"}},
      {"SMTP", {{"host", "smtp.example.com"}, {"password", "pw"}, {"port", "submission"}}, {"data.port"}},
      {"AWS", {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}}, {"data.secretAccessKey"}},
      {"SSH_KEY", {{"privateKey", kPlanted}}, {"data.privateKey"}},
      {"CERTIFICATE", {{"certificate", bad_certificate}}, {"data.certificate"}},
      {"CERTIFICATE", {{"certificate", kTestCertificate}, {"privateKey", kTestPemPrivateKey}}, {"data.privateKey"}},
  };
  for (const Case& c : cases) {
    auto reply = Put("bad", {{"type", c.type}, {"data", c.data}});
    EXPECT_EQ(reply.status, 422) << c.type << " " << c.data.dump() << ": " << reply.body.dump();
    ASSERT_TRUE(reply.body.contains("error")) << reply.body.dump();
    EXPECT_EQ(reply.body["error"]["code"], "validation_failed");
    const std::string message = reply.body["error"]["message"];
    for (const std::string& part : c.message_has) {
      EXPECT_NE(message.find(part), std::string::npos) << c.type << ": '" << part << "' not in: " << message;
    }
    EXPECT_EQ(message.find(kPlanted), std::string::npos) << "the message echoes the value: " << message;
  }
  EXPECT_EQ(Send("GET", "/v0/vault/bad").status, 404) << "nothing invalid was stored";
  EXPECT_EQ(server_->stderr_text().find(kPlanted), std::string::npos);

  // The CLI passes the message on, with exit code 2.
  auto cli = Cli({"vault", "store", "bad", "--type", "TOTP", "--data", "-"}, R"({"secret":"not base32!"})");
  EXPECT_EQ(cli.exit_code, 2);
  EXPECT_NE(cli.err.find("data.secret"), std::string::npos) << cli.err;
}

TEST_F(TypedCredentialsTest, EveryTypeAcceptsValidDataInTheSeedsSpellings) {
  const std::vector<std::pair<std::string, json>> valid = {
      {"API_KEY", {{"apiKey", "sk_live_1"}}},   // seed 000
      {"API_KEY", {{"key", "sk_live_2"}}},      // seed 002
      {"OAUTH", {{"access_token", "at"}, {"refresh_token", "rt"}}},  // seed 000
      {"OAUTH", {{"accessToken", "at"}, {"scopes", json::array({"repo", "user"})}}},
      {"LOGIN", {{"username", "agent"}, {"password", "pw"}, {"totpSecret", "JBSWY3DPEHPK3PXP"}}},
      {"TOTP", {{"secret", "jbsw y3dp ehpk 3pxp"}, {"digits", "8"}, {"period", 60}, {"algorithm", "sha256"}}},
      {"SSH_KEY", {{"privateKey", kTestSshPrivateKey}, {"host", "git.example.com"}, {"port", 22}}},
      {"DATABASE", {{"host", "db.internal"}, {"port", "5432"}, {"user", "app"}, {"password", "pw"}}},
      {"SMTP", {{"host", "smtp.example.com"}, {"port", 587}, {"username", "bot"}, {"password", "pw"}}},
      {"AWS", {{"accessKeyId", "AKIAIOSFODNN7EXAMPLE"}, {"secretAccessKey", "wJalrXUtnFEMI/K7MDENG"}}},
      {"CERTIFICATE", {{"certificate", kTestCertificate}, {"privateKey", kTestCertificateKey}}},
      {"CUSTOM", {{"anything", "goes"}, {"extra", {{"n", 1}}}}},
  };
  int i = 0;
  for (const auto& [type, data] : valid) {
    auto reply = Put("ok-" + std::to_string(i++), {{"type", type}, {"data", data}});
    EXPECT_EQ(reply.status, 201) << type << " " << data.dump() << ": " << reply.body.dump();
  }
  // Data is validated, never rewritten: the caller's spelling comes back.
  EXPECT_EQ(Send("GET", "/v0/vault/ok-1").body["data"], json({{"key", "sk_live_2"}}));
}

TEST_F(TypedCredentialsTest, TypesAndPresetsDescribeTheFormsToRender) {
  auto types = Send("GET", "/v0/types");
  ASSERT_EQ(types.status, 200) << types.body.dump();
  std::set<std::string> names;
  for (const auto& t : types.body["types"]) {
    names.insert(t["type"].get<std::string>());
    EXPECT_TRUE(t["fields"].is_array());
    EXPECT_FALSE(t["description"].get<std::string>().empty());
  }
  EXPECT_EQ(names, (std::set<std::string>{"LOGIN", "API_KEY", "OAUTH", "TOTP", "SSH_KEY", "DATABASE", "SMTP", "AWS",
                                          "CERTIFICATE", "CUSTOM"}));
  for (const auto& t : types.body["types"]) {
    if (t["type"] != "TOTP") continue;
    const json& secret = t["fields"][0];
    EXPECT_EQ(secret["name"], "secret");
    EXPECT_EQ(secret["required"], true);
    EXPECT_EQ(secret["secret"], true);
    EXPECT_EQ(secret["kind"], "base32");
    EXPECT_EQ(t["fields"][1]["allowed"], json({6, 8}));
  }

  auto presets = Send("GET", "/v0/presets");
  ASSERT_EQ(presets.status, 200) << presets.body.dump();
  std::set<std::string> ids;
  for (const auto& p : presets.body["presets"]) ids.insert(p["id"].get<std::string>());
  for (const char* id : {"openai", "anthropic", "google", "elevenlabs", "telegram", "slack", "github", "stripe",
                         "sendgrid", "twilio", "aws", "cloudflare", "notion", "hubspot", "smtp", "database"}) {
    EXPECT_TRUE(ids.count(id)) << id;
  }
  for (const auto& p : presets.body["presets"]) {
    if (p["id"] != "stripe") continue;
    EXPECT_EQ(p["category"], "skill_credential");
    EXPECT_EQ(p["fields"][0]["secretName"], "skill:stripe:access_token");
    EXPECT_EQ(p["fields"][1]["secretName"], "skill:stripe:webhook_secret");
    EXPECT_EQ(p["fields"][1]["optional"], true);
  }
  EXPECT_EQ(presets.body["categories"].size(), 5u);

  // A token is needed, and unknown parameters are refused.
  auto anonymous = server_->Client("");
  EXPECT_EQ(anonymous.Send("GET", "/v0/types")->status, 401);
  EXPECT_EQ(anonymous.Send("GET", "/v0/presets")->status, 401);
  EXPECT_EQ(Send("GET", "/v0/types?type=TOTP").status, 400);
  EXPECT_EQ(Send("POST", "/v0/presets", "{}").status, 405);
}

TEST_F(TypedCredentialsTest, TotpCodesMatchRfc6238ForTotpAndLoginCredentials) {
  const std::string sha1_secret = "JBSWY3DPEHPK3PXP";
  const std::string sha256_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA====";
  const std::string login_secret = "MNXWMZTFOIWWY33HNFXC2MTGMEWXGZLFMQQQ====";
  const std::string uri_secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
  ASSERT_EQ(Put("github-2fa", {{"type", "TOTP"}, {"data", {{"secret", sha1_secret}}}}).status, 201);
  ASSERT_EQ(Put("skill:example.com:totp",
                {{"type", "TOTP"},
                 {"data", {{"secret", sha256_secret}, {"digits", 8}, {"period", 60}, {"algorithm", "SHA256"}}}})
                .status,
            201);
  ASSERT_EQ(Put("github.com", {{"type", "LOGIN"},
                               {"data", {{"username", "agent"}, {"password", "pw"}, {"totp_secret", login_secret}}}})
                .status,
            201);
  ASSERT_EQ(Put("bank",
                {{"type", "LOGIN"},
                 {"data", {{"password", "pw"},
                           {"totpSecret", "otpauth://totp/Bank:agent?secret=" + uri_secret +
                                              "&issuer=Bank&algorithm=SHA512&digits=8&period=45"}}}})
                .status,
            201);

  ExpectServerCode("github-2fa", sha1_secret, {});
  ExpectServerCode("skill:example.com:totp", sha256_secret, {crypto::OtpAlgorithm::kSha256, 8, 60});
  ExpectServerCode("github.com", login_secret, {});
  ExpectServerCode("bank", uri_secret, {crypto::OtpAlgorithm::kSha512, 8, 45});

  // Credentials without a TOTP secret: 422 saying so. Unknown names: 404.
  ASSERT_EQ(Put("plain-login", {{"type", "LOGIN"}, {"data", {{"password", "pw"}}}}).status, 201);
  ASSERT_EQ(Put("stripe", {{"type", "API_KEY"}, {"data", {{"apiKey", "sk_live_x"}}}}).status, 201);
  auto no_secret = Send("GET", "/v0/vault/plain-login/totp");
  EXPECT_EQ(no_secret.status, 422) << no_secret.body.dump();
  EXPECT_NE(no_secret.body["error"]["message"].get<std::string>().find("totpSecret"), std::string::npos)
      << no_secret.body.dump();
  auto wrong_type = Send("GET", "/v0/vault/stripe/totp");
  EXPECT_EQ(wrong_type.status, 422) << wrong_type.body.dump();
  EXPECT_NE(wrong_type.body["error"]["message"].get<std::string>().find("TOTP"), std::string::npos);
  EXPECT_EQ(Send("GET", "/v0/vault/nope/totp").status, 404);
  EXPECT_EQ(Send("POST", "/v0/vault/github-2fa/totp", "{}").status, 405);
  EXPECT_EQ(Send("GET", "/v0/vault/github-2fa/totp?at=0").status, 400);

  // The CLI: just the code when piped, exit codes for the failures.
  const int64_t before = NowSeconds();
  auto cli = Cli({"vault", "totp", "github-2fa"});
  const int64_t after = NowSeconds();
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  std::set<std::string> expected;
  for (int64_t t : {before, after}) expected.insert(crypto::TotpFromBase32(sha1_secret, t, {})->code + "\n");
  EXPECT_TRUE(expected.count(cli.out)) << cli.out;
  auto cli_json = Cli({"vault", "totp", "bank", "--json"});
  ASSERT_EQ(cli_json.exit_code, 0) << cli_json.err;
  EXPECT_EQ(json::parse(cli_json.out)["code"].get<std::string>().size(), 8u);
  EXPECT_EQ(Cli({"vault", "totp", "stripe"}).exit_code, 2);
  EXPECT_EQ(Cli({"vault", "totp", "nope"}).exit_code, 3);
}

TEST_F(TypedCredentialsTest, PresetStoreNamesSecretsForAgentToolsAndWarnsOnOddShapes) {
  auto stored = Cli({"vault", "store", "--preset", "stripe", "--data", "-", "--metadata", R"({"env":"prod"})"},
                    R"({"access_token":"sk_live_51Hq4eC39HqLyjWDarjtT1zdp7dc","webhook_secret":"whsec_5f8d2a9c1b7e"})");
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  EXPECT_NE(stored.out.find("skill:stripe:access_token"), std::string::npos) << stored.out;
  EXPECT_NE(stored.out.find("skill:stripe:webhook_secret"), std::string::npos) << stored.out;
  EXPECT_EQ(stored.err.find("warning"), std::string::npos) << stored.err;

  auto key = Send("GET", "/v0/vault/skill:stripe:access_token");
  ASSERT_EQ(key.status, 200);
  EXPECT_EQ(key.body["type"], "API_KEY");
  EXPECT_EQ(key.body["data"], json({{"apiKey", "sk_live_51Hq4eC39HqLyjWDarjtT1zdp7dc"}}));
  EXPECT_EQ(key.body["metadata"]["preset"], "stripe");
  EXPECT_EQ(key.body["metadata"]["category"], "skill_credential");
  EXPECT_EQ(key.body["metadata"]["env"], "prod");
  auto webhook = Send("GET", "/v0/vault/skill:stripe:webhook_secret");
  EXPECT_EQ(webhook.body["type"], "CUSTOM");
  EXPECT_EQ(webhook.body["data"], json({{"webhookSecret", "whsec_5f8d2a9c1b7e"}}));

  // A value of an unexpected shape is stored with a warning that names the field, not the value.
  const std::string odd = "odd-shaped-openai-key-1234567890";
  auto warned = Cli({"vault", "store", "--preset", "openai", "--data", "-"}, R"({"access_token":")" + odd + "\"}");
  EXPECT_EQ(warned.exit_code, 0) << warned.err;
  EXPECT_NE(warned.err.find("warning"), std::string::npos) << warned.err;
  EXPECT_NE(warned.err.find("sk-"), std::string::npos) << warned.err;
  EXPECT_EQ((warned.out + warned.err).find(odd), std::string::npos);
  EXPECT_EQ(Send("GET", "/v0/vault/skill:openai:access_token").status, 200);

  // AWS: each field its own secret, by seed 003's names.
  auto aws = Cli({"vault", "store", "--preset", "aws", "--data", "-"},
                 R"({"access_key_id":"AKIAIOSFODNN7EXAMPLE","secret_access_key":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})");
  EXPECT_EQ(aws.exit_code, 0) << aws.err;
  EXPECT_EQ(Send("GET", "/v0/vault/skill:aws:secret_access_key").body["data"]["secretAccessKey"],
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");

  // Mistakes get exit code 2 and a message that says what to do.
  auto missing = Cli({"vault", "store", "--preset", "aws", "--data", R"({"access_key_id":"AKIAIOSFODNN7EXAMPLE"})"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("secret_access_key"), std::string::npos) << missing.err;
  auto unknown = Cli({"vault", "store", "--preset", "stripee", "--data", R"({"a":"b"})"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("stripe"), std::string::npos) << unknown.err;
  auto bad_field = Cli({"vault", "store", "--preset", "stripe", "--data", R"({"secret_key":"sk_live_x"})"});
  EXPECT_EQ(bad_field.exit_code, 2);
  EXPECT_NE(bad_field.err.find("access_token"), std::string::npos) << bad_field.err;
  EXPECT_EQ(Cli({"vault", "store", "name", "--preset", "stripe", "--data", R"({"access_token":"sk_live_x"})"}).exit_code, 2);
  EXPECT_EQ(Cli({"vault", "store", "name", "--data", R"({"apiKey":"x"})"}).exit_code, 2);
}

}  // namespace
}  // namespace coffer::testing
