// otpauth:// URI import (Google Authenticator's Key Uri Format).
#include "formats/otpauth_uri.h"

#include <gtest/gtest.h>

namespace coffer {
namespace {

using crypto::OtpAlgorithm;

TEST(OtpauthUriTest, ParsesEveryParameter) {
  auto uri = ParseOtpauthUri(
      "otpauth://totp/ACME%20Co:john.doe%40email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co"
      "&algorithm=SHA256&digits=8&period=60");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->issuer, "ACME Co");
  EXPECT_EQ(uri->account, "john.doe@email.com");
  EXPECT_EQ(uri->secret, "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ");
  EXPECT_EQ(uri->params.algorithm, OtpAlgorithm::kSha256);
  EXPECT_EQ(uri->params.digits, 8);
  EXPECT_EQ(uri->params.period_seconds, 60);
}

TEST(OtpauthUriTest, AbsentParametersKeepTheDefaults) {
  auto uri = ParseOtpauthUri("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->issuer, "");
  EXPECT_EQ(uri->account, "alice");
  EXPECT_EQ(uri->params.algorithm, OtpAlgorithm::kSha1);
  EXPECT_EQ(uri->params.digits, 6);
  EXPECT_EQ(uri->params.period_seconds, 30);
}

TEST(OtpauthUriTest, IssuerComesFromTheLabelWhenNoParameterGivesIt) {
  auto uri = ParseOtpauthUri("OTPAUTH://TOTP/GitHub:%20agent-bot?secret=jbswy3dpehpk3pxp&image=x#frag");
  ASSERT_TRUE(uri.ok()) << uri.error().message;
  EXPECT_EQ(uri->issuer, "GitHub");
  EXPECT_EQ(uri->account, "agent-bot");
  auto plus = ParseOtpauthUri("otpauth://totp/x?issuer=Big+Corp&secret=JBSWY3DPEHPK3PXP");
  ASSERT_TRUE(plus.ok());
  EXPECT_EQ(plus->issuer, "Big Corp");
}

TEST(OtpauthUriTest, TheCodeMatchesTheSecret) {
  // RFC 6238's SHA1 seed, base32-encoded.
  auto uri = ParseOtpauthUri("otpauth://totp/t?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(crypto::TotpFromBase32(uri->secret, 59, uri->params)->code, "94287082");
}

void ExpectError(std::string_view uri, std::string_view part) {
  auto parsed = ParseOtpauthUri(uri);
  ASSERT_FALSE(parsed.ok()) << uri;
  EXPECT_EQ(parsed.error().code, ErrorCode::kValidation);
  EXPECT_NE(parsed.error().message.find(part), std::string::npos) << parsed.error().message;
  EXPECT_EQ(parsed.error().message.find("JBSWY3DP"), std::string::npos) << "the secret must never appear";
}

TEST(OtpauthUriTest, RejectsWithMessagesNamingThePart) {
  ExpectError("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1", "HOTP");
  ExpectError("https://example.com/?secret=JBSWY3DPEHPK3PXP", "otpauth://");
  ExpectError("otpauth://motp/x?secret=JBSWY3DPEHPK3PXP", "unknown code type");
  ExpectError("otpauth://totp/x?issuer=A", "no secret");
  ExpectError("otpauth://totp?secret=JBSWY3DPEHPK3PXP", "no label");
  ExpectError("otpauth://totp/x?secret=JBSWY3DPEHPK3PX1", "secret parameter");
  ExpectError("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm");
  ExpectError("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=7", "digits");
  ExpectError("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period");
  ExpectError("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&secret=JBSWY3DPEHPK3PXP", "more than once");
  ExpectError("otpauth://totp/x%zz?secret=JBSWY3DPEHPK3PXP", "label");
  ExpectError("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&issuer=%E", "issuer");
}

}  // namespace
}  // namespace coffer
