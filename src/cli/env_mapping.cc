#include "cli/env_mapping.h"

#include <cctype>
#include <map>

#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

bool IsUpper(char c) { return std::isupper(static_cast<unsigned char>(c)) != 0; }
bool IsLowerOrDigit(char c) {
  return std::islower(static_cast<unsigned char>(c)) != 0 || std::isdigit(static_cast<unsigned char>(c)) != 0;
}

std::string Normalise(const std::string& words) {
  std::string out;
  for (char c : words) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(std::isalnum(u) && u < 0x80 ? static_cast<char>(std::toupper(u)) : '_');
  }
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) out.insert(out.begin(), '_');
  return out;
}

// A variable name the process environment can carry: not empty, no '=' and no NUL.
bool UsableEnvName(const std::string& name) {
  return !name.empty() && name.find('=') == std::string::npos && name.find('\0') == std::string::npos;
}

std::string ValueText(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

EnvVar::~EnvVar() { SecureWipe(value); }

std::string EnvNameOfCredential(const std::string& credential_name) { return Normalise(credential_name); }

std::string EnvNameOfField(const std::string& field_name) {
  std::string words;
  for (size_t i = 0; i < field_name.size(); ++i) {
    const char c = field_name[i];
    // A word starts at an upper-case letter after a lower-case one or a digit ("apiKey"), or at
    // the last capital of an acronym that a lower-case letter follows ("HTTPServer").
    const bool starts_word =
        i > 0 && IsUpper(c) &&
        (IsLowerOrDigit(field_name[i - 1]) ||
         (IsUpper(field_name[i - 1]) && i + 1 < field_name.size() && std::islower(static_cast<unsigned char>(field_name[i + 1]))));
    if (starts_word) words.push_back('_');
    words.push_back(c);
  }
  return Normalise(words);
}

Result<std::vector<EnvVar>> CredentialEnvVars(const nlohmann::json& credential) {
  const std::string name = credential.value("name", std::string());
  const nlohmann::json& data = credential.contains("data") ? credential["data"] : nlohmann::json();
  if (!data.is_object()) {
    return MakeError(ErrorCode::kInternal, name + ": the server's answer has no data object");
  }
  const nlohmann::json env_keys = credential.contains("metadata") && credential["metadata"].is_object()
                                      ? credential["metadata"].value("envKeys", nlohmann::json::object())
                                      : nlohmann::json::object();
  size_t fields = 0;
  for (const auto& item : data.items()) fields += !item.value().is_null();

  std::vector<EnvVar> vars;
  for (const auto& [field, value] : data.items()) {
    if (value.is_null()) continue;
    std::string var;
    if (env_keys.is_object() && env_keys.contains(field) && env_keys[field].is_string()) {
      var = env_keys[field].get<std::string>();
      if (!UsableEnvName(var)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         name + ": metadata.envKeys." + field +
                             " is not a usable variable name (empty, or holds = or NUL): fix the metadata");
      }
    } else {
      var = EnvNameOfCredential(name);
      if (fields > 1) var += "_" + EnvNameOfField(field);
    }
    std::string text = ValueText(value);
    if (text.find('\0') != std::string::npos) {
      // The environment and .env lines end a value at NUL: better no variable than a cut one.
      SecureWipe(text);
      return MakeError(ErrorCode::kInvalidArgument,
                       name + ": data." + field +
                           " holds a NUL byte, which no environment variable or .env line can carry: store "
                           "it without one, or leave this credential out (--only, NAMES or --prefix)");
    }
    vars.emplace_back(std::move(var), std::move(text), name, field);
    SecureWipe(text);  // a short value is copied out of its inline buffer, not moved
  }
  return vars;
}

Result<std::vector<EnvVar>> CollectEnvVars(const std::vector<nlohmann::json>& credentials) {
  std::vector<EnvVar> all;
  std::map<std::string, size_t> index;
  for (const nlohmann::json& credential : credentials) {
    auto vars = CredentialEnvVars(credential);
    if (!vars.ok()) return vars.error();
    for (EnvVar& var : *vars) {
      auto [it, inserted] = index.emplace(var.name, all.size());
      if (!inserted) {
        const EnvVar& first = all[it->second];
        return MakeError(ErrorCode::kInvalidArgument,
                         var.name + " would be set by both " + first.credential + " (data." + first.field +
                             ") and " + var.credential + " (data." + var.field +
                             "): choose credentials with --only, NAMES or --prefix, or rename one");
      }
      all.push_back(std::move(var));
    }
  }
  return all;
}

}  // namespace coffer::cli
