// How credentials become environment variables, for `coffer run` and `coffer export`:
//   1. A data field named in the credential's metadata.envKeys (the .env import records them)
//      becomes that variable, so an imported application gets back exactly the names it had.
//   2. Otherwise a credential with one data field becomes NAME, and one with several becomes
//      NAME_FIELD for each field. NAME is the credential's name upper-cased, every character other
//      than A-Z, 0-9 and _ turned into _; FIELD is the field's name with camelCase split into
//      words, the same way:
//        stripe {apiKey}                        -> STRIPE
//        skill:stripe:access_token {apiKey}     -> SKILL_STRIPE_ACCESS_TOKEN
//        aws-prod {accessKeyId, secretAccessKey} -> AWS_PROD_ACCESS_KEY_ID, AWS_PROD_SECRET_ACCESS_KEY
//      A name that would start with a digit gets a leading _.
// String values are used as they are; numbers, booleans, arrays and objects as compact JSON; null
// fields are left out. Two credentials (or fields) that give the same variable are an error
// naming both, never a silent choice.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coffer::cli {

struct EnvVar {
  std::string name;
  std::string value;
  std::string credential;  // where it came from, for messages
  std::string field;

  EnvVar() = default;
  EnvVar(std::string n, std::string v, std::string c, std::string f)
      : name(std::move(n)), value(std::move(v)), credential(std::move(c)), field(std::move(f)) {}
  EnvVar(EnvVar&&) = default;
  EnvVar& operator=(EnvVar&&) = default;
  ~EnvVar();  // wipes the value
};

// "skill:stripe:access_token" -> "SKILL_STRIPE_ACCESS_TOKEN"
std::string EnvNameOfCredential(const std::string& credential_name);
// "accessKeyId" -> "ACCESS_KEY_ID"
std::string EnvNameOfField(const std::string& field_name);

// The variables of one credential, in the shape GET /v0/vault/:name returns (name, data, metadata).
Result<std::vector<EnvVar>> CredentialEnvVars(const nlohmann::json& credential);

// Every credential's variables, in order; fails naming both sources when two give one variable.
Result<std::vector<EnvVar>> CollectEnvVars(const std::vector<nlohmann::json>& credentials);

}  // namespace coffer::cli
