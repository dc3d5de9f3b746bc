#include "vault/identity_service.h"

#include <algorithm>

#include "core/credential.h"
#include "core/secure_wipe.h"
#include "crypto/password_hash.h"
#include "vault/authorizer.h"
#include "vault/cidr.h"
#include "vault/ids.h"

namespace coffer::vault {
namespace {

Error NoSuchIdentity() {
  return MakeError(ErrorCode::kNotFound, "no identity with this id that you can manage");
}

Status RequireScope(const Principal& caller, std::string_view scope) {
  if (caller.HasScope(scope)) return Status::Ok();
  return MakeError(ErrorCode::kPermissionDenied,
                   "this token lacks the " + std::string(scope) + " scope: use a token that has it");
}

bool Contains(const std::vector<std::string>& set, const std::string& item) {
  return std::find(set.begin(), set.end(), item) != set.end();
}

// Fails naming the first scope in `wanted` that `ceiling` does not have.
Status CheckSubset(const std::vector<std::string>& wanted, const std::vector<std::string>& ceiling,
                   std::string_view whose) {
  for (const auto& scope : wanted) {
    if (!Contains(ceiling, scope)) {
      return MakeError(ErrorCode::kPermissionDenied,
                       "cannot give the " + scope + " scope: " + std::string(whose) +
                           " does not have it, and nothing can give more than it has");
    }
  }
  return Status::Ok();
}

std::vector<std::string> Intersect(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const auto& s : a) {
    if (Contains(b, s)) out.push_back(s);
  }
  return out;
}

bool InChain(const std::vector<store::IdentityRecord>& chain, const std::string& id) {
  return std::any_of(chain.begin(), chain.end(), [&](const auto& i) { return i.id == id; });
}

std::vector<std::string> ScopesForRole(std::string_view role) {
  if (role == roles::kMember) {
    return {std::string(scopes::kVaultRead), std::string(scopes::kVaultWrite),
            std::string(scopes::kVaultDelete), std::string(scopes::kVaultList),
            std::string(scopes::kVaultUse), std::string(scopes::kIdentitiesWrite),
            std::string(scopes::kAuditRead)};
  }
  return scopes::kAll;
}

Status ValidateIdentityName(const std::string& name) {
  if (!ValidateCredentialName(name).ok()) {
    return MakeError(ErrorCode::kValidation,
                     "name must be 1-128 characters of A-Z a-z 0-9 . _ - : (e.g. billing-agent)");
  }
  return Status::Ok();
}

Status ValidateUsername(const std::string& username) {
  bool ok = !username.empty() && username.size() <= 64;
  for (char c : username) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '@');
  }
  if (!ok) {
    return MakeError(ErrorCode::kValidation,
                     "username must be 1-64 characters of a-z 0-9 . _ - @ (lower case)");
  }
  return Status::Ok();
}

Status ValidatePassword(const std::string& password) {
  if (password.size() < kMinPasswordLength || password.size() > 1024) {
    return MakeError(ErrorCode::kValidation, "password must be 12 to 1024 characters long");
  }
  return Status::Ok();
}

