#include "schema/presets.h"

#include <algorithm>
#include <map>
#include <regex>

namespace coffer {
namespace {

using C = PresetCategory;
using T = CredentialType;

// Values longer than this are never matched against a pattern (std::regex recurses per character);
// no token in the table comes close.
constexpr size_t kMaxPatternInput = 4096;

struct CategoryInfo {
  PresetCategory category;
  std::string_view id, label, color, description;
};

constexpr CategoryInfo kCategories[] = {
    {C::kDeployCredentials, "deploy_credentials", "Deploy Credentials", "indigo",
     "Infrastructure and deployment secrets (SMTP, database connections)"},
    {C::kSkillCredential, "skill_credential", "Skill Credentials", "green",
     "API keys for agent tools (OpenAI, Slack, GitHub, etc.)"},
    {C::kCloudStorage, "cloud_storage", "Cloud Storage", "blue", "AWS, GCP, and other cloud provider credentials"},
    {C::kApiKey, "api_key", "API Keys", "amber", "General-purpose API keys"},
    {C::kCustom, "custom", "Custom", "gray", "User-defined secrets with custom names"},
};

// The platform's main key or token is `access_token` everywhere, as seed 003 names OpenAI's,
// Anthropic's and Stripe's, so a tool can find any platform's token the same way.
std::vector<Preset> BuildPresets() {
  return {
      {"openai", "OpenAI", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "API Key", .data_field = "apiKey", .prefixes = {"sk-"},
         .shape = "starts with sk- (sk-proj- for project keys)"}}},
      {"anthropic", "Anthropic", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "API Key", .data_field = "apiKey", .prefixes = {"sk-ant-"},
         .shape = "starts with sk-ant-"}}},
      {"google", "Google Cloud / Gemini", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "API Key", .data_field = "apiKey", .prefixes = {"AIza"},
         .pattern = "^AIza[0-9A-Za-z_-]{35}$", .shape = "is 39 characters starting with AIza"},
        {.key = "oauth_client_id", .label = "OAuth Client ID", .optional = true, .secret = false,
         .data_field = "clientId", .pattern = "^[0-9]+-[0-9a-z]+\\.apps\\.googleusercontent\\.com$",
         .shape = "ends with .apps.googleusercontent.com"},
        {.key = "oauth_client_secret", .label = "OAuth Client Secret", .optional = true,
         .data_field = "clientSecret", .prefixes = {"GOCSPX-"}, .shape = "starts with GOCSPX-"}}},
      // Seed 003 documents xi_ keys; ElevenLabs issues sk_ keys today. Both are accepted silently.
      {"elevenlabs", "ElevenLabs", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "API Key", .data_field = "apiKey", .prefixes = {"sk_", "xi_"},
         .shape = "starts with sk_ (older keys: xi_)"}}},
      {"telegram", "Telegram Bot", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "Bot Token", .data_field = "apiKey",
         .pattern = "^[0-9]{5,}:[A-Za-z0-9_-]{30,}$",
         .shape = "looks like 123456789:ABC-DEF... (the bot's number, a colon, then the token)"}}},
      {"slack", "Slack", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "Bot Token", .data_field = "apiKey", .prefixes = {"xoxb-"},
         .shape = "starts with xoxb-"},
        {.key = "signing_secret", .label = "Signing Secret", .optional = true, .data_field = "signingSecret",
         .pattern = "^[0-9a-f]{32}$", .shape = "is 32 hexadecimal characters"}}},
      {"github", "GitHub", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "Personal Access Token", .data_field = "apiKey",
         .prefixes = {"ghp_", "github_pat_"},
         .shape = "starts with ghp_ (classic) or github_pat_ (fine-grained)"}}},
      {"stripe", "Stripe", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "Secret Key", .data_field = "apiKey",
         .prefixes = {"sk_live_", "sk_test_", "rk_live_", "rk_test_"},
         .shape = "starts with sk_live_ or sk_test_ (rk_ for restricted keys)"},
        {.key = "webhook_secret", .label = "Webhook Secret", .optional = true, .data_field = "webhookSecret",
         .prefixes = {"whsec_"}, .shape = "starts with whsec_"}}},
      {"sendgrid", "SendGrid", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "API Key", .data_field = "apiKey", .prefixes = {"SG."},
         .pattern = "^SG\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+$", .shape = "looks like SG.<id>.<secret>"}}},
      {"twilio", "Twilio", C::kSkillCredential, T::kCustom,
       {{.key = "account_sid", .label = "Account SID", .secret = false, .data_field = "accountSid",
         .prefixes = {"AC"}, .pattern = "^AC[0-9a-fA-F]{32}$",
         .shape = "is AC followed by 32 hexadecimal characters"},
        {.key = "auth_token", .label = "Auth Token", .data_field = "authToken", .pattern = "^[0-9a-fA-F]{32}$",
         .shape = "is 32 hexadecimal characters"}}},
      {"aws", "AWS", C::kCloudStorage, T::kAws,
       {{.key = "access_key_id", .label = "Access Key ID", .secret = false, .data_field = "accessKeyId",
         .prefixes = {"AKIA", "ASIA"}, .pattern = "^(AKIA|ASIA)[A-Z0-9]{16}$",
         .shape = "is 20 capital letters and digits starting with AKIA (ASIA for temporary keys)"},
        {.key = "secret_access_key", .label = "Secret Access Key", .data_field = "secretAccessKey",
         .pattern = "^[A-Za-z0-9/+=]{40}$", .shape = "is 40 characters of letters, digits, / and +"},
        {.key = "region", .label = "Region", .optional = true, .secret = false, .data_field = "region",
         .pattern = "^[a-z]{2}(-[a-z]+)+-[0-9]+$", .shape = "looks like us-east-1"}}},
      {"cloudflare", "Cloudflare", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "API Token", .data_field = "apiKey", .pattern = "^[A-Za-z0-9_-]{40}$",
         .shape = "is 40 letters, digits, _ and -"},
        {.key = "account_id", .label = "Account ID", .optional = true, .secret = false, .data_field = "accountId",
         .pattern = "^[0-9a-f]{32}$", .shape = "is 32 hexadecimal characters"}}},
      // Notion changed its token prefix from secret_ to ntn_ in September 2024.
      {"notion", "Notion", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "Integration Token", .data_field = "apiKey",
         .prefixes = {"ntn_", "secret_"},
         .shape = "starts with ntn_ (secret_ for tokens made before September 2024)"}}},
      {"hubspot", "HubSpot", C::kSkillCredential, T::kApiKey,
       {{.key = "access_token", .label = "Private App Token", .data_field = "apiKey", .prefixes = {"pat-"},
         .shape = "starts with pat- (e.g. pat-na1-)"}}},
      {"smtp", "SMTP / Email", C::kDeployCredentials, T::kSmtp,
       {{.key = "host", .label = "Host", .secret = false, .data_field = "host",
         .pattern = "^[A-Za-z0-9.-]+$", .shape = "is a host name such as smtp.gmail.com"},
        {.key = "port", .label = "Port", .optional = true, .secret = false, .data_field = "port",
         .pattern = "^[0-9]{1,5}$", .shape = "is a port number such as 587"},
        {.key = "username", .label = "Username", .secret = false, .data_field = "username"},
        {.key = "password", .label = "App Password", .data_field = "password"}}},
      {"database", "Database", C::kDeployCredentials, T::kDatabase,
       {{.key = "connection_string", .label = "Connection String", .data_field = "url",
         .pattern = "^[A-Za-z][A-Za-z0-9+.-]*://\\S+$",
         .shape = "is a URL such as postgres://user:password@host:5432/db"}}},
  };
}

