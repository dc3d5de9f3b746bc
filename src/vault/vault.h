// The vault use cases. Every adapter (REST, CLI through REST, MCP, console) reaches secrets only
// through this class, which authenticates, authorizes and encrypts in one place.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/credential.h"
#include "core/principal.h"
#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "vault/authorizer.h"

namespace coffer::vault {

struct StoreCredentialRequest {
  std::string name;
  CredentialType type = CredentialType::kCustom;
  nlohmann::json data;  // the secret; wiped by the caller after the call
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<UnixMicros> expires_at;
};

struct ListCredentialsRequest {
  std::optional<CredentialType> type;
  std::string prefix;
  std::string cursor;  // opaque, from a previous page
  int limit = 50;
};

struct CredentialPage {
  std::vector<CredentialInfo> items;
  std::optional<std::string> next_cursor;
};

inline constexpr int kMaxListLimit = 500;

class Vault {
 public:
  Vault(store::Store& store, keyring::Keyring& keyring) : store_(store), keyring_(keyring) {}

  // Unknown, expired and revoked tokens all fail the same way.
  Result<Principal> Authenticate(std::string_view bearer_token, const RequestContext& context);

  // Creates the credential or appends a new version (upsert).
  Result<CredentialInfo> StoreCredential(const Principal& principal, const StoreCredentialRequest& request);
  Result<Credential> GetCredential(const Principal& principal, const std::string& name,
                                   std::optional<int> version);
  Result<CredentialPage> ListCredentials(const Principal& principal,
                                         const ListCredentialsRequest& request);
  Status DeleteCredential(const Principal& principal, const std::string& name);

 private:
  store::Store& store_;
  keyring::Keyring& keyring_;
  Authorizer authorizer_;
};

}  // namespace coffer::vault
