// Platform presets of seed 003: names, categories, fields, value shapes, GET /v0/presets.
#include "schema/presets.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "schema/credential_schema.h"

namespace coffer {
namespace {

TEST(PresetsTest, HasTheSixteenPlatformsOfSeed003) {
  std::set<std::string_view> ids;
  for (const Preset& p : AllPresets()) ids.insert(p.id);
  const std::set<std::string_view> expected = {
      "openai", "anthropic", "google", "elevenlabs", "telegram", "slack", "github", "stripe",
      "sendgrid", "twilio", "aws", "cloudflare", "notion", "hubspot", "smtp", "database"};
  EXPECT_EQ(ids, expected);
}

TEST(PresetsTest, CategoriesFollowTheSeed) {
  for (const Preset& p : AllPresets()) {
    const std::string_view expected = p.id == "aws" ? "cloud_storage"
                                      : (p.id == "smtp" || p.id == "database") ? "deploy_credentials"
                                                                                : "skill_credential";
    EXPECT_EQ(PresetCategoryId(p.category), expected) << p.id;
  }
}

TEST(PresetsTest, SecretNamesMatchTheSeedsConvention) {
  const auto name = [](std::string_view preset, std::string_view field) {
    const Preset* p = FindPreset(preset);
    return PresetSecretName(*p, *FindPresetField(*p, field));
  };
  EXPECT_EQ(name("openai", "access_token"), "skill:openai:access_token");
  EXPECT_EQ(name("anthropic", "access_token"), "skill:anthropic:access_token");
  EXPECT_EQ(name("stripe", "access_token"), "skill:stripe:access_token");
  EXPECT_EQ(name("stripe", "webhook_secret"), "skill:stripe:webhook_secret");
  EXPECT_EQ(name("aws", "access_key_id"), "skill:aws:access_key_id");
  EXPECT_EQ(name("aws", "secret_access_key"), "skill:aws:secret_access_key");
  for (const Preset& p : AllPresets()) {
    for (const PresetField& f : p.fields) EXPECT_TRUE(ValidateCredentialName(PresetSecretName(p, f)).ok());
  }
}

TEST(PresetsTest, OptionalFieldsFollowTheSeed) {
  const auto optional = [](std::string_view preset, std::string_view field) {
    const Preset* p = FindPreset(preset);
    return FindPresetField(*p, field)->optional;
  };
  EXPECT_TRUE(optional("google", "oauth_client_id"));
  EXPECT_TRUE(optional("slack", "signing_secret"));
  EXPECT_TRUE(optional("stripe", "webhook_secret"));
  EXPECT_TRUE(optional("aws", "region"));
  EXPECT_TRUE(optional("cloudflare", "account_id"));
  EXPECT_TRUE(optional("smtp", "port"));
  EXPECT_FALSE(optional("smtp", "password"));
  EXPECT_FALSE(optional("twilio", "auth_token"));
  EXPECT_EQ(FindPreset("nope"), nullptr);
}

TEST(PresetsTest, RequiredPresetFieldsFillTheTypesRequiredFields) {
  // Stored as one credential, a preset's mandatory fields must make valid data for its type.
  for (const Preset& p : AllPresets()) {
    nlohmann::json data = nlohmann::json::object();
    for (const PresetField& f : p.fields) {
      if (!f.optional) data[std::string(f.data_field)] = f.data_field == "url" ? "postgres://u:p@h/db" : "x";
    }
    const Status status = ValidateCredentialData(p.type, data);
    EXPECT_TRUE(status.ok()) << p.id << ": " << (status.ok() ? "" : status.error().message);
  }
}

std::optional<std::string> Check(std::string_view preset, std::string_view field, std::string_view value) {
  const Preset* p = FindPreset(preset);
  return CheckPresetValue(*p, *FindPresetField(*p, field), value);
}

TEST(PresetsTest, ValuesOfTheExpectedShapePass) {
  EXPECT_EQ(Check("stripe", "access_token", "sk_live_4eC39HqLyjWDqB"), std::nullopt);
  EXPECT_EQ(Check("stripe", "access_token", "rk_test_abc"), std::nullopt);
  EXPECT_EQ(Check("stripe", "webhook_secret", "whsec_abc"), std::nullopt);
  EXPECT_EQ(Check("anthropic", "access_token", "sk-ant-api03-abc"), std::nullopt);
  EXPECT_EQ(Check("openai", "access_token", "sk-proj-abc"), std::nullopt);
  EXPECT_EQ(Check("aws", "access_key_id", "AKIAIOSFODNN7EXAMPLE"), std::nullopt);
  EXPECT_EQ(Check("aws", "secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), std::nullopt);
  EXPECT_EQ(Check("aws", "region", "eu-central-1"), std::nullopt);
  EXPECT_EQ(Check("telegram", "access_token", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), std::nullopt);
  EXPECT_EQ(Check("twilio", "account_sid", "AC0123456789abcdef0123456789abcdef"), std::nullopt);
  EXPECT_EQ(Check("google", "access_token", "AIzaSyA-1234567890abcdefghijklmnopqrstu"), std::nullopt);
  EXPECT_EQ(Check("database", "connection_string", "mongodb+srv://u:p@cluster0.example.net/db"), std::nullopt);
}

TEST(PresetsTest, ChangedFormatsAreAcceptedSilently) {
  EXPECT_EQ(Check("notion", "access_token", "secret_abc"), std::nullopt);
  EXPECT_EQ(Check("notion", "access_token", "ntn_abc"), std::nullopt);
  EXPECT_EQ(Check("elevenlabs", "access_token", "sk_abc"), std::nullopt);
  EXPECT_EQ(Check("elevenlabs", "access_token", "xi_abc"), std::nullopt);
}

TEST(PresetsTest, UnexpectedShapesWarnWithoutTheValue) {
  auto warning = Check("stripe", "access_token", "pk_live_publishable");
  ASSERT_TRUE(warning.has_value());
  EXPECT_NE(warning->find("Stripe Secret Key"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("sk_live_"), std::string::npos);
  EXPECT_EQ(warning->find("publishable"), std::string::npos);
  EXPECT_TRUE(Check("aws", "access_key_id", "AKIA-too-short").has_value());
  EXPECT_TRUE(Check("slack", "signing_secret", "not-hex").has_value());
  EXPECT_NE(Check("github", "access_token", " ghp_abc\n")->find("copy-paste"), std::string::npos);
  EXPECT_NE(Check("github", "access_token", "")->find("empty"), std::string::npos);
  EXPECT_TRUE(Check("twilio", "auth_token", std::string(10000, 'a')).has_value());
}

TEST(PresetsTest, EveryPatternCompilesAndMatchesSomething) {
  for (const Preset& p : AllPresets()) {
    for (const PresetField& f : p.fields) {
      const std::string probe = f.prefixes.empty() ? "x" : std::string(f.prefixes[0]) + "x";
      (void)CheckPresetValue(p, f, probe);  // throws if the pattern does not compile
    }
  }
}

TEST(PresetsTest, DescribePresetsDocument) {
  const nlohmann::json doc = DescribePresets();
  EXPECT_EQ(doc["categories"].size(), 5u);
  EXPECT_EQ(doc["categories"][1]["id"], "skill_credential");
  EXPECT_EQ(doc["categories"][1]["color"], "green");
  ASSERT_EQ(doc["presets"].size(), 16u);
  const auto stripe = std::find_if(doc["presets"].begin(), doc["presets"].end(),
                                   [](const nlohmann::json& p) { return p["id"] == "stripe"; });
  ASSERT_NE(stripe, doc["presets"].end());
  EXPECT_EQ((*stripe)["name"], "Stripe");
  EXPECT_EQ((*stripe)["type"], "API_KEY");
  EXPECT_EQ((*stripe)["fields"][0]["secretName"], "skill:stripe:access_token");
  EXPECT_EQ((*stripe)["fields"][1]["optional"], true);
  EXPECT_EQ((*stripe)["fields"][1]["prefixes"], nlohmann::json::array({"whsec_"}));
}

}  // namespace
}  // namespace coffer
