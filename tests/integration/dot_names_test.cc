// "." and ".." are path segments, not names: a client or proxy on the way normalises them away
// (GET /v0/vault/.. becomes GET /v0/vault, the list), so the server refuses them as credential
// names in every spelling, and the CLI never turns `vault get ..` into a listing.
#include <gtest/gtest.h>

#include "coffer_process.h"
#include "server_test.h"
#include "raw_http.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

using DotNamesTest = ServerTest;

// Sent raw, so no client library rewrites the path before the server sees it.
TEST_F(DotNamesTest, DotAndDotDotAreRefusedAsNamesInEverySpelling) {
  const int port = PortOf(*server_);
  const std::string body = R"({"type":"API_KEY","data":{"key":"sk_dot_value"}})";
  for (const std::string target : {"/v0/vault/.", "/v0/vault/..", "/v0/vault/%2E", "/v0/vault/%2e", "/v0/vault/%2E%2E",
                                   "/v0/vault/%2e%2e", "/v0/vault/.%2E", "/v0/vault/%2E."}) {
    RawResponse reply = RawRequest(port, "PUT", target, {Bearer(owner_), {"Content-Type", "application/json"}}, body);
    EXPECT_EQ(reply.status, 400) << "PUT " << target << ": " << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "invalid_request") << "PUT " << target << ": " << reply.body;
  }
  // None of them was stored under any name.
  auto list = server_->Call(owner_, "GET", "/v0/vault");
  ASSERT_EQ(list.status, 200);
  EXPECT_TRUE(list.body["credentials"].empty()) << list.body.dump();
}

// The CLI: bad input (exit 2), never the list of every credential.
TEST_F(DotNamesTest, VaultGetOfDotOrDotDotIsBadInputAndPrintsNoList) {
  ASSERT_EQ(server_->Call(owner_, "PUT", "/v0/vault/listed-credential",
                          json{{"type", "API_KEY"}, {"data", {{"key", "sk_listed"}}}}).status, 201);
  const std::map<std::string, std::string> env = {{"COFFER_ADDR", server_->url()}, {"COFFER_TOKEN", owner_}};
  for (const std::string name : {".", ".."}) {
    auto got = RunCoffer({"vault", "get", name}, env);
    EXPECT_EQ(got.exit_code, 2) << "coffer vault get " << name << "\nstdout: " << got.out << "\nstderr: " << got.err;
    EXPECT_EQ(got.out.find("listed-credential"), std::string::npos)
        << "coffer vault get " << name << " printed the credential list: " << got.out;
    auto as_json = RunCoffer({"vault", "get", name, "--json"}, env);
    EXPECT_EQ(as_json.exit_code, 2) << "coffer vault get " << name << " --json: " << as_json.out;
    EXPECT_EQ(as_json.out.find("listed-credential"), std::string::npos) << as_json.out;
  }
}

}  // namespace
}  // namespace coffer::testing
