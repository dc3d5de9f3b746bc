// JSON from outside is hostile until parsed: a document nested deeper than 64 levels is refused at
// parse time (400, naming the limit) on every route that reads a body, on /mcp and on `coffer mcp`,
// and never takes the server down; a stored document that deep is reported as corrupted data; a
// key given twice is refused, never silently resolved to one of its values.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sstream>

#include "coffer_process.h"
#include "server_test.h"
#include "raw_http.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

constexpr size_t kDeep = 50000;  // far past any sane limit, and deep enough to exhaust a thread's stack

// `depth` nested objects: NestedObjects(1) is "{}", NestedObjects(2) is {"a":{}}.
std::string NestedObjects(size_t depth) {
  std::string out;
  for (size_t i = 1; i < depth; ++i) out += "{\"a\":";
  out += "{}";
  return out + std::string(depth - 1, '}');
}

std::string MessageOf(const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
  return body["error"].value("message", "");
}

std::string CodeOf(const json& body) {
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object()) return "";
  return body["error"].value("code", "");
}

// Replaces the stored metadata of every version of one credential, as a damaged or hostile
// database file would hold it. The server must be stopped.
bool PlantMetadata(const std::string& db_path, const std::string& name, const std::string& metadata) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return false;
  }
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db,
                     "UPDATE credential_versions SET metadata = ?1 WHERE credential_id = "
                     "(SELECT id FROM credentials WHERE name = ?2)",
                     -1, &stmt, nullptr);
  sqlite3_bind_text(stmt, 1, metadata.c_str(), static_cast<int>(metadata.size()), SQLITE_TRANSIENT);
  sqlite3_bind_text(stmt, 2, name.c_str(), -1, SQLITE_TRANSIENT);
  bool ok = sqlite3_step(stmt) == SQLITE_DONE && sqlite3_changes(db) >= 1;
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return ok;
}

class HostileJsonTest : public ServerTest {
 protected:
  // A server that died fails the test and is started again, so the next probe has one to talk to.
  void ExpectAlive(const std::string& after) {
    if (Healthy(*server_)) return;
    ADD_FAILURE() << "GET /healthz does not answer 200 after " << after << ": the server died";
    StartServer();
  }

  cli::ApiReply Send(const std::string& token, const std::string& method, const std::string& path,
                     const std::string& body) {
    return SendText(*server_, token, method, path, body);
  }

  static void ExpectDepthRefused(const cli::ApiReply& reply, const std::string& what) {
    EXPECT_EQ(reply.status, 400) << what << ": " << reply.body.dump();
    EXPECT_EQ(CodeOf(reply.body), "invalid_request") << what;
    EXPECT_NE(MessageOf(reply.body).find("64"), std::string::npos)
        << what << ": the message should name the limit of 64 levels: " << MessageOf(reply.body);
  }

  static void ExpectNotRefusedForDepth(const cli::ApiReply& reply, const std::string& what) {
    EXPECT_EQ(MessageOf(reply.body).find("nest"), std::string::npos) << what << ": " << reply.body.dump();
  }

  std::string OwnerId() { return server_->Call(owner_, "GET", "/v0/me").body["identity"]["id"]; }
};

// Depth counts objects and arrays; 64 levels are fine, 65 are refused.
TEST_F(HostileJsonTest, SixtyFourLevelsAreAllowedAndSixtyFiveAreRefused) {
  ExpectNotRefusedForDepth(Send(owner_, "PUT", "/v0/vault/shape", "{\"metadata\":" + NestedArrays(63) + "}"),
                           "{\"metadata\": 63 arrays} (depth 64)");
  ExpectDepthRefused(Send(owner_, "PUT", "/v0/vault/shape", "{\"metadata\":" + NestedArrays(64) + "}"),
                     "{\"metadata\": 64 arrays} (depth 65)");

  const std::string head = R"({"type":"CUSTOM","data":{"v":"x"},"metadata":)";
  auto arrays64 = Send(owner_, "PUT", "/v0/vault/arrays64", head + "{\"a\":" + NestedArrays(62) + "}}");
  ExpectNotRefusedForDepth(arrays64, "valid body of depth 64 (arrays)");
  auto objects64 = Send(owner_, "PUT", "/v0/vault/objects64", head + NestedObjects(63) + "}");
  ExpectNotRefusedForDepth(objects64, "valid body of depth 64 (objects)");

  ExpectDepthRefused(Send(owner_, "PUT", "/v0/vault/arrays65", head + "{\"a\":" + NestedArrays(63) + "}}"),
                     "valid body of depth 65 (arrays)");
  ExpectDepthRefused(Send(owner_, "PUT", "/v0/vault/objects65", head + NestedObjects(64) + "}"),
                     "valid body of depth 65 (objects)");
  // A refused body changes nothing.
  EXPECT_EQ(server_->Call(owner_, "GET", "/v0/vault/arrays65").status, 404);
  EXPECT_EQ(server_->Call(owner_, "GET", "/v0/vault/objects65").status, 404);
}

