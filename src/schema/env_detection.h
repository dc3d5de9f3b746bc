// Recognising credentials in a parsed .env file, for the console's drag-and-drop import and
// `coffer import`: each variable (or group of variables) becomes a proposed credential with
// a type, a preset where one fits, and how sure we are. Recognition uses the value's shape first
// (sk_live_..., AKIA..., postgres://user:pass@...) and the variable's name second (*_TOKEN, ...).
// Related variables become one credential: an AWS key id with its secret (and region, session
// token), SMTP_* settings, a Twilio account SID with its auth token, DB_HOST/DB_PASSWORD/...
// Non-secret configuration (PORT=3000, NODE_ENV, URLs without credentials) is reported with
// secret=false so the importer can skip it.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/credential.h"
#include "formats/dotenv_parser.h"

namespace coffer {

enum class Confidence {
  kHigh,    // the value has a provider's documented format, or the group is complete
  kMedium,  // the variable's name says what it is
  kLow,     // a guess from how random the value looks
};

std::string_view ConfidenceName(Confidence confidence);  // "high", "medium", "low"

struct EnvImportEntry {
  std::string name;  // proposed credential name: the variable's name, or the group's
  CredentialType type = CredentialType::kCustom;
  nlohmann::json data = nlohmann::json::object();      // the values, under the type's field names
  // Which variable each data field came from, so `coffer run` can recreate the same environment:
  // {"accessKeyId": "AWS_ACCESS_KEY_ID", "secretAccessKey": "AWS_SECRET_ACCESS_KEY"}.
  nlohmann::json env_keys = nlohmann::json::object();
  std::string preset;        // a preset id ("stripe"), or empty
  std::string preset_field;  // for a single-variable entry with a preset: its field ("webhook_secret")
  Confidence confidence = Confidence::kLow;
  bool secret = true;        // false: configuration, skipped unless the user asks
  std::string reason;        // why, in words; never quotes a value
  std::vector<int> lines;    // .env lines of the variables
  std::vector<std::string> warnings;

  EnvImportEntry() = default;
  EnvImportEntry(const EnvImportEntry&) = default;
  EnvImportEntry& operator=(const EnvImportEntry&) = default;
  EnvImportEntry(EnvImportEntry&&) = default;  // moves leave no copy of the values behind
  EnvImportEntry& operator=(EnvImportEntry&&) = default;
  ~EnvImportEntry();  // wipes data
};

// One entry per variable or group, in the order of their first line.
std::vector<EnvImportEntry> DetectEnvCredentials(std::span<const DotenvEntry> entries);

// An entry without its values (data field names only), for previews and logs.
nlohmann::json EnvImportPreview(const EnvImportEntry& entry);

}  // namespace coffer
