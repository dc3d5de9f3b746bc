// The vault use cases. Every adapter (REST, CLI through REST, MCP, console) reaches secrets only
// through this class, which authenticates, authorizes and encrypts in one place.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/credential.h"
#include "core/principal.h"
#include "core/result.h"
#include "crypto/totp.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "vault/audit_log.h"
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

struct ImportOptions {
  bool dry_run = false;    // check everything, store nothing
  bool overwrite = false;  // store names that exist as new versions instead of refusing the batch
};

// What a batch store did, or would do, with one of its requests.
struct ImportItemOutcome {
  bool exists = false;   // the name is already in the vault (or reachable through a grant)
  std::string problem;   // why the request cannot be stored, naming the field; empty when it can
  std::optional<CredentialInfo> stored;  // once written
};

struct ImportOutcome {
  std::vector<ImportItemOutcome> items;  // one per request, in order
  // Whether the batch was stored. It is stored whole or not at all: not in a dry run, not when any
  // request has a problem, and not when, without `overwrite`, any name exists already.
  bool written = false;
};

class Vault {
 public:
  // Every operation, allowed or refused, leaves exactly one record in `audit`.
  Vault(store::Store& store, keyring::Keyring& keyring, AuditLog& audit)
      : store_(store), keyring_(keyring), audit_(audit) {}

  // Unknown, expired and revoked tokens all fail the same way.
  Result<Principal> Authenticate(std::string_view bearer_token, const RequestContext& context);

  // Creates the credential or appends a new version (upsert).
  Result<CredentialInfo> StoreCredential(const Principal& principal, const StoreCredentialRequest& request);
  Result<Credential> GetCredential(const Principal& principal, const std::string& name,
                                   std::optional<int> version);
  // For server-side use of a credential the caller may not see (TOTP codes, later OAuth and
  // proxying): needs vault:use or vault:read. The result must never be returned to the caller.
  Result<Credential> GetCredentialForUse(const Principal& principal, const std::string& name);
  Result<CredentialPage> ListCredentials(const Principal& principal,
                                         const ListCredentialsRequest& request);
  Status DeleteCredential(const Principal& principal, const std::string& name);

  // Stores many credentials in one write transaction, all or none (the .env import). Problems and
  // conflicts are reported per request in the outcome, not as a failure; failures are for the
  // whole batch (no vault:write, nothing to store, the store failing).
  Result<ImportOutcome> ImportCredentials(const Principal& principal,
                                          std::span<const StoreCredentialRequest> requests,
                                          const ImportOptions& options);

  // The current code of a TOTP credential, or of a LOGIN with a totpSecret. Computed here so the
  // secret never leaves the vault: vault:use is enough. kValidation when the credential holds no
  // TOTP secret.
  Result<crypto::TotpCode> GetTotp(const Principal& principal, const std::string& name);

  // Records a request an adapter refused before it reached an operation (its body did not parse,
  // had unknown fields, or a field of the wrong type): `action` on `target`, outcome error, the
  // reason; the target kept as a digest like every failed request's. Returns `error`, or the
  // audit failure.
  Error RecordRefusal(const Principal& principal, std::string action, std::string target, const Error& error) {
    return audit_.RecordFailure(principal, std::move(action), std::move(target), error);
  }

 private:
  Result<Principal> ResolveToken(std::string_view bearer_token, const RequestContext& context);
  Result<CredentialInfo> WriteCredential(const Principal& principal, const StoreCredentialRequest& request);
  Result<CredentialPage> ListUnaudited(const Principal& principal, const ListCredentialsRequest& request);
  Status RemoveCredential(const Principal& principal, const std::string& name);
  Result<ImportOutcome> ImportUnaudited(const Principal& principal, std::span<const StoreCredentialRequest> requests,
                                        const ImportOptions& options);
  Result<Credential> OpenAudited(const Principal& principal, VaultAction action, std::string audit_action,
                                 const std::string& name, std::optional<int> version);
  // Records a refused or failed operation; returns `error`, or the audit failure if it cannot.
  Result<Credential> OpenCredential(const Principal& principal, VaultAction action,
                                    const std::string& name, std::optional<int> version);

  store::Store& store_;
  keyring::Keyring& keyring_;
  AuditLog& audit_;
};

}  // namespace coffer::vault