const std::vector<Preset>& Presets() {
  static const std::vector<Preset> presets = BuildPresets();
  return presets;
}

// Compiled once, on first use, for every pattern in the table.
const std::regex& CompiledPattern(std::string_view pattern) {
  static const std::map<std::string_view, std::regex> compiled = [] {
    std::map<std::string_view, std::regex> out;
    for (const Preset& p : Presets()) {
      for (const PresetField& f : p.fields) {
        if (!f.pattern.empty()) out.emplace(f.pattern, std::regex(f.pattern.begin(), f.pattern.end()));
      }
    }
    return out;
  }();
  return compiled.at(pattern);
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

std::string_view PresetCategoryId(PresetCategory category) {
  for (const auto& c : kCategories) {
    if (c.category == category) return c.id;
  }
  return "custom";
}

std::span<const Preset> AllPresets() { return Presets(); }

const Preset* FindPreset(std::string_view id) {
  for (const Preset& p : Presets()) {
    if (p.id == id) return &p;
  }
  return nullptr;
}

const PresetField* FindPresetField(const Preset& preset, std::string_view key) {
  for (const PresetField& f : preset.fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

std::string PresetSecretName(const Preset& preset, const PresetField& field) {
  return "skill:" + std::string(preset.id) + ":" + std::string(field.key);
}

std::optional<std::string> CheckPresetValue(const Preset& preset, const PresetField& field,
                                            std::string_view value) {
  const std::string what = std::string(preset.name) + " " + std::string(field.label);
  if (value.empty()) return what + " is empty";
  if (IsSpace(value.front()) || IsSpace(value.back())) {
    return what + " begins or ends with spaces or a line break, usually a copy-paste slip: check the value";
  }
  const bool prefix_ok = field.prefixes.empty() ||
                         std::any_of(field.prefixes.begin(), field.prefixes.end(),
                                     [&](std::string_view p) { return value.substr(0, p.size()) == p; });
  const bool pattern_ok = field.pattern.empty() ||
                          (value.size() <= kMaxPatternInput &&
                           std::regex_match(value.begin(), value.end(), CompiledPattern(field.pattern)));
  if (prefix_ok && pattern_ok) return std::nullopt;
  return what + " usually " + std::string(field.shape) +
         ": check that this is the right value (it is stored anyway, in case the format changed)";
}

nlohmann::json DescribePresets() {
  nlohmann::json categories = nlohmann::json::array();
  for (const auto& c : kCategories) {
    categories.push_back(
        {{"id", c.id}, {"label", c.label}, {"color", c.color}, {"description", c.description}});
  }
  nlohmann::json presets = nlohmann::json::array();
  for (const Preset& p : Presets()) {
    nlohmann::json fields = nlohmann::json::array();
    for (const PresetField& f : p.fields) {
      fields.push_back({{"key", f.key},
                        {"label", f.label},
                        {"optional", f.optional},
                        {"secret", f.secret},
                        {"dataField", f.data_field},
                        {"secretName", PresetSecretName(p, f)},
                        {"prefixes", f.prefixes},
                        {"pattern", f.pattern},
                        {"shape", f.shape}});
    }
    presets.push_back({{"id", p.id},
                       {"name", p.name},
                       {"category", PresetCategoryId(p.category)},
                       {"type", CredentialTypeName(p.type)},
                       {"fields", std::move(fields)}});
  }
  return {{"categories", std::move(categories)}, {"presets", std::move(presets)}};
}

}  // namespace coffer
