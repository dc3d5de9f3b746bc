// HTTP/1.1 framing and response headers, checked on the raw bytes: a request whose length two
// parties could read two ways is refused and its connection closed (so nothing can be smuggled
// behind it), a header that may appear once appears once, every response carries the browser
// hardening headers, and every error names the request id it was logged under.
#include <gtest/gtest.h>

#include "coffer_process.h"
#include "server_test.h"
#include "raw_http.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

class HttpFramingTest : public ServerTest {
 protected:
  void SetUp() override {
    ServerTest::SetUp();
    port_ = PortOf(*server_);
  }

  std::string HostLine() const { return "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n"; }

  // A complete, valid, authenticated request: what a smuggler hides in another request's body.
  std::string SmuggledGet() const {
    return "GET /v0/me HTTP/1.1\r\n" + HostLine() + "Authorization: Bearer " + owner_ + "\r\n\r\n";
  }

  // The start of a keep-alive POST: the connection stays open unless the server closes it.
  std::string PostHead() const {
    return "POST /v0/vault/x HTTP/1.1\r\n" + HostLine() + "Authorization: Bearer " + owner_ +
           "\r\nContent-Type: application/json\r\n";
  }

  // Exactly one answer, a 400, then the connection closed; the hidden GET is never answered.
  void ExpectRefusedAndClosed(const std::string& request, const std::string& what) {
    RawExchange exchange = SendRaw(port_, request, std::chrono::milliseconds(3000));
    ASSERT_TRUE(exchange.connected) << what;
    EXPECT_EQ(exchange.StatusLines(), 1u) << what << ": exactly one response; got:\n" << exchange.bytes;
    ASSERT_FALSE(exchange.responses.empty()) << what << ": no response at all";
    EXPECT_EQ(exchange.responses.front().status, 400) << what << ":\n" << exchange.bytes;
    for (const auto& response : exchange.responses) {
      EXPECT_NE(response.status, 200) << what << ": the smuggled GET /v0/me was answered:\n" << exchange.bytes;
    }
    EXPECT_EQ(exchange.bytes.find("\"chain\""), std::string::npos) << what << ": /v0/me's answer leaked through";
    EXPECT_TRUE(exchange.closed) << what << ": the server kept the connection open after a framing error";
    EXPECT_TRUE(Healthy(*server_)) << what;
  }

  // A PUT that announces a body over 1 MiB (the limit) and sends only its headers.
  RawResponse Oversized() const {
    std::string request = "PUT /v0/vault/big HTTP/1.1\r\n" + HostLine() + "Authorization: Bearer " + owner_ +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(1536 * 1024) + "\r\nConnection: close\r\n\r\n";
    RawExchange exchange = SendRaw(port_, request);
    EXPECT_FALSE(exchange.responses.empty()) << "no answer to an oversized PUT";
    return exchange.responses.empty() ? RawResponse{} : exchange.responses.front();
  }

  int port_ = 0;
};

// Transfer-Encoding other than exactly "chunked" cannot be framed: 400, close.
TEST_F(HttpFramingTest, AnUnknownTransferEncodingIsRefusedAndTheRequestBehindItIsNeverAnswered) {
  ExpectRefusedAndClosed(PostHead() + "Transfer-Encoding: xchunked\r\n\r\n" + SmuggledGet(),
                         "Transfer-Encoding: xchunked");
}

TEST_F(HttpFramingTest, ChunkedFollowedByAnotherCodingIsRefusedAndTheConnectionClosed) {
  ExpectRefusedAndClosed(PostHead() + "Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n" + SmuggledGet(),
                         "Transfer-Encoding: chunked, identity");
}

TEST_F(HttpFramingTest, TwoTransferEncodingLinesAreRefusedAndTheConnectionClosed) {
  ExpectRefusedAndClosed(
      PostHead() + "Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n" + SmuggledGet(),
      "Transfer-Encoding: chunked, then Transfer-Encoding: identity");
}

// Content-Length and Transfer-Encoding together: the two lengths disagree by design.
TEST_F(HttpFramingTest, ContentLengthWithTransferEncodingIsRefusedAndTheConnectionClosed) {
  const std::string body = "0\r\n\r\n" + SmuggledGet();
  ExpectRefusedAndClosed(PostHead() + "Content-Length: " + std::to_string(body.size()) +
                             "\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
                         "Content-Length and Transfer-Encoding: chunked");
}