Status ValidateExpiry(const std::optional<UnixMicros>& expires_at) {
  if (expires_at && *expires_at <= NowMicros()) {
    return MakeError(ErrorCode::kValidation, "expiresAt is in the past: give a future time");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateScopes(const std::vector<std::string>& wanted) {
  for (const auto& scope : wanted) {
    if (!Contains(scopes::kAll, scope)) {
      std::string known;
      for (const auto& s : scopes::kAll) known += (known.empty() ? "" : ", ") + s;
      return MakeError(ErrorCode::kValidation, "unknown scope: use some of " + known);
    }
  }
  return Status::Ok();
}

Result<std::vector<store::IdentityRecord>> IdentityService::LoadManaged(store::ReadTransaction& read,
                                                                        const Principal& caller,
                                                                        const std::string& id) {
  auto chain = LoadChain(read, id);
  if (!chain.ok()) {
    if (chain.error().code == ErrorCode::kNotFound) return NoSuchIdentity();
    return chain.error();
  }
  if (chain->back().org_id != caller.org_id) return NoSuchIdentity();
  if (!caller.IsOrgAdmin() && !InChain(*chain, caller.identity_id)) return NoSuchIdentity();
  return chain;
}

Result<store::IdentityRecord> IdentityService::CreateIdentityUnaudited(const Principal& caller,
                                                              const CreateIdentityRequest& request) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  COFFER_TRY(ValidateIdentityName(request.name));
  if (request.scopes) COFFER_TRY(ValidateScopes(*request.scopes));
  store::IdentityRecord created;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    const std::string parent_id = request.parent_id.value_or(caller.identity_id);
    auto parent_chain = LoadManaged(txn, caller, parent_id);
    if (!parent_chain.ok()) return parent_chain.error();
    if (!ChainIsActive(*parent_chain)) {
      return MakeError(ErrorCode::kConflict, "the parent identity is revoked: restore it first");
    }
    const store::IdentityRecord& parent = parent_chain->back();
    // Nothing gives more than it has: not more than the parent may do, nor than this token may.
    std::vector<std::string> ceiling = Intersect(parent.scopes, caller.scopes);
    std::vector<std::string> wanted = request.scopes.value_or(ceiling);
    COFFER_TRY(CheckSubset(wanted, parent.scopes, "the parent identity"));
    COFFER_TRY(CheckSubset(wanted, caller.scopes, "your token"));
    // Seeing values is given like a scope: never by someone who does not see them.
    const bool may_reveal = parent.reveal && caller.reveal;
    if (request.reveal.value_or(false) && !may_reveal) {
      return MakeError(ErrorCode::kPermissionDenied,
                       std::string(parent.reveal ? "you see" : "the parent identity sees") +
                           " values only masked, so no identity created here may see them: drop reveal or "
                           "set it to false");
    }
    created.reveal = request.reveal.value_or(may_reveal);
    created.id = NewId("idn_");
    created.org_id = caller.org_id;
    created.parent_id = parent.id;
    created.name = request.name;
    created.kind = "agent";
    created.scopes = std::move(wanted);
    created.created_by = caller.identity_id;
    created.created_at = NowMicros();
    return txn.InsertIdentity(created);
  });
  if (!written.ok()) return written.error();
  return created;
}

Result<std::vector<store::IdentityRecord>> IdentityService::ListIdentities(const Principal& caller) {
  auto read = store_.BeginRead();
  auto all = read->ListIdentities(caller.org_id);
  if (!all.ok()) return all.error();
  if (caller.IsOrgAdmin()) return all;
  // Descendants: walk down from the caller (ids are few; parents come before children in time,
  // but a simple fixed point does not depend on that).
  std::vector<std::string> mine = {caller.identity_id};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& i : *all) {
      if (i.parent_id && Contains(mine, *i.parent_id) && !Contains(mine, i.id)) {
        mine.push_back(i.id);
        grew = true;
      }
    }
  }
  std::vector<store::IdentityRecord> out;
  for (auto& i : *all) {
    if (Contains(mine, i.id)) out.push_back(std::move(i));
  }
  return out;
}

Result<store::IdentityRecord> IdentityService::GetIdentity(const Principal& caller, const std::string& id) {
  auto read = store_.BeginRead();
  auto chain = LoadManaged(*read, caller, id);
  if (!chain.ok()) return chain.error();
  return chain->back();
}

