// The .env reader and writer. Their agreement with npm dotenv itself is checked by
// tests/dotenv/compare_with_npm.sh over a corpus; these tests pin the behaviours and the errors.
#include "formats/dotenv_parser.h"
#include "formats/dotenv_writer.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace coffer {
namespace {

std::map<std::string, std::string> Parse(std::string_view text) {
  auto entries = ParseDotenv(text);
  EXPECT_TRUE(entries.ok()) << entries.error().message;
  std::map<std::string, std::string> out;
  if (entries.ok()) {
    for (const auto& e : *entries) out[e.key] = e.value;
  }
  return out;
}

std::string ParseError(std::string_view text) {
  auto entries = ParseDotenv(text);
  EXPECT_FALSE(entries.ok());
  if (!entries.ok()) {
    EXPECT_EQ(entries.error().code, ErrorCode::kInvalidArgument);
    return entries.error().message;
  }
  return "";
}

using Map = std::map<std::string, std::string>;

TEST(DotenvParserTest, BasicAssignmentsAndComments) {
  EXPECT_EQ(Parse("A=1\n# comment\n  # indented\n\nB=two words\n"), (Map{{"A", "1"}, {"B", "two words"}}));
}

TEST(DotenvParserTest, ExportPrefixAndExportAsKey) {
  EXPECT_EQ(Parse("export A=1\nexport\tB=2\nexport=3\n"), (Map{{"A", "1"}, {"B", "2"}, {"export", "3"}}));
}

TEST(DotenvParserTest, QuotesAndEscapes) {
  EXPECT_EQ(Parse("S='a\\nb'\nD=\"a\\nb\\rc\\td\"\nB=`it's \"x\"`\n"),
            (Map{{"S", "a\\nb"}, {"D", "a\nb\rc\\td"}, {"B", "it's \"x\""}}));
  // Only \n and \r are expanded, and the backslash before an escaped quote stays.
  EXPECT_EQ(Parse("A=\"say \\\"hi\\\"\"\n"), (Map{{"A", "say \\\"hi\\\""}}));
}

TEST(DotenvParserTest, MultiLineQuotedValues) {
  EXPECT_EQ(Parse("KEY=\"-----BEGIN KEY-----\nabc\n-----END KEY-----\"\nNEXT=1\n"),
            (Map{{"KEY", "-----BEGIN KEY-----\nabc\n-----END KEY-----"}, {"NEXT", "1"}}));
  EXPECT_EQ(Parse("A='x\ny'\nB=`p\nq`\n"), (Map{{"A", "x\ny"}, {"B", "p\nq"}}));
}

TEST(DotenvParserTest, InlineCommentsOnlyAfterUnquotedValues) {
  EXPECT_EQ(Parse("A=foo # c\nB=foo#c\nC=\"foo # not\" # c\nD='#x'\n"),
            (Map{{"A", "foo"}, {"B", "foo"}, {"C", "foo # not"}, {"D", "#x"}}));
}

TEST(DotenvParserTest, EmptyValuesAndWhitespace) {
  EXPECT_EQ(Parse("A=\nB=\"\"\nC=''\nD=   \nE=#c\nF =  spaced  \n"),
            (Map{{"A", ""}, {"B", ""}, {"C", ""}, {"D", ""}, {"E", ""}, {"F", "spaced"}}));
  EXPECT_EQ(Parse("A=\"  kept  \"\n"), (Map{{"A", "  kept  "}}));
}

TEST(DotenvParserTest, LineEndingsAndByteOrderMark) {
  EXPECT_EQ(Parse("A=1\r\nB=\"x\r\ny\"\r\n"), (Map{{"A", "1"}, {"B", "x\ny"}}));
  EXPECT_EQ(Parse("A=1\rB=2\r"), (Map{{"A", "1"}, {"B", "2"}}));
  EXPECT_EQ(Parse("\xEF\xBB\xBF" "A=1\n"), (Map{{"A", "1"}}));
}

TEST(DotenvParserTest, DuplicateKeysLastWinsAtFirstPosition) {
  auto entries = ParseDotenv("A=1\nB=2\nA=3\n");
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].key, "A");
  EXPECT_EQ((*entries)[0].value, "3");
  EXPECT_EQ((*entries)[0].line, 3);
  EXPECT_EQ((*entries)[1].key, "B");
}

TEST(DotenvParserTest, LineNumbersPointAtTheKey) {
  auto entries = ParseDotenv("# c\r\n\r\nA=\"x\ny\"\nB=1");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[0].line, 3);
  EXPECT_EQ((*entries)[1].line, 5);
}

TEST(DotenvParserTest, ColonSeparator) {
  EXPECT_EQ(Parse("A: b\nC:  \"d\"\n"), (Map{{"A", "b"}, {"C", "d"}}));
}

TEST(DotenvParserTest, FollowsDotenvQuirks) {
  // dotenv's \s crosses line ends: an empty value takes a quoted next line, and a key may have its
  // = on the following line. Matching dotenv keeps imports equal to what the app was running with.
  EXPECT_EQ(Parse("A=\n'next'\n"), (Map{{"A", "next"}}));
  EXPECT_EQ(Parse("KEY\n=value\n"), (Map{{"KEY", "value"}}));
  // A quote escaped just before the end of the file still closes the value.
  EXPECT_EQ(Parse("A=\"abc\\\""), (Map{{"A", "abc\\"}}));
  // Unicode whitespace is trimmed like JavaScript's String.trim().
  EXPECT_EQ(Parse("A=\xC2\xA0x\xC2\xA0\n"), (Map{{"A", "x"}}));
}

