// The credential as the vault layer sees it. `data` is the secret part; it exists in plaintext only
// between decryption and the response, and is wiped when the object dies.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"
#include "core/time.h"

namespace coffer {

enum class CredentialType {
  kLogin, kApiKey, kOAuth, kTotp, kSshKey, kDatabase, kSmtp, kAws, kCertificate, kCustom,
};

inline constexpr std::array<CredentialType, 10> kAllCredentialTypes = {
    CredentialType::kLogin,    CredentialType::kApiKey,      CredentialType::kOAuth,
    CredentialType::kTotp,     CredentialType::kSshKey,      CredentialType::kDatabase,
    CredentialType::kSmtp,     CredentialType::kAws,         CredentialType::kCertificate,
    CredentialType::kCustom};

// "API_KEY" etc., exactly as the seeds spell them.
std::string_view CredentialTypeName(CredentialType type);
std::optional<CredentialType> ParseCredentialType(std::string_view name);
// "LOGIN, API_KEY, ..." for error messages.
std::string CredentialTypeList();
std::vector<std::string_view> CredentialTypeNames();

inline constexpr size_t kMaxCredentialNameLength = 128;
// Names are 1-128 characters of A-Z a-z 0-9 . _ - : and case-sensitive.
Status ValidateCredentialName(std::string_view name);

// How many versions of a credential are kept (the current one included).
inline constexpr int kRetainedVersions = 11;

// Non-secret description of one version of a credential: safe to list, log and audit.
struct CredentialInfo {
  std::string id;            // "cred_..."
  std::string org_id;
  std::string identity_id;   // the owning identity's partition
  std::string name;
  CredentialType type = CredentialType::kCustom;
  int version = 0;
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<UnixMicros> expires_at;
  UnixMicros created_at = 0;  // when the credential was first stored
  UnixMicros updated_at = 0;  // when this version was stored
};

// A decrypted credential. The destructor wipes the secret.
struct Credential {
  CredentialInfo info;
  nlohmann::json data;
  bool masked = false;  // data holds masked values: the caller may use it but not see it

  Credential() = default;
  Credential(const Credential&) = delete;
  Credential& operator=(const Credential&) = delete;
  Credential(Credential&&) = default;
  Credential& operator=(Credential&&) = default;
  ~Credential();
};

// Overwrites every string inside a JSON value before it is freed.
void WipeJson(nlohmann::json& value);

}  // namespace coffer