Result<store::IdentityRecord> IdentityService::RevokeIdentityUnaudited(const Principal& caller, const std::string& id) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  store::IdentityRecord revoked;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto chain = LoadManaged(txn, caller, id);
    if (!chain.ok()) return chain.error();
    revoked = chain->back();
    if (revoked.kind == "human" && revoked.role == roles::kOwner) {
      return MakeError(ErrorCode::kConflict, "the org owner cannot be revoked");
    }
    if (revoked.revoked_at) return Status::Ok();  // idempotent
    revoked.revoked_at = NowMicros();
    auto updated = txn.SetIdentityRevoked(id, revoked.revoked_at);
    if (!updated.ok()) return updated.error();
    return Status::Ok();
  });
  if (!written.ok()) return written.error();
  return revoked;
}

Result<store::IdentityRecord> IdentityService::RestoreIdentityUnaudited(const Principal& caller, const std::string& id) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  if (!caller.IsOrgAdmin()) {
    return MakeError(ErrorCode::kPermissionDenied, "only an org owner or admin can restore a revoked identity");
  }
  store::IdentityRecord restored;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto chain = LoadManaged(txn, caller, id);
    if (!chain.ok()) return chain.error();
    restored = chain->back();
    restored.revoked_at.reset();
    auto updated = txn.SetIdentityRevoked(id, std::nullopt);
    if (!updated.ok()) return updated.error();
    return Status::Ok();
  });
  if (!written.ok()) return written.error();
  return restored;
}

Result<int64_t> IdentityService::PurgeCredentialsUnaudited(const Principal& caller, const std::string& id) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  if (!caller.IsOrgAdmin()) {
    return MakeError(ErrorCode::kPermissionDenied, "only an org owner or admin can purge credentials");
  }
  int64_t purged = 0;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto chain = LoadManaged(txn, caller, id);
    if (!chain.ok()) return chain.error();
    if (ChainIsActive(*chain)) {
      return MakeError(ErrorCode::kConflict,
                       "only a revoked identity's credentials can be purged: revoke it first");
    }
    auto count = txn.PurgeCredentials(caller.org_id, id);
    if (!count.ok()) return count.error();
    purged = *count;
    return Status::Ok();
  });
  if (!written.ok()) return written.error();
  return purged;
}

Result<IssuedToken> IdentityService::IssueToken(store::WriteTransaction& txn,
                                                const store::IdentityRecord& identity, std::string name,
                                                std::vector<std::string> token_scopes,
                                                std::optional<UnixMicros> expires_at,
                                                std::vector<std::string> cidrs, bool reveal) {
  IssuedToken issued;
  issued.token = NewToken();
  store::TokenRecord& r = issued.record;
  r.id = NewId("tok_");
  r.org_id = identity.org_id;
  r.identity_id = identity.id;
  r.hash = HashToken(issued.token);
  r.name = std::move(name);
  r.scopes = std::move(token_scopes);
  r.cidrs = std::move(cidrs);
  r.reveal = reveal;
  r.created_at = NowMicros();
  r.expires_at = expires_at;
  COFFER_TRY(txn.InsertToken(r));
  return issued;
}

Result<IssuedToken> IdentityService::CreateTokenUnaudited(const Principal& caller, const std::string& identity_id,
                                                 const CreateTokenRequest& request) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  if (request.name.empty() || request.name.size() > 128) {
    return MakeError(ErrorCode::kValidation, "name must be 1-128 characters, e.g. ci-deploy");
  }
  if (request.scopes) COFFER_TRY(ValidateScopes(*request.scopes));
  COFFER_TRY(ValidateExpiry(request.expires_at));
  for (const auto& cidr : request.cidrs) {
    if (!ParseCidr(cidr)) {
      return MakeError(ErrorCode::kValidation,
                       "cidrs must hold IP addresses or networks such as 10.0.0.0/8 or fd00::/8");
    }
  }
  Result<IssuedToken> issued = MakeError(ErrorCode::kInternal, "token not issued");
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto chain = LoadManaged(txn, caller, identity_id);
    if (!chain.ok()) return chain.error();
    if (!ChainIsActive(*chain)) {
      return MakeError(ErrorCode::kConflict, "the identity is revoked: restore it before issuing tokens");
    }
    const store::IdentityRecord& identity = chain->back();
    std::vector<std::string> wanted = request.scopes.value_or(Intersect(identity.scopes, caller.scopes));
    COFFER_TRY(CheckSubset(wanted, identity.scopes, "the identity"));
    COFFER_TRY(CheckSubset(wanted, caller.scopes, "your token"));
    // A masked caller cannot mint a token that sees values.
    issued = IssueToken(txn, identity, request.name, std::move(wanted), request.expires_at, request.cidrs,
                        request.reveal && caller.reveal);
    if (!issued.ok()) return issued.error();
    return Status::Ok();
  });
  if (!written.ok()) return written.error();
  return issued;
}

