// Error messages help without echoing: whatever a caller typed in a place meant for a word (a type,
// a field name, a query parameter) may be a secret pasted in the wrong place, so it never comes
// back in the reply, however much it looks like an identifier. Known words still get their help.
#include <gtest/gtest.h>

#include "coffer_process.h"
#include "server_test.h"
#include "raw_http.h"

namespace coffer::testing {
namespace {

using nlohmann::json;

// A 16-character password: letters and digits only, so it passes any "looks harmless" test.
constexpr const char* kPassword = "Pw7xQ2mZ9kL4vB1n";

class ErrorEchoTest : public ServerTest {
 protected:
  cli::ApiReply Send(const std::string& method, const std::string& path,
                     const std::optional<std::string>& body = std::nullopt) {
    return SendText(*server_, owner_, method, path, body);
  }

  // Refused as bad input, and the password nowhere in the reply.
  static void ExpectRefusedWithoutEcho(const cli::ApiReply& reply, const std::string& what, bool may_be_422 = false) {
    EXPECT_TRUE(reply.status == 400 || (may_be_422 && reply.status == 422)) << what << ": " << reply.status;
    const std::string text = reply.body.dump() + reply.raw_body;
    EXPECT_EQ(text.find(kPassword), std::string::npos) << what << " echoed the password: " << text;
  }
};

// In a value that names a type.
TEST_F(ErrorEchoTest, APasswordSentAsTheTypeIsNotEchoed) {
  const std::string p(kPassword);
  ExpectRefusedWithoutEcho(Send("PUT", "/v0/vault/x", R"({"type":")" + p + R"(","data":{"key":"v"}})"),
                           "PUT with the password as type", /*may_be_422=*/true);
  ExpectRefusedWithoutEcho(Send("GET", "/v0/vault?type=" + p), "GET /v0/vault?type=<password>", true);
}

// As the name of a field or parameter nobody asked for.
TEST_F(ErrorEchoTest, APasswordSentAsAnUnknownFieldOrParameterNameIsNotEchoed) {
  const std::string p(kPassword);
  ExpectRefusedWithoutEcho(Send("PUT", "/v0/vault/x", R"({"type":"API_KEY","data":{"key":"v"},")" + p + R"(":1})"),
                           "PUT /v0/vault/x with the password as a field name");
  ExpectRefusedWithoutEcho(Send("POST", "/v0/identities", R"({"name":"agent",")" + p + R"(":1})"),
                           "POST /v0/identities with the password as a field name");
  ExpectRefusedWithoutEcho(Send("GET", "/v0/vault?" + p + "=1"), "GET /v0/vault?<password>=1");
  ExpectRefusedWithoutEcho(Send("GET", "/v0/vault/x?" + p + "=1"), "GET /v0/vault/x?<password>=1");
  ExpectRefusedWithoutEcho(Send("GET", "/v0/identities?" + p + "=1"), "GET /v0/identities?<password>=1");
  // Nothing was stored or created by any of it.
  EXPECT_EQ(Send("GET", "/v0/vault/x").status, 404);
}

// A near miss of a known field still gets the field names it could have meant.
TEST_F(ErrorEchoTest, ATypoOfAKnownFieldStillGetsTheKnownNames) {
  auto reply = Send("POST", "/v0/identities", R"({"name":"helper","scope":["vault:read"]})");
  EXPECT_EQ(reply.status, 400) << reply.body.dump();
  ASSERT_TRUE(reply.body["error"].is_object()) << reply.body.dump();
  const std::string message = reply.body["error"].value("message", "");
  EXPECT_NE(message.find("scopes"), std::string::npos) << message;
}

}  // namespace
}  // namespace coffer::testing