TEST(DotenvParserTest, UnterminatedQuotesAreErrorsNamingTheLineAndKey) {
  const std::string message = ParseError("OK=1\nAPI_KEY=\"sk_live_secret_value\nB=2\n");
  EXPECT_EQ(message.rfind("line 2: ", 0), 0u) << message;
  EXPECT_NE(message.find("API_KEY"), std::string::npos);
  EXPECT_NE(message.find("never closed"), std::string::npos);
  EXPECT_EQ(message.find("sk_live"), std::string::npos) << "the value must never appear";
  EXPECT_NE(ParseError("A='x\n").find("single quote"), std::string::npos);
  EXPECT_NE(ParseError("A=`x\n").find("backtick"), std::string::npos);
  EXPECT_NE(ParseError("A=\"x\\\" y\n").find("escapes it"), std::string::npos);
}

TEST(DotenvParserTest, TextAfterClosingQuoteIsAnError) {
  const std::string message = ParseError("PASSWORD=\"hunter2\"trailing\n");
  EXPECT_EQ(message.rfind("line 1: ", 0), 0u);
  EXPECT_NE(message.find("after its closing double quote"), std::string::npos);
  EXPECT_EQ(message.find("hunter2"), std::string::npos);
  EXPECT_NE(ParseError("A=\"x\nB=\"y\" z\n").find("on line 2"), std::string::npos);
}

TEST(DotenvParserTest, LinesDotenvWouldSkipAreErrors) {
  for (const char* text : {"A=1\nJUST_A_KEY\n", "A=1\nMY KEY=v\n", "A=1\nB:c\n", "A=1\n=v\n", "A=1\nsource x\n"}) {
    EXPECT_EQ(ParseError(text).rfind("line 2: expected KEY=VALUE", 0), 0u) << text;
  }
  EXPECT_EQ(ParseError("secret-looking text without a key\n").find("secret-looking"), std::string::npos);
}

TEST(DotenvParserTest, InvalidUtf8IsAnErrorNamingTheLine) {
  EXPECT_EQ(ParseError("A=1\r\nB=\xFF\n").rfind("line 2: ", 0), 0u);
  EXPECT_EQ(ParseError("A=\xC0\xAF\n").rfind("line 1: ", 0), 0u);  // overlong '/'
}

TEST(DotenvParserTest, EmptyInputAndOnlyComments) {
  EXPECT_TRUE(Parse("").empty());
  EXPECT_TRUE(Parse("# nothing\n\n   \n").empty());
}

// --- Writer ---

std::string Write(const std::vector<DotenvEntry>& entries) {
  auto text = WriteDotenv(entries);
  EXPECT_TRUE(text.ok()) << text.error().message;
  return text.ok() ? *text : "";
}

TEST(DotenvWriterTest, ChoosesThePlainestForm) {
  EXPECT_EQ(Write({{"A", "plain", 0}}), "A=plain\n");
  EXPECT_EQ(Write({{"A", "", 0}}), "A=\n");
  EXPECT_EQ(Write({{"A", " spaced", 0}}), "A=\" spaced\"\n");
  EXPECT_EQ(Write({{"A", "x\ny", 0}}), "A=\"x\\ny\"\n");
  EXPECT_EQ(Write({{"A", "a#b", 0}}), "A=\"a#b\"\n");
  EXPECT_EQ(Write({{"A", "say \"hi\" #1", 0}}), "A='say \"hi\" #1'\n");
  EXPECT_EQ(Write({{"A", "C:\\new dir\\", 0}}), "A=C:\\new dir\\\n");
  EXPECT_EQ(Write({{"A", " it's \\ \"q\"", 0}}), "A=` it's \\ \"q\"`\n");
}

TEST(DotenvWriterTest, RoundTripsThroughTheParser) {
  const std::vector<std::string> values = {
      "", "x", " lead", "trail ", "a#b", "#x", "l1\nl2", "cr\rlf", "'q'", "\"q\"", "`q`", "it's", "\\n literal",
      " \\n and space", "back\\", "x\\\ny", "\xC2\xA0nbsp", "\xE2\x80\xA8sep", "both ' and \"\nline", "=", "${X}",
      "-----BEGIN X-----\nabc\n-----END X-----\n"};
  std::vector<DotenvEntry> entries;
  for (size_t i = 0; i < values.size(); ++i) entries.push_back({"K" + std::to_string(i), values[i], 0});
  auto parsed = ParseDotenv(Write(entries));
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  ASSERT_EQ(parsed->size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) EXPECT_EQ((*parsed)[i].value, values[i]) << "value " << i;
}

TEST(DotenvWriterTest, UnrepresentableValuesAreErrorsNamingTheKey) {
  for (const char* value : {" ' \" `", " ends with backslash\\", "cr\r and \"", "\xFF"}) {
    auto text = WriteDotenv(std::vector<DotenvEntry>{{"MY_SECRET", value, 0}});
    ASSERT_FALSE(text.ok()) << value;
    EXPECT_NE(text.error().message.find("MY_SECRET"), std::string::npos);
  }
}

TEST(DotenvWriterTest, InvalidKeysAreErrors) {
  auto text = WriteDotenv(std::vector<DotenvEntry>{{"OK", "1", 0}, {"BAD KEY", "2", 0}});
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("\"BAD KEY\""), std::string::npos);
  auto unprintable = WriteDotenv(std::vector<DotenvEntry>{{"A\nB", "2", 0}});
  ASSERT_FALSE(unprintable.ok());
  EXPECT_NE(unprintable.error().message.find("number 1"), std::string::npos);
  EXPECT_FALSE(WriteDotenv(std::vector<DotenvEntry>{{"", "2", 0}}).ok());
}

}  // namespace
}  // namespace coffer
