// HOTP and TOTP against the published vectors of RFC 4226 (Appendix D) and RFC 6238 (Appendix B),
// and base32 against RFC 4648 section 10.
#include "crypto/totp.h"

#include <gtest/gtest.h>

#include <string>

#include "crypto/encoding.h"

namespace coffer::crypto {
namespace {

// RFC 6238 Appendix B: the seed of each algorithm is "1234567890" repeated to the hash length.
constexpr std::string_view kSeedSha1 = "12345678901234567890";
constexpr std::string_view kSeedSha256 = "12345678901234567890123456789012";
constexpr std::string_view kSeedSha512 =
    "1234567890123456789012345678901234567890123456789012345678901234";

TEST(HotpTest, MatchesRfc4226AppendixD) {
  const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                            "254676", "287922", "162583", "399871", "520489"};
  for (uint64_t counter = 0; counter < 10; ++counter) {
    auto code = Hotp(AsBytes(kSeedSha1), counter, OtpAlgorithm::kSha1, 6);
    ASSERT_TRUE(code.ok()) << code.error().message;
    EXPECT_EQ(*code, expected[counter]) << "counter " << counter;
  }
}

TEST(HotpTest, EightDigitsKeepTheTruncatedValuesLowDigits) {
  // RFC 4226 Appendix D lists the truncated values; 8 digits are their last 8 decimal digits.
  EXPECT_EQ(*Hotp(AsBytes(kSeedSha1), 0, OtpAlgorithm::kSha1, 8), "84755224");    // 1284755224
  EXPECT_EQ(*Hotp(AsBytes(kSeedSha1), 7, OtpAlgorithm::kSha1, 8), "82162583");    // 82162583
  EXPECT_EQ(*Hotp(AsBytes(kSeedSha1), 2, OtpAlgorithm::kSha1, 8), "37359152");    // 137359152
}

struct Rfc6238Vector {
  int64_t time;
  const char* sha1;
  const char* sha256;
  const char* sha512;
};

constexpr Rfc6238Vector kRfc6238Vectors[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(TotpTest, MatchesRfc6238AppendixBForAllThreeAlgorithms) {
  for (const auto& v : kRfc6238Vectors) {
    const TotpParams sha1{OtpAlgorithm::kSha1, 8, 30};
    const TotpParams sha256{OtpAlgorithm::kSha256, 8, 30};
    const TotpParams sha512{OtpAlgorithm::kSha512, 8, 30};
    EXPECT_EQ(Totp(AsBytes(kSeedSha1), v.time, sha1)->code, v.sha1) << "SHA1 at " << v.time;
    EXPECT_EQ(Totp(AsBytes(kSeedSha256), v.time, sha256)->code, v.sha256) << "SHA256 at " << v.time;
    EXPECT_EQ(Totp(AsBytes(kSeedSha512), v.time, sha512)->code, v.sha512) << "SHA512 at " << v.time;
  }
}

TEST(TotpTest, SixDigitsAreTheLastSixOfTheEightDigitCode) {
  const TotpParams six{OtpAlgorithm::kSha1, 6, 30};
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 1111111109, six)->code, "081804");  // keeps the leading zero
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 59, six)->code, "287082");
}

TEST(TotpTest, RemainingCountsDownToTheNextPeriod) {
  const TotpParams params;
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 59, params)->remaining_seconds, 1);
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 60, params)->remaining_seconds, 30);
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 0, params)->remaining_seconds, 30);
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 61, params)->remaining_seconds, 29);
}

TEST(TotpTest, AnyPeriodChangesTheCounter) {
  // With a 60 s period, time 120 is counter 2, which RFC 4226 gives as 359152.
  const TotpParams sixty{OtpAlgorithm::kSha1, 6, 60};
  auto code = Totp(AsBytes(kSeedSha1), 120, sixty);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(code->code, "359152");
  EXPECT_EQ(code->remaining_seconds, 60);
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 179, sixty)->remaining_seconds, 1);
  // A 1 s period is counter == time.
  EXPECT_EQ(Totp(AsBytes(kSeedSha1), 9, TotpParams{OtpAlgorithm::kSha1, 6, 1})->code, "520489");
}