// The headline: login reads its body before any token is checked, so anyone who can reach the
// port could take the server down with one request.
TEST_F(HostileJsonTest, LoginRefusesFiftyThousandNestedArraysWithoutATokenAndTheServerLives) {
  ExpectDepthRefused(Send("", "POST", "/v0/auth/login",
                          "{\"username\":" + NestedArrays(kDeep) + ",\"password\":\"correct horse battery\"}"),
                     "POST /v0/auth/login with a deep username");
  ExpectAlive("POST /v0/auth/login with a deep username");
  ExpectDepthRefused(Send("", "POST", "/v0/auth/login", NestedArrays(kDeep)), "POST /v0/auth/login, deep body");
  ExpectAlive("POST /v0/auth/login with a deep body");
}

// Every route that reads a JSON body, with the deep document as a field's value and as the body.
TEST_F(HostileJsonTest, EveryRouteWithAJsonBodyRefusesFiftyThousandNestedArrays) {
  const std::string owner_id = OwnerId();
  struct Route {
    std::string method, path, field;
    bool authenticated = true;
  };
  const std::vector<Route> routes = {
      {"POST", "/v0/auth/login", "username", false},
      {"PUT", "/v0/vault/deep", "data"},
      {"POST", "/v0/identities", "name"},
      {"POST", "/v0/identities/" + owner_id + "/tokens", "name"},
      {"POST", "/v0/identities/" + owner_id + "/grants", "granteeId"},
      {"POST", "/v0/humans", "username"},
      {"PUT", "/v0/me/password", "newPassword"},
      {"POST", "/v0/orgs", "name"},
      {"POST", "/v0/me/2fa/confirm", "code"},
      {"POST", "/v0/me/2fa/disable", "code"},
      {"POST", "/v0/vault/deep/rotate", "force"},
      {"POST", "/v0/keys/rotate", "force"},
      {"POST", "/v0/keys/rotate-all", "force"},
      {"POST", "/v0/keys/retire", "version"},
  };
  const std::string deep = NestedArrays(kDeep);
  for (const auto& route : routes) {
    const std::string token = route.authenticated ? owner_ : "";
    const std::string name = route.method + " " + route.path;
    ExpectDepthRefused(Send(token, route.method, route.path, "{\"" + route.field + "\":" + deep + "}"),
                       name + " with a deep " + route.field);
    ExpectAlive(name + " with a deep " + route.field);
    ExpectDepthRefused(Send(token, route.method, route.path, deep), name + " with a deep body");
    ExpectAlive(name + " with a deep body");
  }
  EXPECT_EQ(server_->Call(owner_, "GET", "/v0/vault/deep").status, 404) << "a refused body stores nothing";
}

// /mcp parses its JSON-RPC message itself: a deep one is a JSON-RPC parse error (-32700).
TEST_F(HostileJsonTest, McpOverHttpRefusesDeepParamsWithAParseError) {
  const int port = PortOf(*server_);
  const std::string message =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
      R"("capabilities":{"x":)" + NestedArrays(kDeep) + R"(},"clientInfo":{"name":"deep","version":"1"}}})";
  RawResponse reply = RawRequest(port, "POST", "/mcp",
                                 {Bearer(owner_),
                                  {"Content-Type", "application/json"},
                                  {"Accept", "application/json, text/event-stream"}},
                                 message);
  EXPECT_EQ(reply.status, 400) << reply.body.substr(0, 500);
  json body = reply.Json();
  ASSERT_TRUE(body.is_object()) << reply.body.substr(0, 500);
  EXPECT_EQ(body["jsonrpc"], "2.0");
  EXPECT_EQ(body["error"]["code"], -32700) << reply.body.substr(0, 500);
  ExpectAlive("POST /mcp with deep params");
}