Result<std::vector<store::TokenRecord>> IdentityService::ListTokens(const Principal& caller,
                                                                    const std::string& identity_id) {
  auto read = store_.BeginRead();
  auto chain = LoadManaged(*read, caller, identity_id);
  if (!chain.ok()) return chain.error();
  return read->ListTokens(identity_id);
}

Status IdentityService::RevokeTokenUnaudited(const Principal& caller, const std::string& identity_id,
                                    const std::string& token_id) {
  // Revoking one's own token needs no scope: a leaked token should be easy to kill.
  return store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto chain = LoadManaged(txn, caller, identity_id);
    if (!chain.ok()) return chain.error();
    if (token_id != caller.token_id) COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
    auto token = txn.FindToken(token_id);
    if (!token.ok()) return token.error();
    if (!*token || (*token)->identity_id != identity_id) {
      return MakeError(ErrorCode::kNotFound, "this identity has no token with this id");
    }
    auto revoked = txn.RevokeToken(token_id, NowMicros());
    if (!revoked.ok()) return revoked.error();
    return Status::Ok();
  });
}

Result<store::GrantRecord> IdentityService::CreateGrantUnaudited(const Principal& caller, const std::string& granter_id,
                                                        const CreateGrantRequest& request) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  COFFER_TRY(ValidateGrantPattern(request.pattern));
  COFFER_TRY(ValidateExpiry(request.expires_at));
  static const std::vector<std::string> kGrantable = {
      std::string(scopes::kVaultRead), std::string(scopes::kVaultWrite),
      std::string(scopes::kVaultDelete), std::string(scopes::kVaultUse)};
  if (request.scopes.empty()) {
    return MakeError(ErrorCode::kValidation, "scopes must name at least one of vault:read, vault:write, "
                                             "vault:delete, vault:use");
  }
  for (const auto& scope : request.scopes) {
    if (!Contains(kGrantable, scope)) {
      return MakeError(ErrorCode::kValidation,
                       "a grant can carry only vault:read, vault:write, vault:delete and vault:use");
    }
  }
  store::GrantRecord grant;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto granter_chain = LoadManaged(txn, caller, granter_id);
    if (!granter_chain.ok()) return granter_chain.error();
    if (!ChainIsActive(*granter_chain)) return MakeError(ErrorCode::kConflict, "the granting identity is revoked");
    const store::IdentityRecord& granter = granter_chain->back();
    auto grantee_chain = LoadChain(txn, request.grantee_id);
    if (!grantee_chain.ok() || grantee_chain->back().org_id != caller.org_id ||
        !InChain(*grantee_chain, granter.id) || request.grantee_id == granter.id) {
      return MakeError(ErrorCode::kValidation,
                       "granteeId must be a sub-identity (a descendant) of the granting identity");
    }
    COFFER_TRY(CheckSubset(request.scopes, granter.scopes, "the granting identity"));
    COFFER_TRY(CheckSubset(request.scopes, caller.scopes, "your token"));
    grant.id = NewId("grt_");
    grant.org_id = caller.org_id;
    grant.granter_id = granter.id;
    grant.grantee_id = request.grantee_id;
    grant.pattern = request.pattern;
    grant.scopes = request.scopes;
    grant.created_by = caller.identity_id;
    grant.created_at = NowMicros();
    grant.expires_at = request.expires_at;
    return txn.InsertGrant(grant);
  });
  if (!written.ok()) return written.error();
  return grant;
}

