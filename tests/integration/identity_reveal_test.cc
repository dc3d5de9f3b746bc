// `reveal: false` on an identity, not only on a token: everything issued to it, and everything
// created under it, sees values only masked, exactly as a reveal: false token does; a descendant
// cannot ask for more than its parent may see.
#include <gtest/gtest.h>

#include "coffer_process.h"
#include "server_test.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

constexpr const char* kValue = "sk_live_abcdef1234";
constexpr const char* kMasked = "\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2\xE2\x80\xA2" "1234";  // ••••1234

class IdentityRevealTest : public ServerTest {
 protected:
  std::string Token(const std::string& caller, const std::string& identity, const json& extra = json::object()) {
    json body = {{"name", "t"}};
    body.update(extra);
    auto reply = Call(caller, "POST", "/v0/identities/" + identity + "/tokens", body);
    EXPECT_EQ(reply.status, 201) << reply.body.dump();
    return reply.body.value("token", "");
  }

  // Stores kValue as `name` in the token's own partition, reads it back with the same token and
  // checks it comes back masked, as a reveal: false token reads it.
  void ExpectReadsMasked(const std::string& token, const std::string& name, const std::string& who) {
    ASSERT_EQ(Call(token, "PUT", "/v0/vault/" + name, json{{"type", "API_KEY"}, {"data", {{"key", kValue}}}}).status, 201)
        << who;
    auto got = Call(token, "GET", "/v0/vault/" + name);
    ASSERT_EQ(got.status, 200) << who << ": " << got.body.dump();
    EXPECT_EQ(got.body["masked"], true) << who << ": " << got.body.dump();
    EXPECT_EQ(got.body["data"]["key"], kMasked) << who << " saw the value";
    EXPECT_EQ(got.body.dump().find(kValue), std::string::npos) << who << " saw the value";
  }
};

// The form to match: what a reveal: false token on an ordinary identity reads today.
TEST_F(IdentityRevealTest, ARevealFalseTokenReadsMasked) {
  auto agent = Call(owner_, "POST", "/v0/identities", json{{"name", "plain"}});
  ASSERT_EQ(agent.status, 201) << agent.body.dump();
  ExpectReadsMasked(Token(owner_, agent.body["id"], {{"reveal", false}}), "plain-key", "a reveal: false token");
}

// Marked on the identity: shown, and binding on every token issued to it.
TEST_F(IdentityRevealTest, AnIdentityMarkedRevealFalseMasksEveryTokenIssuedToIt) {
  auto hidden = Call(owner_, "POST", "/v0/identities", json{{"name", "hidden"}, {"reveal", false}});
  ASSERT_EQ(hidden.status, 201) << hidden.body.dump();
  const std::string id = hidden.body["id"];
  EXPECT_EQ(hidden.body["reveal"], false) << hidden.body.dump();
  auto shown = Call(owner_, "GET", "/v0/identities/" + id);
  ASSERT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body["reveal"], false) << shown.body.dump();

  ExpectReadsMasked(Token(owner_, id), "by-default-token", "a default token of a reveal: false identity");
  ExpectReadsMasked(Token(owner_, id, {{"reveal", true}}), "by-reveal-true-token",
                    "a reveal: true token of a reveal: false identity");
}

// Created under it: reveal false unless asked, and asking for true is refused.
TEST_F(IdentityRevealTest, ChildrenOfARevealFalseIdentityInheritItAndCannotAskForMore) {
  auto hidden = Call(owner_, "POST", "/v0/identities", json{{"name", "hidden"}, {"reveal", false}});
  ASSERT_EQ(hidden.status, 201) << hidden.body.dump();
  const std::string parent_token = Token(owner_, hidden.body["id"]);

  auto child = Call(parent_token, "POST", "/v0/identities", json{{"name", "child"}});
  ASSERT_EQ(child.status, 201) << child.body.dump();
  EXPECT_EQ(child.body["reveal"], false) << child.body.dump();
  const std::string child_id = child.body["id"];
  EXPECT_EQ(Call(owner_, "GET", "/v0/identities/" + child_id).body["reveal"], false);
  ExpectReadsMasked(Token(parent_token, child_id), "child-key", "a token of the child");

  auto wants_more = Call(parent_token, "POST", "/v0/identities", json{{"name", "greedy"}, {"reveal", true}});
  EXPECT_EQ(wants_more.status, 403) << wants_more.body.dump();
  EXPECT_EQ(wants_more.body["error"]["code"], "forbidden") << wants_more.body.dump();
  // The same request made by the owner on the parent's behalf is refused alike.
  auto by_owner = Call(owner_, "POST", "/v0/identities",
                       json{{"name", "greedy2"}, {"parentId", hidden.body["id"]}, {"reveal", true}});
  EXPECT_EQ(by_owner.status, 403) << by_owner.body.dump();
}

}  // namespace
}  // namespace coffer::testing
