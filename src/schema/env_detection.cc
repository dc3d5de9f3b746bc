#include "schema/env_detection.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <set>

#include "schema/presets.h"
#include "schema/url.h"

namespace coffer {
namespace {

using T = CredentialType;

bool Contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

template <typename Words>
bool ContainsAny(std::string_view s, const Words& parts) {
  return std::any_of(std::begin(parts), std::end(parts), [&](std::string_view p) { return Contains(s, p); });
}

std::string Uppercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// Whether `key` is `word` or ends with `_word`: names are matched on word boundaries.
bool HasLastWord(std::string_view key, std::string_view word) {
  return key == word || (key.ends_with(word) && key[key.size() - word.size() - 1] == '_');
}

template <typename Words>
std::optional<std::string_view> LastWordAmong(std::string_view key, const Words& words) {
  for (std::string_view w : words) {
    if (HasLastWord(key, w)) return w;
  }
  return std::nullopt;
}

// The value has the shape of a preset field (its prefixes and pattern).
bool FitsPresetField(std::string_view preset_id, std::string_view field_key, std::string_view value) {
  const Preset* preset = FindPreset(preset_id);
  const PresetField* field = preset ? FindPresetField(*preset, field_key) : nullptr;
  return field != nullptr && !CheckPresetValue(*preset, *field, value).has_value();
}

// --- Recognition by a provider's documented prefix -------------------------------------------------

struct PrefixRule {
  std::vector<std::string_view> prefixes;
  std::string_view what;  // for the reason: "Stripe secret key"
  std::string_view preset, preset_field;
  bool secret = true;
  // A generic prefix (sk-, secret_) is trusted fully only when the variable's name agrees;
  // with `name_required` the rule applies only then.
  std::string_view name_hint = {};
  bool name_required = false;
};

// Shorter values are not tokens, whatever they start with.
constexpr size_t kMinTokenLength = 12;

// More specific prefixes first: sk-ant- before sk-.
const std::vector<PrefixRule>& PrefixRules() {
  static const std::vector<PrefixRule> rules = {
      {{"sk-ant-"}, "Anthropic API key", "anthropic", "access_token"},
      {{"sk_live_", "sk_test_"}, "Stripe secret key", "stripe", "access_token"},
      {{"rk_live_", "rk_test_"}, "Stripe restricted key", "stripe", "access_token"},
      {{"whsec_"}, "Stripe webhook signing secret", "stripe", "webhook_secret"},
      {{"pk_live_", "pk_test_"}, "Stripe publishable key, which is meant to be public", "stripe", "", false},
      {{"ghp_", "github_pat_", "gho_", "ghu_", "ghs_", "ghr_"}, "GitHub token", "github", "access_token"},
      {{"xoxb-", "xoxp-", "xoxa-", "xoxe-", "xapp-"}, "Slack token", "slack", "access_token"},
      {{"AIza"}, "Google API key", "google", "access_token"},
      {{"GOCSPX-"}, "Google OAuth client secret", "google", "oauth_client_secret"},
      {{"SG."}, "SendGrid API key", "sendgrid", "access_token"},
      {{"ntn_"}, "Notion integration token", "notion", "access_token"},
      {{"secret_"}, "Notion integration token", "notion", "access_token", true, "NOTION", true},
      {{"pat-na", "pat-eu"}, "HubSpot private app token", "hubspot", "access_token"},
      {{"pat-"}, "HubSpot private app token", "hubspot", "access_token", true, "HUBSPOT", true},
      {{"npm_"}, "npm access token", "", ""},
      {{"glpat-"}, "GitLab personal access token", "", ""},
      {{"sk-proj-", "sk-svcacct-", "sk-admin-"}, "OpenAI API key", "openai", "access_token"},
      {{"sk-"}, "OpenAI API key", "openai", "access_token", true, "OPENAI"},
      {{"sk_", "xi_"}, "ElevenLabs API key", "elevenlabs", "access_token", true, "ELEVEN", true},
  };
  return rules;
}

// --- Recognition by the variable's name --------------------------------------------------------------

struct PlatformHint {
  std::string_view word;  // in the upper-cased variable name
  std::string_view preset;
};

constexpr PlatformHint kPlatformHints[] = {
    {"OPENAI", "openai"},     {"ANTHROPIC", "anthropic"},   {"CLAUDE", "anthropic"},
    {"GEMINI", "google"},     {"GOOGLE", "google"},         {"ELEVENLABS", "elevenlabs"},
    {"ELEVEN_LABS", "elevenlabs"}, {"XI_API", "elevenlabs"}, {"TELEGRAM", "telegram"},
    {"SLACK", "slack"},       {"GITHUB", "github"},         {"GH_TOKEN", "github"},
    {"STRIPE", "stripe"},     {"SENDGRID", "sendgrid"},     {"TWILIO", "twilio"},
    {"AWS", "aws"},           {"CLOUDFLARE", "cloudflare"}, {"CF_API", "cloudflare"},
    {"NOTION", "notion"},     {"HUBSPOT", "hubspot"},
};

// Last words that make a variable a setting whatever else its name says: SECRET_KEY_FILE is a
// path, CLIENT_ID an identifier.
constexpr std::string_view kSettingLastWords[] = {
    "PORT", "HOST", "HOSTNAME", "REGION", "ENV", "MODE", "LEVEL", "TIMEOUT", "ENABLED", "DISABLED",
    "PATH", "DIR", "FILE", "NAME", "USER", "USERNAME", "EMAIL", "ID", "VERSION", "COUNT", "SIZE",
    "LIMIT", "TTL", "URL", "URI", "DOMAIN", "ORIGIN", "BUCKET", "EXPIRY", "EXPIRES", "ALGORITHM",
};

constexpr std::string_view kSettingNames[] = {
    "PORT", "HOST", "HOSTNAME", "NODE_ENV", "ENV", "ENVIRONMENT", "APP_ENV", "RAILS_ENV", "RACK_ENV",
    "FLASK_ENV", "FLASK_APP", "GO_ENV", "DEBUG", "LOG_LEVEL", "LOGLEVEL", "LOG_FORMAT", "TZ", "LANG",
    "LC_ALL", "NODE_OPTIONS", "PYTHONPATH", "PYTHONUNBUFFERED", "APP_NAME", "CI", "VERBOSE",
};

constexpr std::string_view kPublicMarkers[] = {"PUBLIC", "PUBLISHABLE"};

constexpr std::string_view kSecretLastWords[] = {
    "KEY", "SECRET", "TOKEN", "PASSWORD", "PASS", "PWD", "PASSWD", "PASSPHRASE", "CREDENTIALS",
    "CREDENTIAL", "APIKEY", "SALT", "PEPPER",
};
constexpr std::string_view kSecretParts[] = {
    "PASSWORD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY",
};

bool IsPasswordName(std::string_view key) {
  return Contains(key, "PASSWORD") || Contains(key, "PASSWD") || HasLastWord(key, "PASS") ||
         HasLastWord(key, "PWD");
}

// --- Value shapes ----------------------------------------------------------------------------------

bool IsJwt(std::string_view v) {
  if (!v.starts_with("eyJ")) return false;
  int dots = 0;
  for (char c : v) {
    if (c == '.') {
      ++dots;
    } else if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '=') {
      return false;
    }
  }
  return dots == 2 && v.substr(v.find('.') + 1).starts_with("eyJ");
}

// A flag, a number or a short word: what settings hold, and what secrets never look like.
bool IsPlainValue(std::string_view v) {
  const std::string upper = Uppercase(v);
  for (std::string_view word : {"TRUE", "FALSE", "YES", "NO", "ON", "OFF", "NULL", "NONE"}) {
    if (upper == word) return true;
  }
  const auto numeric = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.'; };
  return v.size() < 6 || std::all_of(v.begin(), v.end(), numeric);
}

// Long, unbroken, and mixing three kinds of characters (or long hex): how generated secrets look.
bool LooksRandom(std::string_view v) {
  if (v.size() < 20 || v.starts_with("/") || v.starts_with("./") || v.starts_with("~")) return false;
  bool lower = false, upper = false, digit = false, other = false, hex = true;
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isspace(u)) return false;
    lower |= std::islower(u) != 0;
    upper |= std::isupper(u) != 0;
    digit |= std::isdigit(u) != 0;
    other |= !std::isalnum(u);
    hex &= std::isxdigit(u) != 0;
  }
  const int kinds = lower + upper + digit + other;
  return kinds >= 3 || (hex && digit && v.size() >= 32);
}