Result<std::vector<store::GrantRecord>> IdentityService::ListGrants(const Principal& caller,
                                                                    const std::string& identity_id) {
  auto read = store_.BeginRead();
  auto chain = LoadManaged(*read, caller, identity_id);
  if (!chain.ok()) return chain.error();
  auto given = read->ListGrantsFrom(identity_id);
  if (!given.ok()) return given.error();
  auto received = read->ListGrantsTo(identity_id);
  if (!received.ok()) return received.error();
  given->insert(given->end(), received->begin(), received->end());
  return given;
}

Status IdentityService::RevokeGrantUnaudited(const Principal& caller, const std::string& identity_id,
                                    const std::string& grant_id) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  return store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto chain = LoadManaged(txn, caller, identity_id);
    if (!chain.ok()) return chain.error();
    auto grant = txn.FindGrant(grant_id);
    if (!grant.ok()) return grant.error();
    if (!*grant || ((*grant)->granter_id != identity_id && (*grant)->grantee_id != identity_id)) {
      return MakeError(ErrorCode::kNotFound, "this identity has no grant with this id");
    }
    auto revoked = txn.RevokeGrant(grant_id, NowMicros());
    if (!revoked.ok()) return revoked.error();
    return Status::Ok();
  });
}

Result<store::IdentityRecord> IdentityService::CreateHumanUnaudited(const Principal& caller,
                                                           const CreateHumanRequest& request) {
  COFFER_TRY(RequireScope(caller, scopes::kIdentitiesWrite));
  if (!caller.IsOrgAdmin()) {
    return MakeError(ErrorCode::kPermissionDenied, "only an org owner or admin can add people");
  }
  COFFER_TRY(ValidateUsername(request.username));
  COFFER_TRY(ValidatePassword(request.password));
  if (request.role != roles::kAdmin && request.role != roles::kMember && request.role != roles::kOwner) {
    return MakeError(ErrorCode::kValidation, "role must be owner, admin or member");
  }
  if (request.role == roles::kOwner && caller.role != roles::kOwner) {
    return MakeError(ErrorCode::kPermissionDenied, "only an owner can add another owner");
  }
  auto hash = crypto::HashPassword(request.password);
  if (!hash) return MakeError(ErrorCode::kUnavailable, "cannot hash the password: the server is out of memory");
  store::IdentityRecord human;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto existing = txn.FindHumanByUsername(request.username);
    if (!existing.ok()) return existing.error();
    if (*existing) return MakeError(ErrorCode::kConflict, "this username is taken: choose another");
    human.id = NewId("idn_");
    human.org_id = caller.org_id;
    human.name = request.username;
    human.kind = "human";
    human.role = request.role;
    human.scopes = ScopesForRole(request.role);
    human.created_by = caller.identity_id;
    human.created_at = NowMicros();
    COFFER_TRY(txn.InsertIdentity(human));
    return txn.InsertHuman(store::HumanRecord{human.id, request.username, *hash});
  });
  if (!written.ok()) return written.error();
  return human;
}

Result<store::IdentityRecord> IdentityService::CreateIdentity(const Principal& caller, const CreateIdentityRequest& request) {
  auto r = CreateIdentityUnaudited(caller, request);
  return audit_.RecordOutcome(caller, "identity.create", r.ok() ? r->id + " " + r->name : request.name, std::move(r));
}

Result<store::IdentityRecord> IdentityService::RevokeIdentity(const Principal& caller, const std::string& id) {
  auto r = RevokeIdentityUnaudited(caller, id);
  return audit_.RecordOutcome(caller, "identity.revoke", id, std::move(r));
}

