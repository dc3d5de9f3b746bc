// The `coffer vault` CLI against a real server: outputs and the exit codes scripts rely on.
#include <gtest/gtest.h>

#include "coffer_process.h"

namespace coffer::testing {
namespace {

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<CofferServer>(dir_.path());
    ASSERT_TRUE(server_->started());
    env_ = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", server_->owner_token()}};
  }
  CommandResult Run(const std::vector<std::string>& args, const std::string& input = "") {
    return RunCoffer(args, env_, input);
  }
  TempDir dir_;
  std::unique_ptr<CofferServer> server_;
  std::map<std::string, std::string> env_;
};

TEST_F(CliTest, StoreGetListDeleteLikeTheSeed) {
  auto stored = Run({"vault", "store", "stripe", "--type", "API_KEY", "--data", R"({"key":"sk_live_abc123..."})",
                     "--metadata", R"({"service":"stripe","prefix":"sk_live_...c123"})"});
  ASSERT_EQ(stored.exit_code, 0) << stored.err;
  EXPECT_NE(stored.out.find("Stored stripe"), std::string::npos);

  auto field = Run({"vault", "get", "stripe", "--field", "key"});
  EXPECT_EQ(field.exit_code, 0);
  EXPECT_EQ(field.out, "sk_live_abc123...") << "--field prints the bare value for $(...)";

  auto json = Run({"vault", "get", "stripe", "--json"});
  ASSERT_EQ(json.exit_code, 0);
  auto parsed = nlohmann::json::parse(json.out);
  EXPECT_EQ(parsed["data"]["key"], "sk_live_abc123...");
  EXPECT_EQ(parsed["metadata"]["service"], "stripe");

  auto human = Run({"vault", "get", "stripe"});
  EXPECT_NE(human.out.find("key: sk_live_abc123..."), std::string::npos);

  EXPECT_EQ(Run({"vault", "store", "stripe", "--type", "API_KEY", "--data", "-"}, R"({"key":"sk_live_new"})").exit_code, 0);
  EXPECT_EQ(Run({"vault", "get", "stripe", "--field", "key"}).out, "sk_live_new");
  EXPECT_EQ(Run({"vault", "get", "stripe", "--field", "key", "--version", "1"}).out, "sk_live_abc123...");

  auto list = Run({"vault", "list", "--json"});
  ASSERT_EQ(list.exit_code, 0);
  auto listed = nlohmann::json::parse(list.out)["credentials"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["version"], 2);
  EXPECT_EQ(list.out.find("sk_live"), std::string::npos);
  EXPECT_NE(Run({"vault", "list"}).out.find("stripe"), std::string::npos);

  EXPECT_EQ(Run({"vault", "delete", "stripe"}).exit_code, 0);
  EXPECT_EQ(Run({"vault", "list"}).out, "No credentials.\n");
}

TEST_F(CliTest, ExitCodesScriptsCanRelyOn) {
  EXPECT_EQ(Run({"vault", "get", "missing"}).exit_code, 3);
  auto bad_json = Run({"vault", "store", "x", "--type", "API_KEY", "--data", "{oops"});
  EXPECT_EQ(bad_json.exit_code, 2);
  EXPECT_NE(bad_json.err.find("--data must be a JSON object"), std::string::npos);
  auto bad_type = Run({"vault", "store", "x", "--type", "NOPE", "--data", R"({"k":"v"})"});
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_NE(bad_type.err.find("API_KEY"), std::string::npos) << "the message lists the valid types";
  EXPECT_EQ(Run({"vault", "get"}).exit_code, 2) << "missing argument is a usage error";

  auto denied = RunCoffer({"vault", "list"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", "cof_nope"}});
  EXPECT_EQ(denied.exit_code, 4);
  auto unreachable = RunCoffer({"vault", "list"}, {{"COFFER_ADDR", "http://127.0.0.1:1"}, {"COFFER_TOKEN", "x"}});
  EXPECT_EQ(unreachable.exit_code, 5);
  EXPECT_NE(unreachable.err.find("cannot reach"), std::string::npos);
}

TEST_F(CliTest, FlagsOverrideEnvironment) {
  auto result = RunCoffer({"vault", "list", "--addr", server_->url(), "--token", server_->owner_token()},
                          {{"COFFER_ADDR", "http://127.0.0.1:1"}, {"COFFER_TOKEN", "wrong"}});
  EXPECT_EQ(result.exit_code, 0) << result.err;
}

}  // namespace
}  // namespace coffer::testing

namespace coffer::testing {
namespace {

// The README's bootstrap flow: the owner creates an identity and a token, the agent uses it, a
// person logs in, and revoking the identity cuts the agent off.
TEST_F(CliTest, OwnerCreatesAnAgentThatUsesItsOwnToken) {
  auto created = Run({"identity", "create", "billing-agent", "--scopes", "vault:read,vault:write,vault:list", "--json"});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  std::string agent = nlohmann::json::parse(created.out)["id"];
  auto token = Run({"token", "create", agent, "--name", "prod"});
  ASSERT_EQ(token.exit_code, 0) << token.err;
  std::string agent_token = token.out.substr(0, token.out.find('\n'));
  ASSERT_EQ(agent_token.rfind("cof_", 0), 0u) << "stdout holds just the token";
  EXPECT_NE(token.err.find("shown once"), std::string::npos);

  std::map<std::string, std::string> as_agent = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", agent_token}};
  EXPECT_EQ(RunCoffer({"vault", "store", "stripe", "--type", "API_KEY", "--data", R"({"key":"sk_agent"})"}, as_agent).exit_code, 0);
  EXPECT_EQ(RunCoffer({"vault", "get", "stripe", "--field", "key"}, as_agent).out, "sk_agent");
  auto whoami = RunCoffer({"whoami"}, as_agent);
  EXPECT_NE(whoami.out.find("owner > billing-agent"), std::string::npos) << whoami.out;
  // The owner's own vault does not hold the agent's credential.
  EXPECT_EQ(Run({"vault", "get", "stripe"}).exit_code, 3);
  // Scopes the agent lacks: exit code 4.
  EXPECT_EQ(RunCoffer({"vault", "delete", "stripe"}, as_agent).exit_code, 4);

  auto passwd = RunCoffer({"passwd"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", server_->owner_token()},
                                       {"COFFER_NEW_PASSWORD", "a long owner password"}});
  ASSERT_EQ(passwd.exit_code, 0) << passwd.err;
  auto login = RunCoffer({"login", "owner"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_PASSWORD", "a long owner password"}});
  ASSERT_EQ(login.exit_code, 0) << login.err;
  std::string session = login.out.substr(0, login.out.find('\n'));
  auto revoke = RunCoffer({"identity", "revoke", agent}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", session}});
  ASSERT_EQ(revoke.exit_code, 0) << revoke.err;
  EXPECT_EQ(RunCoffer({"vault", "get", "stripe"}, as_agent).exit_code, 4) << "revoked: 401";
  auto bad_login = RunCoffer({"login", "owner"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_PASSWORD", "wrong password!"}});
  EXPECT_EQ(bad_login.exit_code, 4);
}

}  // namespace
}  // namespace coffer::testing
