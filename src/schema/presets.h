// Platform presets (seed 003's table): for each common platform, the secrets it needs, what their
// values look like and where they are filed. Agent tools find a preset's secrets by name, so the
// names follow seed 003's convention: skill:<platform>:<key>, e.g. skill:stripe:access_token.
//
// A preset can be stored two ways. Field by field (seed 003's layout, `coffer vault store
// --preset`): one credential per field, named by PresetSecretName(). Or as one credential of the
// preset's `type`, each field filling its `data_field` (what the .env import does for AWS keys).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/credential.h"

namespace coffer {

enum class PresetCategory { kSkillCredential, kCloudStorage, kDeployCredentials, kApiKey, kCustom };

std::string_view PresetCategoryId(PresetCategory category);  // "skill_credential", ...

struct PresetField {
  std::string_view key;         // the last part of skill:<platform>:<key>
  std::string_view label;       // "Secret Key"
  bool optional = false;
  bool secret = true;
  std::string_view data_field;  // the field it fills in one credential of the preset's type
  // The value's expected shape: any of `prefixes`, and the whole value matching `pattern`
  // (ECMAScript syntax, so the console can check as the user types). Both may be empty.
  std::vector<std::string_view> prefixes;
  std::string_view pattern;
  std::string_view shape;       // the shape in words, for warnings: "starts with sk_live_ or sk_test_"
};

struct Preset {
  std::string_view id;    // "stripe"
  std::string_view name;  // "Stripe"
  PresetCategory category;
  CredentialType type;    // of the one-credential form
  std::vector<PresetField> fields;  // the first is the platform's main secret
};

std::span<const Preset> AllPresets();
const Preset* FindPreset(std::string_view id);
const PresetField* FindPresetField(const Preset& preset, std::string_view key);

// "skill:stripe:webhook_secret"
std::string PresetSecretName(const Preset& preset, const PresetField& field);

// Whether `value` has the field's expected shape. A mismatch is a warning, not a refusal:
// providers change their formats (Notion's secret_ became ntn_), and a new format must still be
// storable. The warning names the platform, the field and the expected shape, never the value.
std::optional<std::string> CheckPresetValue(const Preset& preset, const PresetField& field,
                                            std::string_view value);

// The GET /v0/presets document: {"categories": [...], "presets": [...]}.
nlohmann::json DescribePresets();

}  // namespace coffer