Result<store::IdentityRecord> IdentityService::RestoreIdentity(const Principal& caller, const std::string& id) {
  auto r = RestoreIdentityUnaudited(caller, id);
  return audit_.RecordOutcome(caller, "identity.restore", id, std::move(r));
}

Result<int64_t> IdentityService::PurgeCredentials(const Principal& caller, const std::string& id) {
  auto r = PurgeCredentialsUnaudited(caller, id);
  return audit_.RecordOutcome(caller, "identity.purge", id, std::move(r));
}

Result<IssuedToken> IdentityService::CreateToken(const Principal& caller, const std::string& identity_id, const CreateTokenRequest& request) {
  auto r = CreateTokenUnaudited(caller, identity_id, request);
  return audit_.RecordOutcome(caller, "token.create", r.ok() ? identity_id + " " + r->record.id : identity_id, std::move(r));
}

Status IdentityService::RevokeToken(const Principal& caller, const std::string& identity_id, const std::string& token_id) {
  auto r = RevokeTokenUnaudited(caller, identity_id, token_id);
  return audit_.RecordOutcome(caller, "token.revoke", identity_id + " " + token_id, std::move(r));
}

Result<store::GrantRecord> IdentityService::CreateGrant(const Principal& caller, const std::string& granter_id, const CreateGrantRequest& request) {
  auto r = CreateGrantUnaudited(caller, granter_id, request);
  return audit_.RecordOutcome(caller, "grant.create", r.ok() ? r->id + " " + granter_id + " -> " + r->grantee_id + " " + r->pattern : granter_id, std::move(r));
}

Status IdentityService::RevokeGrant(const Principal& caller, const std::string& identity_id, const std::string& grant_id) {
  auto r = RevokeGrantUnaudited(caller, identity_id, grant_id);
  return audit_.RecordOutcome(caller, "grant.revoke", grant_id, std::move(r));
}

Result<store::IdentityRecord> IdentityService::CreateHuman(const Principal& caller, const CreateHumanRequest& request) {
  auto r = CreateHumanUnaudited(caller, request);
  return audit_.RecordOutcome(caller, "human.create", request.username, std::move(r));
}

Status IdentityService::SetPassword(const Principal& caller, const std::string& current_password, const std::string& new_password) {
  auto r = SetPasswordUnaudited(caller, current_password, new_password);
  return audit_.RecordOutcome(caller, "human.password", caller.identity_id, std::move(r));
}

