// The MCP engine and tools against a scripted backend: the paths the SDK test can only reach
// once narrower tokens exist (scope filtering, reveal: false masking) and the masking rules.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/mcp/mcp_session.h"
#include "core/secret_mask.h"

namespace coffer::mcp {
namespace {

using nlohmann::json;

const std::string kSecret = "sk_live_planted_4eC39HqLyjWDqB";

json Info(const std::string& name, const std::string& type) {
  return {{"credentialId", "cred_1"}, {"type", type}, {"name", name}, {"metadata", {{"service", "stripe"}}},
          {"expiresAt", nullptr}, {"createdAt", "2026-01-01T00:00:00Z"}, {"updatedAt", "2026-01-01T00:00:00Z"},
          {"version", 1}};
}

class FakeBackend : public McpVaultBackend {
 public:
  CallerInfo caller{{"vault:read", "vault:write", "vault:list", "vault:delete", "vault:use"}, true};
  std::vector<std::string> calls;

  Result<json> Store(const std::string& name, CredentialType type, const json&, const json&,
                     std::optional<UnixMicros>) override {
    calls.push_back("store");
    if (!Has("vault:write")) return MakeError(ErrorCode::kPermissionDenied, "this token lacks the vault:write scope");
    return Info(name, std::string(CredentialTypeName(type)));
  }
  Result<json> Get(const std::string& name, std::optional<int>) override {
    calls.push_back("get");
    if (name != "stripe") return MakeError(ErrorCode::kNotFound, "no credential named 'x'");
    json out = Info(name, "API_KEY");
    out["data"] = {{"apiKey", kSecret}, {"pin", 1234}, {"nested", {{"token", kSecret}}}, {"enabled", true}};
    return out;
  }
  Result<json> List(std::optional<CredentialType>, const std::string&, const std::string&, int) override {
    return json{{"credentials", json::array({Info("stripe", "API_KEY")})}, {"nextCursor", nullptr}};
  }
  Result<json> Delete(const std::string& name) override { return json{{"deleted", true}, {"name", name}}; }
  Result<json> Totp(const std::string&) override { return json{{"code", "123456"}, {"remaining", 17}}; }
  Result<CallerInfo> Caller() override {
    calls.push_back("caller");
    return caller;
  }

 private:
  bool Has(const std::string& scope) const {
    for (const auto& s : caller.scopes) {
      if (s == scope) return true;
    }
    return false;
  }
};

json Request(int id, const std::string& method, json params = json::object()) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"method", method}, {"params", std::move(params)}};
}

McpSession Initialized(FakeBackend& backend, const std::string& version = "2025-11-25",
                       ToolNaming naming = ToolNaming::kUnderscore) {
  McpSession session(naming);
  auto reply = session.Handle(Request(1, "initialize", {{"protocolVersion", version}, {"capabilities", json::object()}}),
                              backend);
  EXPECT_TRUE(reply && reply->contains("result"));
  return session;
}

std::vector<std::string> ToolNames(McpSession& session, FakeBackend& backend) {
  auto reply = session.Handle(Request(2, "tools/list"), backend);
  std::vector<std::string> names;
  for (const auto& tool : (*reply)["result"]["tools"]) names.push_back(tool["name"]);
  return names;
}

TEST(SecretMask, KeepsOnlyTheLastFourCharacters) {
  EXPECT_EQ(MaskSecretValue("sk_live_abcdef1234"), "••••1234");
  EXPECT_EQ(MaskSecretValue("12345678"), "••••5678");
  EXPECT_EQ(MaskSecretValue("1234567"), "••••••••");  // under 8: no tail
  EXPECT_EQ(MaskSecretValue(""), "••••••••");
  // Characters, not bytes: a multi-byte tail is never split.
  EXPECT_EQ(MaskSecretValue("pässwörd-äöüß"), "••••äöüß");
  // Masking a masked value changes nothing.
  EXPECT_EQ(MaskSecretValue(MaskSecretValue("sk_live_abcdef1234")), "••••1234");
}

TEST(SecretMask, MasksEveryStringAndNumberAtAnyDepth) {
  json data = {{"password", "hunter2-hunter2"}, {"pin", 12345678}, {"nested", {{"list", {"abcdefghij", false}}}},
               {"flag", true}, {"none", nullptr}};
  json masked = MaskSecretFields(CredentialType::kCustom, data);
  EXPECT_EQ(masked["password"], "••••ter2");
  EXPECT_EQ(masked["pin"], "••••5678");
  EXPECT_EQ(masked["nested"]["list"][0], "••••ghij");
  EXPECT_EQ(masked["nested"]["list"][1], false);
  EXPECT_EQ(masked["flag"], true);
  EXPECT_TRUE(masked["none"].is_null());
}