// `coffer mcp` on stdio: the deep line gets a parse error, and the next message still an answer.
TEST_F(HostileJsonTest, McpOverStdioAnswersADeepLineWithAParseErrorAndCarriesOn) {
  const std::string deep_line =
      R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":)" + NestedArrays(kDeep) + "}}";
  const std::string ping = R"({"jsonrpc":"2.0","id":2,"method":"ping"})";
  auto run = RunCoffer({"mcp"}, {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", owner_}},
                       deep_line + "\n" + ping + "\n");
  std::vector<json> replies;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) {
    json parsed = json::parse(line, nullptr, false);
    if (!parsed.is_discarded()) replies.push_back(parsed);
  }
  EXPECT_EQ(run.exit_code, 0) << "coffer mcp should end normally at EOF; stderr: " << run.err.substr(0, 2000);
  ASSERT_EQ(replies.size(), 2u) << "one reply per message; stdout: " << run.out.substr(0, 2000)
                                << "\nstderr: " << run.err.substr(0, 2000);
  EXPECT_EQ(replies[0]["error"]["code"], -32700) << replies[0].dump();
  EXPECT_EQ(replies[1]["id"], 2) << replies[1].dump();
  EXPECT_EQ(replies[1]["result"], json::object()) << replies[1].dump();
  ExpectAlive("coffer mcp relayed a deep line");
}

// A stored document past the limit is damaged data: 500 data_corrupted, and the server lives.
TEST_F(HostileJsonTest, StoredMetadataFortyThousandLevelsDeepIsReportedAsCorrupted) {
  ASSERT_EQ(server_->Call(owner_, "PUT", "/v0/vault/planted",
                          json{{"type", "API_KEY"}, {"data", {{"key", "sk_live_planted"}}}}).status, 201);
  server_->Stop();
  ASSERT_TRUE(PlantMetadata(dir_.path() + "/coffer.db", "planted", "{\"a\":" + NestedArrays(40000) + "}"));
  ASSERT_NO_FATAL_FAILURE(StartServer());
  // Raw, and parsed only when it is an error: a 200 carrying the deep document is not dumped here.
  auto check = [&](const std::string& target) {
    RawResponse reply = RawRequest(PortOf(*server_), "GET", target, {Bearer(owner_)});
    EXPECT_EQ(reply.status, 500) << "GET " << target << " (body " << reply.body.size() << " bytes)";
    if (reply.status >= 400) {
      EXPECT_EQ(CodeOf(reply.Json()), "data_corrupted") << "GET " << target << ": " << reply.body;
    }
    ExpectAlive("GET " + target + " of a credential with 40,000-deep stored metadata");
  };
  check("/v0/vault/planted");
  check("/v0/vault");
}

// A key given twice is ambiguous: refused, and nothing is stored.
TEST_F(HostileJsonTest, DuplicateKeysAnywhereInABodyAreRefusedAndStoreNothing) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dup-type", R"({"type":"API_KEY","type":"CUSTOM","data":{"key":"x"}})"},
      {"dup-data", R"({"type":"API_KEY","data":{"key":"first","key":"second"}})"},
      {"dup-nested", R"({"type":"API_KEY","data":{"key":"x"},"metadata":{"m":{"k":1,"k":2}}})"},
      {"dup-deeper", R"({"type":"CUSTOM","data":{"v":[{"a":1,"b":{"c":1,"c":1}}]}})"},
  };
  for (const auto& [name, body] : cases) {
    auto reply = Send(owner_, "PUT", "/v0/vault/" + name, body);
    EXPECT_EQ(reply.status, 400) << body << ": " << reply.body.dump();
    EXPECT_EQ(CodeOf(reply.body), "invalid_request") << body;
    EXPECT_EQ(server_->Call(owner_, "GET", "/v0/vault/" + name).status, 404) << body << " was stored";
  }
  auto identity = Send(owner_, "POST", "/v0/identities", R"({"name":"first-name","name":"second-name"})");
  EXPECT_EQ(identity.status, 400) << identity.body.dump();
  EXPECT_EQ(CodeOf(identity.body), "invalid_request");
  const auto listed = server_->Call(owner_, "GET", "/v0/identities");
  for (const auto& i : listed.body["identities"]) {
    EXPECT_NE(i["name"], "first-name");
    EXPECT_NE(i["name"], "second-name");
  }
}

}  // namespace
}  // namespace coffer::testing