Result<IssuedToken> IdentityService::Login(const std::string& username, const std::string& password,
                                           const std::optional<std::string>& totp_code,
                                           const RequestContext& context) {
  static const Error kWrong = MakeError(ErrorCode::kUnauthenticated, "the username or password is wrong");
  // The throttle keeps the account as a keyed digest: the name is whatever was typed.
  const std::string account = audit_.TargetDigest(username);
  auto wait = LoginRetryAfter(*store_.BeginRead(), account, context.source_ip, NowMicros());
  if (!wait.ok()) return wait.error();
  if (*wait) {
    Error throttled = MakeError(ErrorCode::kRateLimited,
                                "too many failed logins: try again in " + std::to_string(**wait) + " seconds");
    store::AuditRecord record = AuditLog::Anonymous(context, "auth.login", username);
    AuditLog::SetFailure(record, throttled);
    if (Status s = audit_.Record(std::move(record), context); !s.ok()) return s.error();
    return throttled;
  }
  auto human = store_.BeginRead()->FindHumanByUsername(username);
  if (!human.ok()) return human.error();
  bool verified = false;
  if (*human) {
    verified = crypto::VerifyPassword((*human)->password_hash, password);
  } else {
    crypto::BurnPasswordVerification(password);  // same cost whether or not the account exists
  }
  // The second factor, once on: checked only after the password, and failing the same way.
  Error refusal = kWrong;
  std::optional<int64_t> totp_step;
  if (verified && (*human)->totp_confirmed) {
    auto step = totp_code ? second_factor_.Verify(**human, *totp_code)
                          : Result<int64_t>(MakeError(ErrorCode::kUnauthenticated,
                                                      "this account has two-factor login on: send `totp` with the "
                                                      "6-digit code from your authenticator app"));
    if (step.ok()) {
      totp_step = *step;
    } else {
      verified = false;
      refusal = step.error();
    }
  }
  if (!verified) {
    // The count and the record in one write: a failure that is not counted is not answered.
    store::AuditRecord record = AuditLog::Anonymous(context, "auth.login", username);
    AuditLog::SetFailure(record, refusal);
    COFFER_TRY(store_.Write([&](store::WriteTransaction& txn) -> Status {
      COFFER_TRY(CountLoginFailure(txn, account, context.source_ip, NowMicros()));
      return audit_.Append(txn, record);
    }));
    return refusal;
  }
  Result<IssuedToken> issued = kWrong;
  Status written = store_.Write([&](store::WriteTransaction& txn) -> Status {
    if (totp_step) {
      // Checked again inside the single writer: of two logins racing with one code, one wins.
      auto current = txn.FindHumanByIdentity((*human)->identity_id);
      if (!current.ok()) return current.error();
      if (!*current || (*current)->totp_last_step >= *totp_step) {
        return MakeError(ErrorCode::kUnauthenticated, "the two-factor code was already used: wait for the next one");
      }
      COFFER_TRY(txn.SetHumanTotpLastStep((*human)->identity_id, *totp_step));
    }
    auto chain = LoadChain(txn, (*human)->identity_id);
    if (!chain.ok() || !ChainIsActive(*chain)) return kWrong;
    const store::IdentityRecord& identity = chain->back();
    issued = IssueToken(txn, identity, "login session", identity.scopes, NowMicros() + kSessionMicros, {},
                        /*reveal=*/true);
    if (!issued.ok()) return issued.error();
    store::AuditRecord record = AuditLog::Anonymous(context, "auth.login", username);
    record.org_id = identity.org_id;
    record.actor_id = identity.id;
    record.actor_name = identity.name;
    record.actor_kind = identity.kind;
    for (const auto& link : *chain) record.chain_ids.push_back(link.id);
    record.token_id = issued->record.id;
    COFFER_TRY(ClearLoginFailures(txn, account));
    return audit_.Append(txn, std::move(record));
  });
  if (!written.ok()) return written.error();
  return issued;
}

Status IdentityService::SetPasswordUnaudited(const Principal& caller, const std::string& current_password,
                                    const std::string& new_password) {
  if (caller.kind != "human") {
    return MakeError(ErrorCode::kPermissionDenied, "only people have passwords; agents use tokens");
  }
  COFFER_TRY(ValidatePassword(new_password));
  auto hash = crypto::HashPassword(new_password);
  if (!hash) return MakeError(ErrorCode::kUnavailable, "cannot hash the password: the server is out of memory");
  return store_.Write([&](store::WriteTransaction& txn) -> Status {
    auto existing = txn.FindHumanByUsername(caller.identity_name);
    if (!existing.ok()) return existing.error();
    if (*existing && (*existing)->identity_id != caller.identity_id) {
      return MakeError(ErrorCode::kConflict, "another person already uses this identity's name as a username");
    }
    if (!*existing) {
      // First password of the bootstrap owner: the token proves who it is.
      COFFER_TRY(ValidateUsername(caller.identity_name));
      return txn.InsertHuman(store::HumanRecord{caller.identity_id, caller.identity_name, *hash});
    }
    if (!crypto::VerifyPassword((*existing)->password_hash, current_password)) {
      return MakeError(ErrorCode::kPermissionDenied, "currentPassword is wrong");
    }
    return txn.SetHumanPassword(caller.identity_id, *hash);
  });
}

}  // namespace coffer::vault