TEST(McpSession, RefusesRequestsBeforeInitializeButAnswersPing) {
  FakeBackend backend;
  McpSession session(ToolNaming::kUnderscore);
  auto early = session.Handle(Request(1, "tools/list"), backend);
  EXPECT_EQ((*early)["error"]["code"], -32600);
  EXPECT_NE((*early)["error"]["message"].get<std::string>().find("initialize"), std::string::npos);
  EXPECT_EQ((*session.Handle(Request(2, "ping"), backend))["result"], json::object());
  EXPECT_FALSE(session.initialized());
}

TEST(McpSession, NegotiatesVersions) {
  FakeBackend backend;
  for (const char* version : {"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}) {
    McpSession session(ToolNaming::kUnderscore);
    auto reply = session.Handle(Request(1, "initialize", {{"protocolVersion", version}}), backend);
    EXPECT_EQ((*reply)["result"]["protocolVersion"], version);
  }
  McpSession session(ToolNaming::kUnderscore);
  auto reply = session.Handle(Request(1, "initialize", {{"protocolVersion", "2099-01-01"}}), backend);
  EXPECT_EQ((*reply)["result"]["protocolVersion"], "2025-11-25");
  McpSession missing(ToolNaming::kUnderscore);
  EXPECT_EQ((*missing.Handle(Request(1, "initialize"), backend))["error"]["code"], -32602);
}

TEST(McpSession, NotificationsAndResponsesGetNoReply) {
  FakeBackend backend;
  McpSession session = Initialized(backend);
  EXPECT_FALSE(session.Handle({{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}}, backend));
  EXPECT_FALSE(session.Handle({{"jsonrpc", "2.0"}, {"id", 7}, {"result", json::object()}}, backend));
}

TEST(McpSession, ParseErrorsNeverQuoteTheInput) {
  FakeBackend backend;
  McpSession session(ToolNaming::kUnderscore);
  auto reply = session.HandleText("{\"data\": \"" + kSecret, backend);
  ASSERT_TRUE(reply);
  EXPECT_NE(reply->find("-32700"), std::string::npos);
  EXPECT_EQ(reply->find(kSecret), std::string::npos);
}

TEST(VaultTools, OffersOnlyToolsTheScopesAllow) {
  FakeBackend backend;
  McpSession session = Initialized(backend);
  EXPECT_EQ(ToolNames(session, backend).size(), 5u);
  backend.caller.scopes = {"vault:read", "vault:list"};
  EXPECT_EQ(ToolNames(session, backend), (std::vector<std::string>{"vault_get", "vault_list", "vault_totp"}));
  backend.caller.scopes = {"vault:use"};
  EXPECT_EQ(ToolNames(session, backend), (std::vector<std::string>{"vault_totp"}));
  backend.caller.scopes = {};
  EXPECT_TRUE(ToolNames(session, backend).empty());
}

TEST(VaultTools, AHiddenToolStillAnswersWithTheVaultsRefusal) {
  FakeBackend backend;
  backend.caller.scopes = {"vault:read"};
  McpSession session = Initialized(backend);
  auto reply = session.Handle(
      Request(3, "tools/call", {{"name", "vault_store"}, {"arguments", {{"name", "a"}, {"type", "API_KEY"}, {"data", {{"k", "v"}}}}}}),
      backend);
  EXPECT_EQ((*reply)["result"]["isError"], true);
  EXPECT_NE((*reply)["result"]["content"][0]["text"].get<std::string>().find("vault:write"), std::string::npos);
}

TEST(VaultTools, RevealFalseMasksEverySecretField) {
  FakeBackend backend;
  backend.caller.reveal = false;
  McpSession session = Initialized(backend);
  auto text = session.HandleText(
      Request(3, "tools/call", {{"name", "vault_get"}, {"arguments", {{"name", "stripe"}}}}).dump(), backend);
  ASSERT_TRUE(text);
  EXPECT_EQ(text->find(kSecret), std::string::npos) << *text;
  EXPECT_EQ(text->find("1234\""), std::string::npos) << "a short number shows no tail";
  json reply = json::parse(*text);
  EXPECT_EQ(reply["result"]["structuredContent"]["masked"], true);
  EXPECT_EQ(reply["result"]["structuredContent"]["data"]["apiKey"], "••••WDqB");
  EXPECT_EQ(reply["result"]["structuredContent"]["metadata"]["service"], "stripe");
  // The reveal flag is learned before the secret is fetched: no flag, no secret.
  EXPECT_EQ(backend.calls, (std::vector<std::string>{"caller", "get"}));
}

TEST(VaultTools, RevealTrueReturnsTheData) {
  FakeBackend backend;
  McpSession session = Initialized(backend);
  auto reply = session.Handle(Request(3, "tools/call", {{"name", "vault_get"}, {"arguments", {{"name", "stripe"}}}}), backend);
  EXPECT_EQ((*reply)["result"]["structuredContent"]["data"]["apiKey"], kSecret);
  EXPECT_EQ((*reply)["result"]["structuredContent"]["masked"], false);
}

TEST(VaultTools, OlderRevisionsGetTextOnly) {
  FakeBackend backend;
  McpSession session = Initialized(backend, "2025-03-26");
  auto list = session.Handle(Request(2, "tools/list"), backend);
  for (const auto& tool : (*list)["result"]["tools"]) {
    EXPECT_FALSE(tool.contains("outputSchema"));
    EXPECT_TRUE(tool.contains("annotations"));
  }
  auto reply = session.Handle(Request(3, "tools/call", {{"name", "vault_totp"}, {"arguments", {{"name", "gh"}}}}), backend);
  EXPECT_FALSE((*reply)["result"].contains("structuredContent"));
  EXPECT_EQ(json::parse((*reply)["result"]["content"][0]["text"].get<std::string>())["code"], "123456");
}

TEST(VaultTools, DottedNamesAndErrorsThatNameTheRealTools) {
  FakeBackend backend;
  McpSession session = Initialized(backend, "2025-11-25", ToolNaming::kDotted);
  EXPECT_EQ(ToolNames(session, backend).front(), "vault.store");
  auto missing = session.Handle(Request(3, "tools/call", {{"name", "vault.get"}, {"arguments", {{"name", "nope"}}}}), backend);
  EXPECT_NE((*missing)["result"]["content"][0]["text"].get<std::string>().find("call vault.list"), std::string::npos);
  auto unknown = session.Handle(Request(4, "tools/call", {{"name", "vault.steal"}}), backend);
  EXPECT_EQ((*unknown)["error"]["code"], -32602);
}

TEST(VaultTools, BadArgumentsAreToolErrorsAndReachNoBackend) {
  FakeBackend backend;
  McpSession session = Initialized(backend);
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"name", "a"}, {"type", "API_KEY"}}, "data is required"},
      {{{"name", "a"}, {"type", "NOPE"}, {"data", {{"k", "v"}}}}, "type must be one of"},
      {{{"name", "bad name"}, {"type", "API_KEY"}, {"data", {{"k", "v"}}}}, "not allowed"},
      {{{"name", "a"}, {"type", "API_KEY"}, {"data", {{"k", "v"}}}, {"extra", 1}}, "unknown argument: vault_store takes"},
      {{{"name", "a"}, {"type", "API_KEY"}, {"data", {{"k", "v"}}}, {"metdata", 1}}, "(did you mean 'metadata'?)"},
      {{{"name", "a"}, {"type", "API_KEY"}, {"data", {{"k", "v"}}}, {"expiresAt", "soon"}}, "ISO 8601"},
  };
  for (const auto& [arguments, fragment] : cases) {
    auto reply = session.Handle(Request(5, "tools/call", {{"name", "vault_store"}, {"arguments", arguments}}), backend);
    EXPECT_EQ((*reply)["result"]["isError"], true) << arguments.dump();
    EXPECT_NE((*reply)["result"]["content"][0]["text"].get<std::string>().find(fragment), std::string::npos)
        << (*reply).dump();
  }
  EXPECT_TRUE(backend.calls.empty());
}

TEST(VaultTools, AnUnknownArgumentIsNeverEchoedSinceItMayBeASecretInTheWrongPlace) {
  FakeBackend backend;
  McpSession session = Initialized(backend);
  const json arguments = {{"name", "a"}, {"type", "API_KEY"}, {"data", {{"k", "v"}}}, {"Pw7xQ2mZ9kL4vB1n", 1}};
  auto reply = session.Handle(Request(5, "tools/call", {{"name", "vault_store"}, {"arguments", arguments}}), backend);
  EXPECT_EQ((*reply)["result"]["isError"], true);
  EXPECT_EQ(reply->dump().find("Pw7xQ2mZ9kL4vB1n"), std::string::npos) << reply->dump();
  EXPECT_TRUE(backend.calls.empty());
}

}  // namespace
}  // namespace coffer::mcp
