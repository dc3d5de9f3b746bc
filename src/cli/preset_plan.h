// `coffer vault store --preset P`: seed 003's layout for a platform's secrets, one credential per
// preset field, named skill:<platform>:<key> so agent tools find them by name.
//
// A field that alone makes a valid credential of the preset's type (an API key, a connection
// string) is stored with that type and its data field ({"apiKey": ...}); any other field (a
// webhook secret, an AWS key ID on its own) as CUSTOM under its data field name ({"webhookSecret":
// ...}). Values that do not have the provider's usual shape are stored with a warning, not
// refused: providers change their formats.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/credential.h"
#include "core/result.h"

namespace coffer::cli {

struct PresetCredential {
  std::string name;  // skill:<platform>:<key>
  CredentialType type = CredentialType::kCustom;
  nlohmann::json data;
  nlohmann::json metadata;

  PresetCredential() = default;
  PresetCredential(PresetCredential&&) = default;
  PresetCredential& operator=(PresetCredential&&) = default;
  ~PresetCredential();  // wipes data
};

struct PresetPlan {
  std::vector<PresetCredential> credentials;  // in the preset's field order
  std::vector<std::string> warnings;          // name the field and the expected shape, never the value
};

// `values` maps field keys (access_token, webhook_secret; or the data field names apiKey,
// webhookSecret) to string values. Every field the preset does not mark optional is required.
// `metadata` (may be empty) is added to each credential's preset metadata.
Result<PresetPlan> PlanPresetStore(std::string_view preset_id, const nlohmann::json& values,
                                   const nlohmann::json& metadata);

}  // namespace coffer::cli