// A query parameter whose name ends in token, key, secret...: ?api_key=, &X-Amz-Signature=.
bool QueryHasSecret(std::string_view query) {
  const std::string upper = Uppercase(query);
  for (std::string_view name : {"TOKEN", "KEY", "SECRET", "PASSWORD", "SIG", "SIGNATURE", "AUTH", "CODE"}) {
    for (size_t pos = upper.find(name); pos != std::string::npos; pos = upper.find(name, pos + 1)) {
      const size_t end = pos + name.size();
      if (end < upper.size() && upper[end] == '=') return true;
    }
  }
  return false;
}

constexpr std::string_view kDatabaseSchemes[] = {
    "postgres", "postgresql", "mysql", "mysql2", "mariadb", "mongodb", "mongodb+srv", "redis", "rediss",
    "sqlserver", "mssql", "cockroachdb", "clickhouse", "amqp", "amqps",
};

// Webhook URLs whose path is the secret.
constexpr std::string_view kWebhookPrefixes[] = {
    "hooks.slack.com/", "discord.com/api/webhooks/", "discordapp.com/api/webhooks/", "webhook.office.com/",
};

// --- Groups of variables ---------------------------------------------------------------------------

struct GroupField {
  std::string_view suffix;  // after the group's prefix
  std::string_view field;   // data field
};

