// Names, types and timestamps: the validation every request goes through.
#include <set>

#include <gtest/gtest.h>

#include "core/credential.h"
#include "core/time.h"
#include "crypto/encoding.h"
#include "crypto/random.h"
#include "vault/ids.h"

namespace coffer {
namespace {

TEST(CredentialNameTest, AcceptsTheSeedsNames) {
  for (const char* name : {"stripe-production", "STRIPE_KEY", "skill:openai:access_token", "a", "x.y_z-1:2"}) {
    EXPECT_TRUE(ValidateCredentialName(name).ok()) << name;
  }
  EXPECT_TRUE(ValidateCredentialName(std::string(128, 'a')).ok());
}

TEST(CredentialNameTest, RejectsBadNamesWithAReason) {
  for (const char* name : {"", "has space", "slash/inside", "percent%", "ümlaut", "new\nline"}) {
    Status s = ValidateCredentialName(name);
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(s.error().message.find("A-Z"), std::string::npos);
  }
  Status long_name = ValidateCredentialName(std::string(129, 'a'));
  ASSERT_FALSE(long_name.ok());
  EXPECT_NE(long_name.error().message.find("128"), std::string::npos);
}

TEST(CredentialTypeTest, RoundTripsEveryType) {
  for (CredentialType type : kAllCredentialTypes) {
    EXPECT_EQ(ParseCredentialType(CredentialTypeName(type)), type);
  }
  EXPECT_FALSE(ParseCredentialType("api_key").has_value()) << "types are case-sensitive, as in the seeds";
}

TEST(TimeTest, ParsesAndFormatsIso8601) {
  auto t = ParseIso8601("2026-12-31T00:00:00Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatIso8601(*t), "2026-12-31T00:00:00Z");
  EXPECT_EQ(*ParseIso8601("2026-12-31"), *t);
  EXPECT_EQ(*ParseIso8601("2026-12-31T02:00:00+02:00"), *t);
  EXPECT_EQ(FormatIso8601(*ParseIso8601("2026-03-29T03:00:00.5Z")), "2026-03-29T03:00:00.500000Z");
  EXPECT_EQ(FormatIso8601(0), "1970-01-01T00:00:00Z");
}

TEST(TimeTest, RejectsMalformedTimestamps) {
  for (const char* bad : {"", "2026", "2026-13-01", "2026-02-30", "2026-12-31T00:00:00", "tomorrow",
                          "2026-12-31T25:00:00Z", "2026-12-31T00:00:00Zjunk"}) {
    EXPECT_FALSE(ParseIso8601(bad).has_value()) << bad;
  }
}

TEST(EncodingTest, Base64RoundTrip) {
  for (size_t n = 0; n < 40; ++n) {
    auto bytes = crypto::RandomBytes(n);
    auto decoded = crypto::Base64Decode(crypto::Base64Encode(bytes));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, bytes);
  }
  EXPECT_EQ(crypto::Base64Encode(crypto::AsBytes("foobar")), "Zm9vYmFy");
  EXPECT_FALSE(crypto::Base64Decode("not base64!").has_value());
}

TEST(RandomTest, Base62TokensUseOnlyTheAlphabet) {
  std::string s = crypto::RandomBase62(1000);
  EXPECT_EQ(s.size(), 1000u);
  for (char c : s) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
  EXPECT_NE(crypto::RandomBase62(43), crypto::RandomBase62(43));
}

TEST(EncodingTest, Base62IsFixedWidthAndOrdered) {
  EXPECT_EQ(crypto::Base62Encode(0, 3), "000");
  EXPECT_EQ(crypto::Base62Encode(61, 2), "0z");
  EXPECT_EQ(crypto::Base62Encode(62, 2), "10");
  EXPECT_EQ(crypto::Base62Encode(62 * 62, 2), "00") << "digits above the width are dropped";
}

TEST(IdTest, TimeOrderedIdsSortByTimeAndStayUnique) {
  // Audit record ids: byte-wise order (SQLite's) must follow time, across digit-width boundaries
  // and across the 0-9 / A-Z / a-z jumps of the alphabet.
  const int64_t times[] = {0, 9, 10, 35, 36, 61, 62, 1'796'162'245'853'735, 1'796'162'245'853'736,
                           13'000'000'000'000'000};
  std::string previous;
  for (int64_t at : times) {
    std::string id = vault::NewTimeOrderedId("aud_", at);
    ASSERT_EQ(id.size(), 24u) << id;
    EXPECT_EQ(id.substr(0, 4), "aud_");
    for (char c : id.substr(4)) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << id;
    EXPECT_LT(previous.substr(0, 13), id.substr(0, 13)) << "time " << at;
    previous = id;
  }
  // Within one microsecond the random tail keeps them apart.
  std::set<std::string> same_time;
  for (int i = 0; i < 1000; ++i) same_time.insert(vault::NewTimeOrderedId("aud_", 42));
  EXPECT_EQ(same_time.size(), 1000u);
}

}  // namespace
}  // namespace coffer