// A request with two Authorization headers is ambiguous, whichever comes first.
TEST_F(HttpFramingTest, TwoAuthorizationHeadersAreRefusedInEitherOrder) {
  const std::string bogus = "cof_" + std::string(43, 'B');
  for (const bool valid_first : {true, false}) {
    auto order = valid_first ? std::vector{Bearer(owner_), Bearer(bogus)} : std::vector{Bearer(bogus), Bearer(owner_)};
    RawResponse reply = RawRequest(port_, "GET", "/v0/me", order);
    const std::string what = valid_first ? "the valid token first" : "the bogus token first";
    EXPECT_EQ(reply.status, 400) << what << ": " << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "invalid_request") << what << ": " << reply.body;
  }
}

// A query parameter given twice is refused like a JSON key given twice: which value a handler
// reads (?version=1&version=2, ?type=API_KEY&type=CUSTOM) is not left to the parser.
TEST_F(HttpFramingTest, AQueryParameterGivenTwiceIsRefused) {
  for (const std::string target : {"/v0/vault?type=API_KEY&type=CUSTOM", "/v0/vault/x?version=1&version=2"}) {
    RawResponse reply = RawRequest(port_, "GET", target, {Bearer(owner_)});
    EXPECT_EQ(reply.status, 400) << target << ": " << reply.body;
    EXPECT_NE(reply.Json()["error"]["message"].get<std::string>().find("twice"), std::string::npos) << reply.body;
  }
  EXPECT_EQ(RawRequest(port_, "GET", "/v0/vault?type=API_KEY&limit=5", {Bearer(owner_)}).status, 200);
}

// Every response, success or error, tells a browser not to sniff, refer or run anything.
TEST_F(HttpFramingTest, EveryResponseCarriesTheBrowserHardeningHeaders) {
  ASSERT_EQ(server_->Call(owner_, "PUT", "/v0/vault/hdr", json{{"type", "API_KEY"}, {"data", {{"key", "v"}}}}).status,
            201);
  struct Case {
    std::string what;
    int status;
    RawResponse reply;
  };
  std::vector<Case> cases = {
      {"GET /healthz", 200, RawRequest(port_, "GET", "/healthz")},
      {"GET a credential", 200, RawRequest(port_, "GET", "/v0/vault/hdr", {Bearer(owner_)})},
      {"no token", 401, RawRequest(port_, "GET", "/v0/vault")},
      {"unknown route", 404, RawRequest(port_, "GET", "/v0/nothing", {Bearer(owner_)})},
      {"wrong method", 405, RawRequest(port_, "PATCH", "/v0/vault", {Bearer(owner_)})},
      {"malformed JSON", 400,
       RawRequest(port_, "PUT", "/v0/vault/hdr", {Bearer(owner_), {"Content-Type", "application/json"}},
                  std::string("{not json"))},
      {"body over 1 MiB", 413, Oversized()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(c.reply.status, c.status) << c.reply.body;
    EXPECT_EQ(c.reply.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(c.reply.Header("referrer-policy"), "no-referrer");
    EXPECT_NE(c.reply.Header("content-security-policy").find("default-src 'none'"), std::string::npos)
        << "Content-Security-Policy: " << c.reply.Header("content-security-policy");
  }
}

// The request id in an error body is the one in the X-Request-Id header (and the audit trail).
TEST_F(HttpFramingTest, EveryErrorBodyNamesItsRequestIdAsTheHeaderDoes) {
  struct Case {
    std::string what;
    int status;
    RawResponse reply;
  };
  std::vector<Case> cases = {
      {"malformed JSON", 400,
       RawRequest(port_, "PUT", "/v0/vault/x", {Bearer(owner_), {"Content-Type", "application/json"}},
                  std::string("{not json"))},
      {"no token", 401, RawRequest(port_, "GET", "/v0/vault")},
      {"unknown route", 404, RawRequest(port_, "GET", "/v0/nothing", {Bearer(owner_)})},
      {"wrong method", 405, RawRequest(port_, "PATCH", "/v0/vault", {Bearer(owner_)})},
      {"body over 1 MiB", 413, Oversized()},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(c.reply.status, c.status) << c.reply.body;
    const std::string header = c.reply.Header("x-request-id");
    EXPECT_FALSE(header.empty()) << "no X-Request-Id header";
    json body = c.reply.Json();
    const bool has_id = body.is_object() && body["error"].is_object() && body["error"]["requestId"].is_string();
    EXPECT_TRUE(has_id) << "no error.requestId: " << c.reply.body;
    if (has_id) {
      EXPECT_EQ(body["error"]["requestId"].get<std::string>(), header) << c.reply.body;
    }
  }
}

}  // namespace
}  // namespace coffer::testing