struct FieldGroup {
  std::vector<std::string_view> prefixes;
  T type;
  std::string_view preset;
  std::string_view what;
  std::vector<GroupField> fields;          // in order of preference when two name one field
  std::vector<std::string_view> required;  // data fields that must all be present
};

const std::vector<FieldGroup>& FieldGroups() {
  static const std::vector<FieldGroup> groups = {
      {{"SMTP_"}, T::kSmtp, "smtp", "SMTP settings",
       {{"HOST", "host"}, {"SERVER", "host"}, {"PORT", "port"}, {"USER", "username"},
        {"USERNAME", "username"}, {"LOGIN", "username"}, {"PASS", "password"}, {"PASSWORD", "password"},
        {"FROM", "from"}, {"FROM_ADDRESS", "from"}, {"FROM_EMAIL", "from"}},
       {"host", "password"}},
      {{"DB_", "DATABASE_", "POSTGRES_", "POSTGRESQL_", "MYSQL_", "MARIADB_", "MONGO_", "MONGODB_", "PG"},
       T::kDatabase, "database", "database settings",
       {{"HOST", "host"}, {"HOSTNAME", "host"}, {"SERVER", "host"}, {"PORT", "port"}, {"USER", "user"},
        {"USERNAME", "user"}, {"PASS", "password"}, {"PASSWORD", "password"}, {"NAME", "database"},
        {"DATABASE", "database"}, {"DB", "database"}, {"DBNAME", "database"}},
       {"host", "password"}},
  };
  return groups;
}

// --- The detector ----------------------------------------------------------------------------------

struct Variable {
  const DotenvEntry* entry;
  std::string upper_key;
  bool claimed = false;
};

// A one-variable entry. Settings are CUSTOM {"value"} with secret=false.
EnvImportEntry Single(const Variable& v, T type, std::string_view field, Confidence confidence,
                      std::string reason) {
  EnvImportEntry e;
  e.name = v.entry->key;
  e.type = type;
  e.data[std::string(field)] = v.entry->value;
  e.env_keys[std::string(field)] = v.entry->key;
  e.confidence = confidence;
  e.reason = std::move(reason);
  e.lines.push_back(v.entry->line);
  return e;
}

EnvImportEntry Setting(const Variable& v, Confidence confidence, std::string reason) {
  EnvImportEntry e = Single(v, T::kCustom, "value", confidence, std::move(reason));
  e.secret = false;
  return e;
}

EnvImportEntry WithPreset(EnvImportEntry e, std::string_view preset_id, std::string_view field_key) {
  e.preset = std::string(preset_id);
  e.preset_field = std::string(field_key);
  return e;
}

