#include "vault/authorizer.h"

#include <algorithm>

#include "core/credential.h"
#include "core/time.h"

namespace coffer::vault {
namespace {

bool HasScope(const std::vector<std::string>& scopes, std::string_view scope) {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

bool GrantIsLive(const store::GrantRecord& grant, UnixMicros now) {
  return !grant.revoked_at && !(grant.expires_at && *grant.expires_at <= now);
}

// Can `identity_id` reach `name` for `action`, in its own partition or through its grants? If so,
// where, and the current version found there. `vouched` is the caller's own chain, every link of
// which was read, active and in `org_id`, when the request was authenticated.
Result<std::optional<Located>> Reach(store::ReadTransaction& read, const std::string& org_id,
                                     const std::string& identity_id, VaultAction action,
                                     const std::string& name, bool include_own, int depth, UnixMicros now,
                                     const std::vector<ChainLink>& vouched) {
  if (include_own) {
    auto own = read.FindCredential(org_id, identity_id, name, std::nullopt);
    if (!own.ok()) return own.error();
    if (*own) return std::optional<Located>(Located{Partition{org_id, identity_id}, std::move(*own)});
  }
  if (depth >= kMaxGrantDepth) return std::optional<Located>();
  auto grants = read.ListGrantsTo(identity_id);
  if (!grants.ok()) return grants.error();
  for (const auto& grant : *grants) {
    if (grant.org_id != org_id || !GrantIsLive(grant, now) || !GrantPatternMatches(grant.pattern, name) ||
        !Authorizer::ScopesAllow(grant.scopes, action)) {
      continue;
    }
    // The granter must still be active and still hold the scope: a grant never gives more than
    // the granter has now, not only when it was made. A granter up the caller's own chain (the
    // usual delegation) was checked for this very request when it was authenticated.
    auto ancestor = std::find_if(vouched.begin(), vouched.end(),
                                 [&](const ChainLink& link) { return link.id == grant.granter_id; });
    if (ancestor != vouched.end()) {
      if (!Authorizer::ScopesAllow(ancestor->scopes, action)) continue;
    } else {
      auto chain = LoadChain(read, grant.granter_id);
      if (!chain.ok()) {
        if (chain.error().code == ErrorCode::kNotFound) continue;
        return chain.error();
      }
      const store::IdentityRecord& granter = chain->back();
      if (granter.org_id != org_id || !ChainIsActive(*chain) || !Authorizer::ScopesAllow(granter.scopes, action)) {
        continue;
      }
    }
    auto reached = Reach(read, org_id, grant.granter_id, action, name, /*include_own=*/true, depth + 1, now, vouched);
    if (!reached.ok()) return reached.error();
    if (*reached) return reached;
  }
  return std::optional<Located>();
}

}  // namespace

std::string_view Authorizer::RequiredScope(VaultAction action) {
  switch (action) {
    case VaultAction::kRead: return scopes::kVaultRead;
    case VaultAction::kWrite: return scopes::kVaultWrite;
    case VaultAction::kDelete: return scopes::kVaultDelete;
    case VaultAction::kList: return scopes::kVaultList;
    case VaultAction::kUse: return scopes::kVaultUse;
  }
  return scopes::kVaultRead;
}

bool Authorizer::ScopesAllow(const std::vector<std::string>& scopes, VaultAction action) {
  return HasScope(scopes, RequiredScope(action)) ||
         (action == VaultAction::kUse && HasScope(scopes, scopes::kVaultRead));
}

Status Authorizer::CheckScope(const Principal& principal, VaultAction action) {
  if (ScopesAllow(principal.scopes, action)) return Status::Ok();
  return MakeError(ErrorCode::kPermissionDenied,
                   "this token lacks the " + std::string(RequiredScope(action)) +
                       " scope: use a token that has it, or ask whoever manages this identity");
}

Result<Located> Authorizer::Locate(store::ReadTransaction& read, const Principal& principal, VaultAction action,
                                   const std::string& name, std::optional<int> version) {
  Located target{OwnPartition(principal), std::nullopt};
  auto current = read.FindCredential(target.partition.org_id, target.partition.identity_id, name, version);
  if (!current.ok()) return current.error();
  if (*current) {
    target.current = std::move(current).value();
    return target;
  }
  auto granted = FindGranted(read, principal, action, name);
  if (!granted.ok()) return granted.error();
  if (!*granted) return target;
  // The grant was found by the current version; an older one is looked up where it lives.
  if (version) {
    auto older = read.FindCredential((*granted)->partition.org_id, (*granted)->partition.identity_id, name, version);
    if (!older.ok()) return older.error();
    (*granted)->current = std::move(older).value();
  }
  return std::move(**granted);
}

Result<std::optional<Located>> Authorizer::FindGranted(store::ReadTransaction& read, const Principal& principal,
                                                       VaultAction action, const std::string& name) {
  if (!ScopesAllow(principal.identity_scopes, action)) return std::optional<Located>();
  return Reach(read, principal.org_id, principal.identity_id, action, name, /*include_own=*/false,
               /*depth=*/0, NowMicros(), principal.chain);
}

bool GrantPatternMatches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    std::string_view prefix = pattern.substr(0, pattern.size() - 1);
    return name.substr(0, prefix.size()) == prefix;
  }
  return pattern == name;
}

Status ValidateGrantPattern(std::string_view pattern) {
  if (pattern == "*") return Status::Ok();
  std::string_view name = pattern;
  if (!name.empty() && name.back() == '*') name.remove_suffix(1);
  if (name.empty() || !ValidateCredentialName(std::string(name)).ok()) {
    return MakeError(ErrorCode::kValidation,
                     "pattern must be a credential name, a name prefix ending in '*' (e.g. crm:*), or '*'");
  }
  return Status::Ok();
}

Result<std::vector<store::IdentityRecord>> LoadChain(store::ReadTransaction& read,
                                                     const std::string& identity_id) {
  std::vector<store::IdentityRecord> chain;
  std::optional<std::string> next = identity_id;
  while (next) {
    if (chain.size() > 64) {
      return MakeError(ErrorCode::kDataCorrupted, "the identity chain is longer than 64: a parent loop?");
    }
    auto identity = read.FindIdentity(*next);
    if (!identity.ok()) return identity.error();
    if (!*identity) return MakeError(ErrorCode::kNotFound, "no such identity in your org");
    next = (*identity)->parent_id;
    chain.push_back(std::move(**identity));
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

bool ChainIsActive(const std::vector<store::IdentityRecord>& chain) {
  return std::none_of(chain.begin(), chain.end(), [](const auto& i) { return i.revoked_at.has_value(); });
}

}  // namespace coffer::vault
