// /mcp and the browser: a page may reach it only from a loopback origin or from a host the server
// was told it serves (`--public-host`). Origins are compared as hosts, not as string prefixes, and
// a Host header that merely agrees with the Origin (DNS rebinding) opens nothing. These requests
// all travel over loopback; the names in the headers are never resolved.
#include <gtest/gtest.h>

#include "coffer_process.h"
#include "server_test.h"
#include "raw_http.h"

namespace coffer::testing {
namespace {

constexpr const char* kInitialize =
    R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",)"
    R"("capabilities":{},"clientInfo":{"name":"origin-test","version":"1"}}})";

class McpOriginTest : public ServerTest {
 protected:
  // Each test starts the server itself, some with options.
  void SetUp() override {}
  void Start(ServerOptions options = {}) {
    StartServer(std::move(options));
    port_ = PortOf(*server_);
  }

  // An initialize POST with `origin` (none when empty) and, when given, this Host header.
  RawResponse Initialize(const std::string& origin, const std::string& host = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!host.empty()) headers.emplace_back("Host", host);
    headers.push_back(Bearer(owner_));
    headers.emplace_back("Content-Type", "application/json");
    headers.emplace_back("Accept", "application/json, text/event-stream");
    if (!origin.empty()) headers.emplace_back("Origin", origin);
    return RawRequest(port_, "POST", "/mcp", headers, std::string(kInitialize));
  }

  std::string Port() const { return std::to_string(port_); }

  int port_ = 0;
};

// A host that starts like a loopback name is somebody else's host.
TEST_F(McpOriginTest, OriginsThatOnlyLookLikeLoopbackAreRefused) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (const std::string origin : {"http://127.0.0.1.evil.example", "http://localhost.evil.example", "http://evil.example"}) {
    RawResponse reply = Initialize(origin);
    EXPECT_EQ(reply.status, 403) << "Origin: " << origin << ": " << reply.body;
  }
}

// No Origin (a non-browser client) and every loopback origin, 127.0.0.0/8 and ::1 included.
TEST_F(McpOriginTest, NoOriginAndLoopbackOriginsAreAllowed) {
  ASSERT_NO_FATAL_FAILURE(Start());
  for (const std::string& origin : {std::string(), "http://localhost:" + Port(), "http://127.0.0.1:" + Port(),
                                   "http://127.5.6.7:" + Port(), "http://[::1]:" + Port()}) {
    RawResponse reply = Initialize(origin);
    EXPECT_NE(reply.status, 403) << "Origin: " << (origin.empty() ? "(none)" : origin) << ": " << reply.body;
    EXPECT_NE(reply.status, 0) << "Origin: " << origin << ": no answer";
  }
}

// DNS rebinding: the page's name now points at loopback, so Host and Origin agree; the server
// does not serve that name, so it is refused.
TEST_F(McpOriginTest, AHostHeaderThatMerelyMatchesTheOriginIsRefused) {
  ASSERT_NO_FATAL_FAILURE(Start());
  RawResponse reply = Initialize("http://evil.example", "evil.example");
  EXPECT_EQ(reply.status, 403) << reply.body;
}

// A server told which public name it serves accepts pages from that name.
TEST_F(McpOriginTest, TheServersOwnPublicHostIsAllowed) {
  ASSERT_NO_FATAL_FAILURE(Start(ServerOptions{.extra_args = {"--public-host", "vault.test"}}));
  RawResponse reply = Initialize("http://vault.test:" + Port(), "vault.test:" + Port());
  EXPECT_NE(reply.status, 403) << reply.body;
  EXPECT_NE(reply.status, 0) << "no answer";
}

}  // namespace
}  // namespace coffer::testing