// The preset a secret variable's name points to, and which of its fields the value fills: the one
// whose shape the value has, else the one named in the variable, else the platform's main secret.
void AttachPresetByName(EnvImportEntry& e, const Variable& v) {
  const auto hint = std::find_if(std::begin(kPlatformHints), std::end(kPlatformHints),
                                 [&](const PlatformHint& h) { return Contains(v.upper_key, h.word); });
  if (hint == std::end(kPlatformHints)) return;
  const Preset& preset = *FindPreset(hint->preset);
  const std::string& value = v.entry->value;
  const PresetField* chosen = nullptr;
  for (const PresetField& f : preset.fields) {
    const bool has_shape = !f.prefixes.empty() || !f.pattern.empty();
    if (f.secret && has_shape && !CheckPresetValue(preset, f, value)) {
      chosen = &f;
      break;
    }
  }
  for (size_t i = 1; chosen == nullptr && i < preset.fields.size(); ++i) {
    const PresetField& f = preset.fields[i];
    const std::string first_word = Uppercase(f.key.substr(0, f.key.find('_')));
    if (f.secret && Contains(v.upper_key, first_word)) chosen = &f;
  }
  if (chosen == nullptr) chosen = &preset.fields.front();
  e.preset = std::string(preset.id);
  e.preset_field = std::string(chosen->key);
  if (auto warning = CheckPresetValue(preset, *chosen, value)) e.warnings.push_back(*warning);
}

class Detector {
 public:
  explicit Detector(std::span<const DotenvEntry> entries) {
    for (const DotenvEntry& e : entries) {
      vars_.push_back(Variable{&e, Uppercase(e.key)});
      used_names_.insert(e.key);
    }
  }

  std::vector<EnvImportEntry> Run() {
    for (Variable& v : vars_) {
      if (!v.claimed && FitsPresetField("aws", "access_key_id", v.entry->value)) GroupAws(v);
    }
    for (Variable& v : vars_) {
      if (!v.claimed && FitsPresetField("twilio", "account_sid", v.entry->value)) GroupTwilio(v);
    }
    for (const FieldGroup& group : FieldGroups()) {
      for (std::string_view prefix : group.prefixes) GroupFields(group, prefix);
    }
    for (Variable& v : vars_) {
      if (v.claimed) continue;
      v.claimed = true;
      out_.push_back(Classify(v));
    }
    std::stable_sort(out_.begin(), out_.end(), [](const EnvImportEntry& a, const EnvImportEntry& b) {
      return a.lines.front() < b.lines.front();
    });
    return std::move(out_);
  }

 private:
  // --- Groups ---

  Variable* FindUnclaimed(std::string_view upper_key) {
    for (Variable& v : vars_) {
      if (!v.claimed && v.upper_key == upper_key && !v.entry->value.empty()) return &v;
    }
    return nullptr;
  }

  // The first of PREFIX_SUFFIX (or SUFFIX alone, without a prefix) that is present.
  Variable* FindWithPrefix(std::string_view prefix, std::initializer_list<std::string_view> suffixes) {
    for (std::string_view suffix : suffixes) {
      const std::string key =
          prefix.empty() ? std::string(suffix) : std::string(prefix) + "_" + std::string(suffix);
      if (Variable* v = FindUnclaimed(key)) return v;
    }
    return nullptr;
  }

  // The only unclaimed variable that satisfies `match`, if exactly one does.
  template <typename Match>
  Variable* FindOnly(Match match) {
    Variable* found = nullptr;
    for (Variable& v : vars_) {
      if (v.claimed || v.entry->value.empty() || !match(v)) continue;
      if (found != nullptr) return nullptr;
      found = &v;
    }
    return found;
  }

  // The part of `key` before one of `suffixes`: "PROD_AWS_ACCESS_KEY_ID" -> "PROD_AWS".
  static std::string StripLastWords(std::string_view key, std::initializer_list<std::string_view> suffixes) {
    if (std::optional<std::string_view> word = LastWordAmong(key, suffixes)) {
      return std::string(key.substr(0, key.size() == word->size() ? 0 : key.size() - word->size() - 1));
    }
    return std::string(key);
  }

