// The delegation chain: humans, agent identities and sub-identities, their tokens, the grants
// that share credentials down the chain, logins, and revocation. Every rule that says who may
// manage whom lives here; the vault's Authorizer enforces the result on each credential access.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/principal.h"
#include "core/result.h"
#include "core/time.h"
#include "store/store.h"
#include "vault/audit_log.h"
#include "vault/second_factor.h"
#include "vault/login_throttle.h"

namespace coffer::vault {

struct CreateIdentityRequest {
  std::string name;
  std::optional<std::string> parent_id;  // default: the caller's own identity
  std::optional<std::vector<std::string>> scopes;  // default: the parent's, within the caller's
  // false: it and everything below it see values only masked. Default: false under a parent
  // with reveal: false or for a caller who sees values masked, true otherwise.
  std::optional<bool> reveal;
};

struct CreateTokenRequest {
  std::string name;
  std::optional<std::vector<std::string>> scopes;  // default: the identity's, within the caller's
  std::optional<UnixMicros> expires_at;
  std::vector<std::string> cidrs;
  bool reveal = true;  // false: the holder sees secret values only masked
};

// A token is shown once, here, and stored only as a hash.
struct IssuedToken {
  store::TokenRecord record;
  std::string token;
};

struct CreateGrantRequest {
  std::string grantee_id;
  std::string pattern;
  std::vector<std::string> scopes;
  std::optional<UnixMicros> expires_at;
};

struct CreateHumanRequest {
  std::string username;
  std::string password;  // wiped by the caller
  std::string role;      // "admin" | "member" ("owner" only by an owner)
};

// A login session lasts this long; the token can be revoked sooner.
inline constexpr int64_t kSessionMicros = int64_t{12} * 3600 * 1000000;
inline constexpr size_t kMinPasswordLength = 12;

class IdentityService {
 public:
  // Every change, and every login, allowed or refused, leaves one record in `audit`.
  IdentityService(store::Store& store, AuditLog& audit, const SecondFactor& second_factor)
      : store_(store), audit_(audit), second_factor_(second_factor) {}

  Result<store::IdentityRecord> CreateIdentity(const Principal& caller, const CreateIdentityRequest& request);
  // Org admins see every identity; others see themselves and their descendants.
  Result<std::vector<store::IdentityRecord>> ListIdentities(const Principal& caller);
  Result<store::IdentityRecord> GetIdentity(const Principal& caller, const std::string& id);
  Result<store::IdentityRecord> RevokeIdentity(const Principal& caller, const std::string& id);
  Result<store::IdentityRecord> RestoreIdentity(const Principal& caller, const std::string& id);
  Result<int64_t> PurgeCredentials(const Principal& caller, const std::string& id);

  Result<IssuedToken> CreateToken(const Principal& caller, const std::string& identity_id,
                                  const CreateTokenRequest& request);
  Result<std::vector<store::TokenRecord>> ListTokens(const Principal& caller, const std::string& identity_id);
  Status RevokeToken(const Principal& caller, const std::string& identity_id, const std::string& token_id);

  Result<store::GrantRecord> CreateGrant(const Principal& caller, const std::string& granter_id,
                                         const CreateGrantRequest& request);
  // Grants given by and given to the identity.
  Result<std::vector<store::GrantRecord>> ListGrants(const Principal& caller, const std::string& identity_id);
  Status RevokeGrant(const Principal& caller, const std::string& identity_id, const std::string& grant_id);

  Result<store::IdentityRecord> CreateHuman(const Principal& caller, const CreateHumanRequest& request);
  // `totp_code` is required once the person has turned on a second factor.
  Result<IssuedToken> Login(const std::string& username, const std::string& password,
                            const std::optional<std::string>& totp_code, const RequestContext& context);
  // The bootstrap owner has no password until it sets one here (no current password needed then).
  Status SetPassword(const Principal& caller, const std::string& current_password,
                     const std::string& new_password);

 private:
  Result<store::IdentityRecord> CreateIdentityUnaudited(const Principal& caller, const CreateIdentityRequest& request);
  Result<store::IdentityRecord> RevokeIdentityUnaudited(const Principal& caller, const std::string& id);
  Result<store::IdentityRecord> RestoreIdentityUnaudited(const Principal& caller, const std::string& id);
  Result<int64_t> PurgeCredentialsUnaudited(const Principal& caller, const std::string& id);
  Result<IssuedToken> CreateTokenUnaudited(const Principal& caller, const std::string& identity_id, const CreateTokenRequest& request);
  Status RevokeTokenUnaudited(const Principal& caller, const std::string& identity_id, const std::string& token_id);
  Result<store::GrantRecord> CreateGrantUnaudited(const Principal& caller, const std::string& granter_id, const CreateGrantRequest& request);
  Status RevokeGrantUnaudited(const Principal& caller, const std::string& identity_id, const std::string& grant_id);
  Result<store::IdentityRecord> CreateHumanUnaudited(const Principal& caller, const CreateHumanRequest& request);
  Status SetPasswordUnaudited(const Principal& caller, const std::string& current_password, const std::string& new_password);
  // The identity `id` of the caller's org with its chain, if the caller may manage it (it is the
  // caller, a descendant, or the caller is an org admin). Otherwise 404, never revealing it exists.
  Result<std::vector<store::IdentityRecord>> LoadManaged(store::ReadTransaction& read,
                                                         const Principal& caller, const std::string& id);
  Result<IssuedToken> IssueToken(store::WriteTransaction& txn, const store::IdentityRecord& identity,
                                 std::string name, std::vector<std::string> scopes,
                                 std::optional<UnixMicros> expires_at, std::vector<std::string> cidrs,
                                 bool reveal);

  store::Store& store_;
  AuditLog& audit_;
  const SecondFactor& second_factor_;
};

// Checks each scope is one Coffer knows; the error lists the valid ones.
Status ValidateScopes(const std::vector<std::string>& scopes);

}  // namespace coffer::vault