TEST(TotpTest, RejectsBadParameters) {
  auto seven = Totp(AsBytes(kSeedSha1), 59, TotpParams{OtpAlgorithm::kSha1, 7, 30});
  ASSERT_FALSE(seven.ok());
  EXPECT_EQ(seven.error().code, ErrorCode::kValidation);
  EXPECT_NE(seven.error().message.find("digits"), std::string::npos);
  auto zero_period = Totp(AsBytes(kSeedSha1), 59, TotpParams{OtpAlgorithm::kSha1, 6, 0});
  ASSERT_FALSE(zero_period.ok());
  EXPECT_NE(zero_period.error().message.find("period"), std::string::npos);
  EXPECT_FALSE(Totp(AsBytes(kSeedSha1), -1, TotpParams{}).ok());
  EXPECT_FALSE(Hotp({}, 0, OtpAlgorithm::kSha1, 6).ok());
}

TEST(TotpTest, FromBase32DecodesTheStoredSecret) {
  // kSeedSha1 in base32, written the way authenticator apps show it.
  auto code = TotpFromBase32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq", 1234567890,
                             TotpParams{OtpAlgorithm::kSha1, 8, 30});
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(code->code, "89005924");
  auto bad = TotpFromBase32("GEZDGNBV1", 0, TotpParams{});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("the TOTP secret ", 0), 0u) << bad.error().message;
}

TEST(OtpAlgorithmTest, ParsesTheSpellingsAuthenticatorsUse) {
  EXPECT_EQ(ParseOtpAlgorithm("SHA1"), OtpAlgorithm::kSha1);
  EXPECT_EQ(ParseOtpAlgorithm("sha256"), OtpAlgorithm::kSha256);
  EXPECT_EQ(ParseOtpAlgorithm("SHA-512"), OtpAlgorithm::kSha512);
  EXPECT_EQ(ParseOtpAlgorithm("MD5"), std::nullopt);
  EXPECT_EQ(OtpAlgorithmName(OtpAlgorithm::kSha256), "SHA256");
}

std::string DecodeToString(std::string_view base32) {
  auto bytes = Base32Decode(base32);
  EXPECT_TRUE(bytes.ok()) << base32 << ": " << bytes.error().message;
  return bytes.ok() ? std::string(bytes->begin(), bytes->end()) : std::string();
}

TEST(Base32Test, MatchesRfc4648Section10) {
  EXPECT_EQ(DecodeToString("MY======"), "f");
  EXPECT_EQ(DecodeToString("MZXQ===="), "fo");
  EXPECT_EQ(DecodeToString("MZXW6==="), "foo");
  EXPECT_EQ(DecodeToString("MZXW6YQ="), "foob");
  EXPECT_EQ(DecodeToString("MZXW6YTB"), "fooba");
  EXPECT_EQ(DecodeToString("MZXW6YTBOI======"), "foobar");
}

TEST(Base32Test, ToleratesCaseSpacesAndMissingPadding) {
  EXPECT_EQ(DecodeToString("mzxw6ytboi"), "foobar");
  EXPECT_EQ(DecodeToString("MZXW 6YTB OI"), "foobar");
  EXPECT_EQ(DecodeToString(" MZXW6YTBOI\n"), "foobar");
  EXPECT_EQ(DecodeToString("JBSWY3DPEHPK3PXP"), "Hello!\xDE\xAD\xBE\xEF");
}

TEST(Base32Test, ErrorsSayWhatAndWhereButNotTheCharacter) {
  auto bad_char = Base32Decode("JBSW1Y3DP");
  ASSERT_FALSE(bad_char.ok());
  EXPECT_EQ(bad_char.error().code, ErrorCode::kValidation);
  EXPECT_NE(bad_char.error().message.find("position 5"), std::string::npos) << bad_char.error().message;
  EXPECT_NE(bad_char.error().message.find("A-Z"), std::string::npos);
  EXPECT_EQ(bad_char.error().message.find("'1'"), std::string::npos);

  auto empty = Base32Decode("  ");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty"), std::string::npos);

  auto bad_length = Base32Decode("MZX");  // 3 symbols cannot end a byte sequence
  ASSERT_FALSE(bad_length.ok());
  EXPECT_NE(bad_length.error().message.find("3 base32 characters"), std::string::npos);

  auto inner_padding = Base32Decode("MY==MY==");
  ASSERT_FALSE(inner_padding.ok());
  EXPECT_NE(inner_padding.error().message.find("padding"), std::string::npos);

  EXPECT_TRUE(ValidateBase32Secret("JBSWY3DPEHPK3PXP").ok());
  EXPECT_FALSE(ValidateBase32Secret("JBSWY3DPEHPK3PX0").ok());
}

}  // namespace
}  // namespace coffer::crypto
