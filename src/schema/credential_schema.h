// The shape of each credential type's `data`: which fields it has, under which spellings, which are
// required and which are secret. One table drives validation (422 on PUT), the GET /v0/types
// document that clients and the console render forms from, and masking.
//
// Fields are matched under their canonical name or an alias (the seeds write `apiKey`, `key` and
// `access_token`), and the user's spelling is kept as given: data is validated, never rewritten.
// Fields beyond the schema are allowed, so an agent can keep extra context next to a secret.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/credential.h"
#include "core/result.h"
#include "crypto/totp.h"

namespace coffer {

enum class FieldKind {
  kString,           // non-empty text
  kBase32,           // a TOTP secret
  kTotpSecret,       // a base32 TOTP secret or an otpauth://totp/ URI (what password managers store)
  kInteger,          // a JSON integer or a string of digits (forms and .env files send strings)
  kEnum,             // one of `choices`, case-insensitively
  kUrl,              // scheme://...
  kTimestamp,        // ISO 8601 text or Unix seconds
  kStringList,       // space-separated text or an array of strings (OAuth scopes)
  kPemCertificates,  // one or more PEM certificates that parse
  kPemPrivateKey,    // a PEM private key that parses
  kSshPrivateKey,    // an OpenSSH or PEM private key
  kSshPublicKey,     // an authorized_keys line
};

std::string_view FieldKindName(FieldKind kind);  // "string", "base32", ... as in GET /v0/types

struct FieldSpec {
  std::string_view name;                   // canonical spelling
  std::vector<std::string_view> aliases;   // other accepted spellings
  bool required = false;
  bool secret = false;                     // masked when shown; never logged
  FieldKind kind = FieldKind::kString;
  std::string_view description;            // a form label's help text
  std::string_view example;                // a placeholder; never a real secret
  std::vector<std::string_view> choices;   // kEnum
  std::vector<int64_t> allowed;            // kInteger restricted to these values (TOTP digits)
  std::optional<int64_t> minimum, maximum; // kInteger range
  nlohmann::json default_value;            // null when there is none
};

struct TypeSchema {
  CredentialType type;
  std::string_view description;
  std::vector<FieldSpec> fields;
  // Each group needs at least one of its (canonical) fields, e.g. DATABASE: url or host.
  std::vector<std::vector<std::string_view>> require_one_of;
};

const TypeSchema& SchemaFor(CredentialType type);

// Checks `data` for `type`. Fails with kValidation and a message naming the field (as the user
// spelled it, e.g. "data.key") and what it must be; values are never quoted.
Status ValidateCredentialData(CredentialType type, const nlohmann::json& data);

// The GET /v0/types document: {"types": [{"type", "description", "fields": [...], "requireOneOf"}]}.
nlohmann::json DescribeTypes();

// The value of a schema field under whichever accepted spelling `data` uses; nullptr when absent
// (or null). `canonical_name` must be a field of the type's schema.
const nlohmann::json* FindField(CredentialType type, const nlohmann::json& data,
                                std::string_view canonical_name);

// Every accepted spelling of the type's secret fields.
std::vector<std::string> SecretFieldNames(CredentialType type);
// Whether a data field must be masked. Fields outside the schema count as secret: when unsure, hide.
bool IsSecretField(CredentialType type, std::string_view field_name);

// The spellings under which the type keeps a TOTP secret: `secret` for TOTP, `totpSecret` (and
// aliases) for LOGIN; empty for other types.
std::vector<std::string_view> TotpSecretFieldNames(CredentialType type);

// What generating a code needs, read from a (validated) credential.
struct TotpSetup {
  std::string secret;  // base32
  crypto::TotpParams params;
  ~TotpSetup();        // wipes the secret
};

// TOTP credentials give secret/digits/period/algorithm; LOGIN gives totpSecret with the defaults,
// or the parameters of the otpauth:// URI stored there. kInvalidArgument when there is no secret.
Result<TotpSetup> ReadTotpSetup(CredentialType type, const nlohmann::json& data);

}  // namespace coffer