  // Group names must not take a variable's name: AWS_CREDENTIALS when a variable is called AWS.
  std::string UniqueName(std::string base) {
    if (used_names_.insert(base).second) return base;
    for (int i = 1;; ++i) {
      std::string candidate = base + "_CREDENTIALS" + (i == 1 ? "" : "_" + std::to_string(i));
      if (used_names_.insert(candidate).second) return candidate;
    }
  }

  EnvImportEntry StartGroup(std::string_view name, T type, std::string_view preset, std::string reason) {
    EnvImportEntry e;
    e.name = UniqueName(std::string(name));
    e.type = type;
    e.preset = std::string(preset);
    e.confidence = Confidence::kHigh;
    e.reason = std::move(reason);
    return e;
  }

  static void AddMember(EnvImportEntry& e, Variable& v, std::string_view field) {
    v.claimed = true;
    e.data[std::string(field)] = v.entry->value;
    e.env_keys[std::string(field)] = v.entry->key;
    e.lines.push_back(v.entry->line);
  }

  static void WarnUnlessFits(EnvImportEntry& e, std::string_view preset_id, std::string_view field_key,
                             const Variable& v) {
    const Preset& preset = *FindPreset(preset_id);
    if (auto warning = CheckPresetValue(preset, *FindPresetField(preset, field_key), v.entry->value)) {
      e.warnings.push_back(v.entry->key + ": " + *warning);
    }
  }

  void GroupAws(Variable& id) {
    const std::string prefix = StripLastWords(id.upper_key, {"ACCESS_KEY_ID", "ACCESS_KEY", "KEY_ID"});
    Variable* secret = FindWithPrefix(prefix, {"SECRET_ACCESS_KEY", "SECRET_KEY", "ACCESS_KEY_SECRET", "SECRET"});
    if (secret == nullptr) {
      secret = FindOnly([](const Variable& v) {
        return Contains(v.upper_key, "SECRET_ACCESS_KEY") ||
               (Contains(v.upper_key, "SECRET") && FitsPresetField("aws", "secret_access_key", v.entry->value));
      });
    }
    if (secret == nullptr) return;  // Classify() reports the lone key ID

    EnvImportEntry e = StartGroup(prefix.empty() ? "AWS" : prefix, T::kAws, "aws",
                                  "AWS access key ID (its value starts with " + id.entry->value.substr(0, 4) +
                                      ") with its secret access key");
    AddMember(e, id, "accessKeyId");
    AddMember(e, *secret, "secretAccessKey");
    WarnUnlessFits(e, "aws", "secret_access_key", *secret);
    Variable* region = FindWithPrefix(prefix, {"REGION", "DEFAULT_REGION"});
    if (region == nullptr) region = FindWithPrefix("AWS", {"REGION", "DEFAULT_REGION"});
    if (region != nullptr) AddMember(e, *region, "region");
    Variable* session = FindWithPrefix(prefix, {"SESSION_TOKEN"});
    if (session == nullptr) session = FindWithPrefix("AWS", {"SESSION_TOKEN"});
    if (session != nullptr) AddMember(e, *session, "sessionToken");
    out_.push_back(std::move(e));
  }

  void GroupTwilio(Variable& sid) {
    const std::string prefix = StripLastWords(sid.upper_key, {"ACCOUNT_SID", "SID"});
    Variable* token = FindWithPrefix(prefix, {"AUTH_TOKEN", "TOKEN"});
    if (token == nullptr) {
      token = FindOnly([](const Variable& v) {
        return Contains(v.upper_key, "TWILIO") && Contains(v.upper_key, "AUTH_TOKEN");
      });
    }
    if (token == nullptr) return;

    EnvImportEntry e = StartGroup(prefix.empty() ? "TWILIO" : prefix, T::kCustom, "twilio",
                                  "Twilio account SID (AC and 32 hexadecimal characters) with its auth token");
    AddMember(e, sid, "accountSid");
    AddMember(e, *token, "authToken");
    WarnUnlessFits(e, "twilio", "auth_token", *token);
    out_.push_back(std::move(e));
  }

