// Recognising credentials in .env files: value shapes, names, groups, configuration.
#include "schema/env_detection.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "schema/credential_schema.h"

namespace coffer {
namespace {

using T = CredentialType;
using json = nlohmann::json;

std::vector<EnvImportEntry> Detect(std::string_view dotenv) {
  auto entries = ParseDotenv(dotenv);
  EXPECT_TRUE(entries.ok()) << entries.error().message;
  if (!entries.ok()) return {};
  return DetectEnvCredentials(*entries);
}

const EnvImportEntry& Find(const std::vector<EnvImportEntry>& entries, std::string_view name) {
  for (const auto& e : entries) {
    if (e.name == name) return e;
  }
  ADD_FAILURE() << "no entry named " << name;
  static const EnvImportEntry none;
  return none;
}

// A variable alone in a file, classified.
EnvImportEntry One(std::string_view key, std::string_view value) {
  auto entries = Detect(std::string(key) + "='" + std::string(value) + "'\n");
  EXPECT_EQ(entries.size(), 1u);
  return entries.empty() ? EnvImportEntry() : entries.front();
}

void ExpectSecret(const EnvImportEntry& e, T type, std::string_view preset, Confidence confidence) {
  EXPECT_TRUE(e.secret) << e.name << ": " << e.reason;
  EXPECT_EQ(e.type, type) << e.name << ": " << e.reason;
  EXPECT_EQ(e.preset, preset) << e.name;
  EXPECT_EQ(e.confidence, confidence) << e.name << ": " << e.reason;
}

TEST(EnvDetectionTest, StripeKeysByPrefix) {
  const EnvImportEntry live = One("STRIPE_SECRET_KEY", "sk_live_4eC39HqLyjWDqBa1b2c3");
  ExpectSecret(live, T::kApiKey, "stripe", Confidence::kHigh);
  EXPECT_EQ(live.preset_field, "access_token");
  EXPECT_EQ(live.data, json({{"apiKey", "sk_live_4eC39HqLyjWDqBa1b2c3"}}));
  EXPECT_EQ(live.env_keys, json({{"apiKey", "STRIPE_SECRET_KEY"}}));
  EXPECT_NE(live.reason.find("sk_live_"), std::string::npos);
  ExpectSecret(One("PAYMENTS", "sk_test_abcdefghijkl"), T::kApiKey, "stripe", Confidence::kHigh);
  ExpectSecret(One("RESTRICTED", "rk_live_abcdefghijkl"), T::kApiKey, "stripe", Confidence::kHigh);
  const EnvImportEntry webhook = One("HOOK", "whsec_abcdefghijklmnop");
  EXPECT_EQ(webhook.preset_field, "webhook_secret");
  const EnvImportEntry publishable = One("STRIPE_PK", "pk_live_abcdefghijkl");
  EXPECT_FALSE(publishable.secret);
  EXPECT_EQ(publishable.preset, "stripe");
}

TEST(EnvDetectionTest, ProviderPrefixes) {
  ExpectSecret(One("GH", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"), T::kApiKey, "github", Confidence::kHigh);
  ExpectSecret(One("GH2", "github_pat_11ABCDEFG0123456789_abcdef"), T::kApiKey, "github", Confidence::kHigh);
  ExpectSecret(One("GH3", "gho_abcdefghijklmnop"), T::kApiKey, "github", Confidence::kHigh);
  ExpectSecret(One("BOT", "xoxb-1234-5678-abcdefgh"), T::kApiKey, "slack", Confidence::kHigh);
  ExpectSecret(One("USER_T", "xoxp-1234-5678-abcdefgh"), T::kApiKey, "slack", Confidence::kHigh);
  ExpectSecret(One("LLM", "sk-ant-api03-abcdefghijkl"), T::kApiKey, "anthropic", Confidence::kHigh);
  ExpectSecret(One("LLM2", "sk-proj-abcdefghijkl"), T::kApiKey, "openai", Confidence::kHigh);
  ExpectSecret(One("OPENAI_API_KEY", "sk-abcdefghijklmnopqrst"), T::kApiKey, "openai", Confidence::kHigh);
  ExpectSecret(One("SOME_LLM", "sk-abcdefghijklmnopqrst"), T::kApiKey, "openai", Confidence::kMedium);
  ExpectSecret(One("MAPS", "AIzaSyA-1234567890abcdefghijklmnopqrstu"), T::kApiKey, "google", Confidence::kHigh);
  ExpectSecret(One("MAIL", "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"), T::kApiKey,
               "sendgrid", Confidence::kHigh);
  ExpectSecret(One("NOTION_TOKEN", "secret_abcdefghijklmnop"), T::kApiKey, "notion", Confidence::kHigh);
  ExpectSecret(One("N2", "ntn_abcdefghijklmnop"), T::kApiKey, "notion", Confidence::kHigh);
  ExpectSecret(One("CRM", "pat-na1-01234567-89ab-cdef-0123-456789abcdef"), T::kApiKey, "hubspot",
               Confidence::kHigh);
  ExpectSecret(One("NPM_TOKEN", "npm_abcdefghijklmnopqrstuvwxyz0123456789"), T::kApiKey, "", Confidence::kHigh);
  ExpectSecret(One("GITLAB", "glpat-abcdefghijklmnopqrst"), T::kApiKey, "", Confidence::kHigh);
  ExpectSecret(One("TG", "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), T::kApiKey, "telegram",
               Confidence::kHigh);
  ExpectSecret(One("ELEVENLABS_API_KEY", "sk_0123456789abcdef0123456789abcdef"), T::kApiKey, "elevenlabs",
               Confidence::kHigh);
  // A generic prefix alone does not claim a platform.
  EXPECT_NE(One("SESSION", "secret_abcdefghijklmnop").preset, "notion");
}

TEST(EnvDetectionTest, AwsKeyIdIsPairedWithItsSecretRegionAndSessionToken) {
  const auto entries = Detect(
      "AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE\n"
      "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
      "AWS_REGION=eu-west-1\n"
      "AWS_SESSION_TOKEN=FwoGZXIvYXdzEBYaDFAKE\n");
  ASSERT_EQ(entries.size(), 1u);
  const EnvImportEntry& aws = entries[0];
  ExpectSecret(aws, T::kAws, "aws", Confidence::kHigh);
  EXPECT_EQ(aws.name, "AWS");
  EXPECT_EQ(aws.env_keys, json({{"accessKeyId", "AWS_ACCESS_KEY_ID"}, {"secretAccessKey", "AWS_SECRET_ACCESS_KEY"},
                                {"region", "AWS_REGION"}, {"sessionToken", "AWS_SESSION_TOKEN"}}));
  EXPECT_EQ(aws.data["region"], "eu-west-1");
  EXPECT_EQ(aws.lines, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_TRUE(ValidateCredentialData(aws.type, aws.data).ok());
}

TEST(EnvDetectionTest, PrefixedAwsPairsAndLoneKeyIds) {
  const auto entries = Detect(
      "PROD_AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
      "STAGING_AWS_ACCESS_KEY_ID=AKIAI44QH8DHBEXAMPLE\n"
      "PROD_AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(Find(entries, "PROD_AWS").type, T::kAws);
  const EnvImportEntry& lone = Find(entries, "STAGING_AWS_ACCESS_KEY_ID");
  EXPECT_EQ(lone.preset, "aws");
  ASSERT_EQ(lone.warnings.size(), 1u);
  EXPECT_NE(lone.warnings[0].find("secret access key"), std::string::npos);
}

TEST(EnvDetectionTest, TwilioSidWithAuthToken) {
  const auto entries = Detect("TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\n"
                              "TWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef\n");
  ASSERT_EQ(entries.size(), 1u);
  ExpectSecret(entries[0], T::kCustom, "twilio", Confidence::kHigh);
  EXPECT_EQ(entries[0].name, "TWILIO");
  EXPECT_EQ(entries[0].data["accountSid"], "AC0123456789abcdef0123456789abcdef");
  EXPECT_EQ(entries[0].env_keys["authToken"], "TWILIO_AUTH_TOKEN");
  // Without its token a SID is only an identifier.
  EXPECT_FALSE(One("TWILIO_ACCOUNT_SID", "AC0123456789abcdef0123456789abcdef").secret);
}

TEST(EnvDetectionTest, SmtpSettingsBecomeOneCredential) {
  const auto entries = Detect("SMTP_HOST=smtp.gmail.com\nSMTP_PORT=587\nSMTP_USER=agent@example.com\n"
                              "SMTP_PASS=app-password-123\nSMTP_SECURE=false\n");
  const EnvImportEntry& smtp = Find(entries, "SMTP");
  ExpectSecret(smtp, T::kSmtp, "smtp", Confidence::kHigh);
  EXPECT_EQ(smtp.data, json({{"host", "smtp.gmail.com"}, {"port", "587"}, {"username", "agent@example.com"},
                             {"password", "app-password-123"}}));
  EXPECT_EQ(smtp.env_keys["password"], "SMTP_PASS");
  EXPECT_TRUE(ValidateCredentialData(smtp.type, smtp.data).ok());
  EXPECT_FALSE(Find(entries, "SMTP_SECURE").secret);
}

TEST(EnvDetectionTest, DatabaseSettingsBecomeOneCredential) {
  const auto entries =
      Detect("DB_HOST=db.internal\nDB_PORT=5432\nDB_USER=app\nDB_PASSWORD=hunter2hunter2\nDB_NAME=app\n");
  ASSERT_EQ(entries.size(), 1u);
  ExpectSecret(entries[0], T::kDatabase, "database", Confidence::kHigh);
  EXPECT_EQ(entries[0].name, "DB");
  EXPECT_TRUE(ValidateCredentialData(entries[0].type, entries[0].data).ok());
  // PGHOST-style names have no underscore after the prefix.
  EXPECT_EQ(Detect("PGHOST=h\nPGPASSWORD=p\nPGUSER=u\n").at(0).name, "PG");
}

TEST(EnvDetectionTest, DatabaseUrls) {
  const EnvImportEntry pg = One("DATABASE_URL", "postgres://app:s3cret@db.example.com:5432/app");
  ExpectSecret(pg, T::kDatabase, "database", Confidence::kHigh);
  EXPECT_EQ(pg.data, json({{"url", "postgres://app:s3cret@db.example.com:5432/app"}}));
  ExpectSecret(One("MONGO", "mongodb+srv://u:p@cluster0.example.net/db"), T::kDatabase, "database",
               Confidence::kHigh);
  ExpectSecret(One("MYSQL", "mysql://root:pw@localhost/db"), T::kDatabase, "database", Confidence::kHigh);
  ExpectSecret(One("CACHE", "redis://:password@cache:6379/0"), T::kDatabase, "database", Confidence::kHigh);
  const EnvImportEntry local = One("REDIS_URL", "redis://localhost:6379");
  EXPECT_FALSE(local.secret);
  EXPECT_EQ(local.type, T::kDatabase);
}

TEST(EnvDetectionTest, OtherUrls) {
  ExpectSecret(One("SLACK_WEBHOOK", "https://hooks.slack.com/services/T000/B000/XXXX"), T::kCustom, "",
               Confidence::kHigh);
  ExpectSecret(One("PROXY", "http://user:pass@proxy:8080"), T::kCustom, "", Confidence::kHigh);
  ExpectSecret(One("FEED", "https://api.example.com/feed?api_key=abc"), T::kCustom, "", Confidence::kMedium);
  EXPECT_FALSE(One("APP_URL", "https://example.com/app").secret);
}

TEST(EnvDetectionTest, PemKeysAndJwts) {
  const auto entries = Detect(
      "GITHUB_APP_PRIVATE_KEY=\"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\"\n"
      "DEPLOY_KEY=\"-----BEGIN OPENSSH PRIVATE KEY-----\\nb3Bl\\n-----END OPENSSH PRIVATE KEY-----\"\n"
      "TLS_CERT=\"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\"\n"
      "SUPABASE_SERVICE_ROLE_KEY=eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZSJ9.sig_nature-1\n");
  ExpectSecret(Find(entries, "GITHUB_APP_PRIVATE_KEY"), T::kCustom, "", Confidence::kHigh);
  EXPECT_TRUE(Find(entries, "GITHUB_APP_PRIVATE_KEY").data.contains("privateKey"));
  ExpectSecret(Find(entries, "DEPLOY_KEY"), T::kSshKey, "", Confidence::kHigh);
  EXPECT_FALSE(Find(entries, "TLS_CERT").secret);
  ExpectSecret(Find(entries, "SUPABASE_SERVICE_ROLE_KEY"), T::kApiKey, "", Confidence::kMedium);
}

TEST(EnvDetectionTest, SecretsByName) {
  const EnvImportEntry password = One("ADMIN_PASSWORD", "correct horse battery");
  ExpectSecret(password, T::kLogin, "", Confidence::kMedium);
  EXPECT_EQ(password.env_keys, json({{"password", "ADMIN_PASSWORD"}}));
  ExpectSecret(One("SESSION_SECRET", "keyboard cat"), T::kApiKey, "", Confidence::kMedium);
  ExpectSecret(One("INTERNAL_API_TOKEN", "abcdef123456"), T::kApiKey, "", Confidence::kMedium);
  ExpectSecret(One("MAIL_PASS", "pw"), T::kLogin, "", Confidence::kLow);  // short: still offered
  ExpectSecret(One("FEATURE_KEY", "true"), T::kApiKey, "", Confidence::kLow);
  ExpectSecret(One("RANDOM_THING", "q8Zr2LmN4xT7vB1kP9sW3yH6"), T::kCustom, "", Confidence::kLow);
}

TEST(EnvDetectionTest, PlatformNamesAttachPresetsAndShapeWarnings) {
  const EnvImportEntry slack = One("SLACK_SIGNING_SECRET", "0123456789abcdef0123456789abcdef");
  EXPECT_EQ(slack.preset, "slack");
  EXPECT_EQ(slack.preset_field, "signing_secret");
  EXPECT_TRUE(slack.warnings.empty());
  const EnvImportEntry stripe = One("STRIPE_SECRET_KEY", "definitely-not-a-key");
  EXPECT_EQ(stripe.preset, "stripe");
  ASSERT_EQ(stripe.warnings.size(), 1u);
  EXPECT_EQ(stripe.warnings[0].find("definitely"), std::string::npos);
  EXPECT_EQ(One("CLOUDFLARE_API_TOKEN", "0123456789abcdefghij0123456789abcdefghij").preset, "cloudflare");
}

TEST(EnvDetectionTest, ConfigurationIsNotSecret) {
  const auto entries = Detect(
      "PORT=3000\nNODE_ENV=production\nLOG_LEVEL=debug\nGOOGLE_CLIENT_ID=1234-abc.apps.googleusercontent.com\n"
      "SECRET_KEY_FILE=/run/secrets/key\nNEXT_PUBLIC_SUPABASE_ANON_KEY=abc\nEMPTY=\nGREETING=hello world\n");
  ASSERT_EQ(entries.size(), 8u);
  for (const auto& e : entries) {
    EXPECT_FALSE(e.secret) << e.name << ": " << e.reason;
    EXPECT_EQ(e.type, T::kCustom);
  }
  EXPECT_EQ(Find(entries, "PORT").confidence, Confidence::kHigh);
  EXPECT_EQ(Find(entries, "PORT").env_keys, json({{"value", "PORT"}}));
}

TEST(EnvDetectionTest, GroupNamesDoNotCollideWithVariables) {
  const auto entries = Detect("AWS=unrelated\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
                              "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].name, "AWS");
  EXPECT_EQ(entries[1].name, "AWS_CREDENTIALS");
  EXPECT_EQ(entries[1].type, T::kAws);
}

TEST(EnvDetectionTest, EveryDetectedSecretIsValidForItsType) {
  const auto entries = Detect(
      "STRIPE_SECRET_KEY=sk_live_abcdefghijklmnop\nOPENAI_API_KEY=sk-proj-abcdefghijkl\n"
      "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
      "DATABASE_URL=postgres://u:p@h/db\nSMTP_HOST=h\nSMTP_PASSWORD=p\nADMIN_PASSWORD=pw\nTOKEN=abc\n"
      "TWILIO_ACCOUNT_SID=AC0123456789abcdef0123456789abcdef\nTWILIO_AUTH_TOKEN=0123456789abcdef0123456789abcdef\n"
      "PORT=3000\nEMPTY=\n");
  EXPECT_EQ(entries.size(), 10u);
  for (const auto& e : entries) {
    const Status status = ValidateCredentialData(e.type, e.data);
    EXPECT_TRUE(status.ok()) << e.name << ": " << (status.ok() ? "" : status.error().message);
    EXPECT_TRUE(ValidateCredentialName(e.name).ok()) << e.name;
  }
  // In file order.
  EXPECT_EQ(entries.front().name, "STRIPE_SECRET_KEY");
  EXPECT_EQ(entries.back().name, "EMPTY");
}

TEST(EnvDetectionTest, PreviewHasNoValues) {
  const auto entries = Detect(
      "STRIPE_SECRET_KEY=sk_live_abcdefghijklmnop\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
      "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
  for (const auto& e : entries) {
    const std::string preview = EnvImportPreview(e).dump();
    EXPECT_EQ(preview.find("abcdefghijklmnop"), std::string::npos) << preview;
    EXPECT_EQ(preview.find("wJalrXUtnFEMI"), std::string::npos) << preview;
  }
  const json stripe = EnvImportPreview(entries[0]);
  EXPECT_EQ(stripe["type"], "API_KEY");
  EXPECT_EQ(stripe["preset"], "stripe");
  EXPECT_EQ(stripe["presetField"], "access_token");
  EXPECT_EQ(stripe["confidence"], "high");
  EXPECT_EQ(stripe["fields"], json::array({"apiKey"}));
  EXPECT_EQ(stripe["lines"], json::array({1}));
}

}  // namespace
}  // namespace coffer
