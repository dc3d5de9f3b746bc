// Reading what comes from outside: JSON bounded in depth with no repeated keys, and error
// messages that point at the known word instead of repeating what was sent.
#include <string>

#include <gtest/gtest.h>

#include "core/did_you_mean.h"
#include "core/json_document.h"

namespace coffer {
namespace {

std::string NestedArrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }

// A document as deep as the limit parses; one level more is refused by name, at parse time.
TEST(UntrustedJson, ParsesToTheDepthLimitAndRefusesOneLevelMore) {
  auto at_limit = ParseUntrustedJson(NestedArrays(kMaxJsonDepth));
  ASSERT_TRUE(at_limit.ok()) << at_limit.error().message;
  auto deeper = ParseUntrustedJson(NestedArrays(kMaxJsonDepth + 1));
  ASSERT_FALSE(deeper.ok());
  EXPECT_EQ(deeper.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(deeper.error().message.find("deeper than 64"), std::string::npos) << deeper.error().message;
}

// Objects count like arrays: {"a":{"a":...}}.
TEST(UntrustedJson, CountsObjectsAndArraysAlike) {
  std::string text;
  for (int i = 0; i < 40; ++i) text += "{\"a\":[";
  text += "1";
  for (int i = 0; i < 40; ++i) text += "]}";
  auto parsed = ParseUntrustedJson(text);
  ASSERT_FALSE(parsed.ok());  // 80 levels
  EXPECT_TRUE(ParseUntrustedJson(text, {.max_depth = 80}).ok());
}

// The headline attack: 50,000 levels must cost nothing but a 400, not the stack.
TEST(UntrustedJson, FiftyThousandLevelsAreRefusedWithoutRecursion) {
  auto parsed = ParseUntrustedJson("{\"username\":" + NestedArrays(50000) + "}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("deeper than"), std::string::npos);
}

// The last of two equal keys silently winning is how a checked field gets swapped.
TEST(UntrustedJson, RefusesAKeyGivenTwiceInOneObjectAtAnyDepth) {
  EXPECT_FALSE(ParseUntrustedJson(R"({"type":"API_KEY","type":"CUSTOM"})").ok());
  auto nested = ParseUntrustedJson(R"({"metadata":{"a":1,"b":{"c":1,"c":2}}})");
  ASSERT_FALSE(nested.ok());
  EXPECT_NE(nested.error().message.find("same key twice"), std::string::npos);
  // The same key in sibling objects is fine.
  EXPECT_TRUE(ParseUntrustedJson(R"([{"a":1},{"a":2}])").ok());
}

TEST(UntrustedJson, ReadsWhatNlohmannReads) {
  auto parsed = ParseUntrustedJson(R"({"s":"x\u0000y","n":-3,"u":18446744073709551615,"f":1.5,"b":true,"z":null,"a":[1,{"k":"v"}]})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ((*parsed)["s"].get<std::string>(), std::string("x\0y", 3));
  EXPECT_EQ((*parsed)["n"], -3);
  EXPECT_EQ((*parsed)["u"].get<uint64_t>(), UINT64_MAX);
  EXPECT_EQ((*parsed)["f"], 1.5);
  EXPECT_EQ((*parsed)["a"][1]["k"], "v");
  EXPECT_TRUE((*parsed)["z"].is_null());
  EXPECT_TRUE(ParseUntrustedJson("\"just a string\"").ok());
}

// A syntax error names the byte, never the text around it (which may be a secret).
TEST(UntrustedJson, SyntaxErrorsGiveAPositionAndNoInput) {
  auto parsed = ParseUntrustedJson(R"({"password":"hunter2-secret" x})");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("error at byte"), std::string::npos);
  EXPECT_EQ(parsed.error().message.find("hunter2"), std::string::npos);
  EXPECT_FALSE(ParseUntrustedJson("").ok());
  EXPECT_FALSE(ParseUntrustedJson("{} {}").ok());
}

TEST(DidYouMean, SuggestsTheCloseKnownWordOnly) {
  EXPECT_EQ(DidYouMean("scope", {"name", "scopes", "cidrs"}), " (did you mean 'scopes'?)");
  EXPECT_EQ(DidYouMean("api_key", {"LOGIN", "API_KEY"}), " (did you mean 'API_KEY'?)");
  EXPECT_EQ(DidYouMean("metdata", {"type", "data", "metadata"}), " (did you mean 'metadata'?)");
  // A password sent where a name belongs resembles no field, and comes back nowhere.
  EXPECT_EQ(DidYouMean("Pw7xQ2mZ9kL4vB1n", {"name", "scopes", "expiresAt", "cidrs", "reveal"}), "");
  EXPECT_EQ(DidYouMean("", {"a"}), "");
  EXPECT_EQ(DidYouMean("zzzz", {"name"}), "");
}

}  // namespace
}  // namespace coffer