  void GroupFields(const FieldGroup& group, std::string_view prefix) {
    std::vector<std::pair<Variable*, std::string_view>> members;
    std::set<std::string_view> fields;
    for (const GroupField& gf : group.fields) {
      if (fields.count(gf.field) != 0) continue;
      if (Variable* v = FindUnclaimed(std::string(prefix) + std::string(gf.suffix))) {
        members.emplace_back(v, gf.field);
        fields.insert(gf.field);
      }
    }
    for (std::string_view required : group.required) {
      if (fields.count(required) == 0) return;
    }
    std::string_view name = prefix;
    if (name.ends_with('_')) name.remove_suffix(1);
    EnvImportEntry e = StartGroup(name, group.type, group.preset,
                                  std::string(group.what) + " (" + std::string(prefix) +
                                      "*) with a host and a password");
    for (auto& [v, field] : members) AddMember(e, *v, field);
    out_.push_back(std::move(e));
  }

  // --- One variable on its own: by value shape, then by name ---

  static EnvImportEntry Classify(const Variable& v) {
    const std::string& value = v.entry->value;
    const std::string& key = v.upper_key;
    if (value.empty()) return Setting(v, Confidence::kHigh, "the value is empty");

    if (Contains(value, "-----BEGIN") && Contains(value, "PRIVATE KEY-----")) {
      if (Contains(value, "OPENSSH PRIVATE KEY") || Contains(key, "SSH")) {
        return Single(v, T::kSshKey, "privateKey", Confidence::kHigh, "private key, for SSH");
      }
      return Single(v, T::kCustom, "privateKey", Confidence::kHigh, "PEM private key");
    }
    if (Contains(value, "-----BEGIN CERTIFICATE-----")) {
      EnvImportEntry e = Single(v, T::kCertificate, "certificate", Confidence::kMedium,
                                "PEM certificate, which is public (import it with its private key if it has one)");
      e.secret = false;
      return e;
    }
    if (std::optional<EnvImportEntry> e = ClassifyByPrefix(v)) return std::move(*e);
    if (FitsPresetField("telegram", "access_token", value)) {
      return WithPreset(Single(v, T::kApiKey, "apiKey", Confidence::kHigh, "Telegram bot token (number:token)"),
                        "telegram", "access_token");
    }
    if (FitsPresetField("aws", "access_key_id", value)) {
      EnvImportEntry e = WithPreset(Single(v, T::kCustom, "value", Confidence::kMedium,
                                           "AWS access key ID (the value starts with " + value.substr(0, 4) + ")"),
                                    "aws", "access_key_id");
      e.warnings.push_back("no secret access key was found next to it, so it cannot become an AWS credential");
      return e;
    }
    if (FitsPresetField("twilio", "account_sid", value)) {
      return WithPreset(Setting(v, Confidence::kMedium, "Twilio account SID, an identifier (no auth token found)"),
                        "twilio", "account_sid");
    }
    if (IsJwt(value)) {
      EnvImportEntry e = Single(v, T::kApiKey, "apiKey", Confidence::kMedium, "JSON Web Token");
      AttachPresetByName(e, v);
      return e;
    }
    if (std::optional<UrlParts> url = SplitUrl(value)) return ClassifyUrl(v, *url);
    return ClassifyByName(v);
  }

  static std::optional<EnvImportEntry> ClassifyByPrefix(const Variable& v) {
    const std::string& value = v.entry->value;
    if (value.size() < kMinTokenLength) return std::nullopt;
    for (const PrefixRule& rule : PrefixRules()) {
      const auto prefix = std::find_if(rule.prefixes.begin(), rule.prefixes.end(),
                                       [&](std::string_view p) { return value.starts_with(p); });
      if (prefix == rule.prefixes.end()) continue;
      const bool named = rule.name_hint.empty() || Contains(v.upper_key, rule.name_hint);
      if (rule.name_required && !named) continue;
      std::string reason = std::string(rule.what) + " (the value starts with " + std::string(*prefix) + ")";
      EnvImportEntry e =
          rule.secret ? Single(v, T::kApiKey, "apiKey", named ? Confidence::kHigh : Confidence::kMedium,
                               std::move(reason))
                      : Setting(v, Confidence::kHigh, std::move(reason));
      return rule.preset.empty() ? e : WithPreset(std::move(e), rule.preset, rule.preset_field);
    }
    return std::nullopt;
  }

