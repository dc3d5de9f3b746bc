#include "cli/preset_plan.h"

#include <algorithm>
#include <set>

#include "core/secure_wipe.h"
#include "schema/credential_schema.h"
#include "schema/presets.h"

namespace coffer::cli {
namespace {

std::string PresetIds() {
  std::string out;
  for (const Preset& p : AllPresets()) out += (out.empty() ? "" : ", ") + std::string(p.id);
  return out;
}

std::string FieldKeys(const Preset& preset) {
  std::string out;
  for (const PresetField& f : preset.fields) {
    out += (out.empty() ? "" : ", ") + std::string(f.key) + (f.optional ? " (optional)" : "");
  }
  return out;
}

const PresetField* FieldByKeyOrDataName(const Preset& preset, std::string_view key) {
  for (const PresetField& f : preset.fields) {
    if (f.key == key || f.data_field == key) return &f;
  }
  return nullptr;
}

// Whether {data_field: value} alone satisfies the type's schema: then the credential can carry
// the preset's type, which tells an agent what it holds.
bool StandsAlone(CredentialType type, std::string_view data_field) {
  if (type == CredentialType::kCustom) return false;
  const TypeSchema& schema = SchemaFor(type);
  const bool known = std::any_of(schema.fields.begin(), schema.fields.end(),
                                 [&](const FieldSpec& f) { return f.name == data_field; });
  const bool others_required = std::any_of(schema.fields.begin(), schema.fields.end(), [&](const FieldSpec& f) {
    return f.required && f.name != data_field;
  });
  const bool groups_met = std::all_of(schema.require_one_of.begin(), schema.require_one_of.end(), [&](const auto& group) {
    return std::find(group.begin(), group.end(), data_field) != group.end();
  });
  return known && !others_required && groups_met;
}

}  // namespace

PresetCredential::~PresetCredential() { WipeJson(data); }

Result<PresetPlan> PlanPresetStore(std::string_view preset_id, const nlohmann::json& values,
                                   const nlohmann::json& metadata) {
  const Preset* preset = FindPreset(preset_id);
  if (preset == nullptr) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "there is no preset '" + std::string(preset_id) + "': use one of " + PresetIds());
  }
  if (!values.is_object() || values.empty()) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--data must be a JSON object of the " + std::string(preset->name) + " preset's fields: " +
                         FieldKeys(*preset));
  }
  std::set<std::string_view> given;
  for (const auto& [key, value] : values.items()) {
    const PresetField* field = FieldByKeyOrDataName(*preset, key);
    if (field == nullptr) {
      return MakeError(ErrorCode::kInvalidArgument, "the " + std::string(preset->name) + " preset has no field '" +
                                                        key + "': its fields are " + FieldKeys(*preset));
    }
    if (!given.insert(field->key).second) {
      return MakeError(ErrorCode::kInvalidArgument,
                       "--data gives " + std::string(field->key) + " twice (under two spellings): keep one");
    }
    const bool text = value.is_string() && !value.get_ref<const std::string&>().empty();
    if (!text && !value.is_number_integer()) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string(field->key) + " must be a non-empty string (" + std::string(field->label) + ")");
    }
  }
  for (const PresetField& f : preset->fields) {
    if (!f.optional && given.count(f.key) == 0) {
      return MakeError(ErrorCode::kInvalidArgument, "the " + std::string(preset->name) + " preset needs " +
                                                        std::string(f.key) + " (" + std::string(f.label) +
                                                        "): add it to --data");
    }
  }

  PresetPlan plan;
  for (const PresetField& f : preset->fields) {
    if (given.count(f.key) == 0) continue;
    const nlohmann::json& raw = values.contains(f.key) ? values[std::string(f.key)] : values[std::string(f.data_field)];
    std::string value = raw.is_string() ? raw.get<std::string>() : raw.dump();
    if (auto warning = CheckPresetValue(*preset, f, value)) plan.warnings.push_back(*warning);
    PresetCredential c;
    c.name = PresetSecretName(*preset, f);
    c.type = StandsAlone(preset->type, f.data_field) ? preset->type : CredentialType::kCustom;
    c.data = {{std::string(f.data_field), value}};
    c.metadata = {{"preset", preset->id},
                  {"presetField", f.key},
                  {"platform", preset->name},
                  {"label", f.label},
                  {"category", PresetCategoryId(preset->category)}};
    if (metadata.is_object()) {
      for (const auto& [key, item] : metadata.items()) c.metadata[key] = item;
    }
    plan.credentials.push_back(std::move(c));
    SecureWipe(value);
  }
  return plan;
}

}  // namespace coffer::cli