  static EnvImportEntry ClassifyUrl(const Variable& v, const UrlParts& url) {
    if (std::find(std::begin(kDatabaseSchemes), std::end(kDatabaseSchemes), url.scheme) !=
        std::end(kDatabaseSchemes)) {
      const bool password = UrlHasPassword(url);
      EnvImportEntry e = Single(v, T::kDatabase, "url", password ? Confidence::kHigh : Confidence::kMedium,
                                url.scheme + " connection URL " + (password ? "with" : "without") + " a password");
      e.secret = password;
      return WithPreset(std::move(e), "database", "connection_string");
    }
    if (std::any_of(std::begin(kWebhookPrefixes), std::end(kWebhookPrefixes),
                    [&](std::string_view p) { return url.host_and_path.starts_with(p); })) {
      return Single(v, T::kCustom, "value", Confidence::kHigh, "webhook URL: the URL itself is the secret");
    }
    if (UrlHasPassword(url)) return Single(v, T::kCustom, "value", Confidence::kHigh, "URL with a password");
    if (QueryHasSecret(url.query)) {
      return Single(v, T::kCustom, "value", Confidence::kMedium, "URL with a token or key in its query");
    }
    return Setting(v, Confidence::kHigh, "URL without credentials");
  }

  static EnvImportEntry ClassifyByName(const Variable& v) {
    const std::string& key = v.upper_key;
    const std::string& value = v.entry->value;
    if (std::find(std::begin(kSettingNames), std::end(kSettingNames), key) != std::end(kSettingNames)) {
      return Setting(v, Confidence::kHigh, "a well-known setting");
    }
    if (std::optional<std::string_view> word = LastWordAmong(key, kSettingLastWords)) {
      return Setting(v, Confidence::kHigh, "the name ends in _" + std::string(*word) + ", a setting");
    }
    if (ContainsAny(key, kPublicMarkers)) return Setting(v, Confidence::kMedium, "the name marks it as public");
    if (LastWordAmong(key, kSecretLastWords) || ContainsAny(key, kSecretParts)) {
      const bool password = IsPasswordName(key);
      const bool plain = IsPlainValue(value);
      std::string reason =
          password ? "the name says it is a password" : "the name says it is a key, secret or token";
      if (plain) reason += ", though the value is short or plain";
      EnvImportEntry e = Single(v, password ? T::kLogin : T::kApiKey, password ? "password" : "apiKey",
                                plain ? Confidence::kLow : Confidence::kMedium, std::move(reason));
      AttachPresetByName(e, v);
      return e;
    }
    if (LooksRandom(value)) return Single(v, T::kCustom, "value", Confidence::kLow, "the value looks generated");
    return Setting(v, IsPlainValue(value) ? Confidence::kHigh : Confidence::kMedium,
                   "neither the name nor the value looks secret");
  }

  std::vector<Variable> vars_;
  std::set<std::string> used_names_;
  std::vector<EnvImportEntry> out_;
};

}  // namespace

std::string_view ConfidenceName(Confidence confidence) {
  switch (confidence) {
    case Confidence::kHigh: return "high";
    case Confidence::kMedium: return "medium";
    case Confidence::kLow: return "low";
  }
  return "low";
}

EnvImportEntry::~EnvImportEntry() { WipeJson(data); }

std::vector<EnvImportEntry> DetectEnvCredentials(std::span<const DotenvEntry> entries) {
  return Detector(entries).Run();
}

nlohmann::json EnvImportPreview(const EnvImportEntry& entry) {
  nlohmann::json fields = nlohmann::json::array();
  for (const auto& item : entry.data.items()) fields.push_back(item.key());
  nlohmann::json out = {
      {"name", entry.name},
      {"type", CredentialTypeName(entry.type)},
      {"confidence", ConfidenceName(entry.confidence)},
      {"secret", entry.secret},
      {"reason", entry.reason},
      {"lines", entry.lines},
      {"fields", std::move(fields)},
      {"envKeys", entry.env_keys},
      {"warnings", entry.warnings},
  };
  if (!entry.preset.empty()) out["preset"] = entry.preset;
  if (!entry.preset_field.empty()) out["presetField"] = entry.preset_field;
  return out;
}

}  // namespace coffer
