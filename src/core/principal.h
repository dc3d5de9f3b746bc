// Who is calling, resolved once per request from a bearer token, and where the call came from.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/durability_barrier.h"

namespace coffer {

// Scopes a token can carry. An owner's bootstrap token carries all of them.
namespace scopes {
inline constexpr std::string_view kVaultRead = "vault:read";
inline constexpr std::string_view kVaultWrite = "vault:write";
inline constexpr std::string_view kVaultDelete = "vault:delete";
inline constexpr std::string_view kVaultList = "vault:list";
inline constexpr std::string_view kVaultUse = "vault:use";
inline constexpr std::string_view kIdentitiesWrite = "identities:write";
inline constexpr std::string_view kAuditRead = "audit:read";
inline constexpr std::string_view kKeysAdmin = "keys:admin";
inline const std::vector<std::string> kAll = {
    std::string(kVaultRead), std::string(kVaultWrite),      std::string(kVaultDelete),
    std::string(kVaultList), std::string(kVaultUse),        std::string(kIdentitiesWrite),
    std::string(kAuditRead), std::string(kKeysAdmin)};
}  // namespace scopes

// Facts about the request, carried into the audit trail. Never holds a secret.
struct RequestContext {
  std::string request_id;
  std::string source_ip;
  std::string user_agent;
  // Set by a front end that holds the reply until this request's audit records are durable:
  // records are then queued instead of waited for, and no thread sleeps on them. Unset, each
  // record is waited for where it is made.
  std::shared_ptr<DurabilityBarrier> reply_barrier;
};

// One identity in a delegation chain, as shown to callers and recorded in the audit trail.
struct ChainLink {
  std::string id;
  std::string name;
  std::string kind;                 // "human" | "agent"
  std::vector<std::string> scopes;  // the identity's, as read when the request was authenticated
};

namespace roles {
inline constexpr std::string_view kOwner = "owner";
inline constexpr std::string_view kAdmin = "admin";
inline constexpr std::string_view kMember = "member";
}  // namespace roles

struct Principal {
  std::string org_id;
  std::string identity_id;
  std::string identity_name;
  std::string kind;  // "human" | "agent"
  std::string role;  // humans only
  std::string token_id;
  std::vector<std::string> scopes;           // the token's
  std::vector<std::string> identity_scopes;  // the identity's ceiling
  std::vector<ChainLink> chain;              // root first, ending with this identity
  bool reveal = true;  // false: this caller sees secret fields only masked
  RequestContext request;  // where this call came from, for the audit trail

  // Owners and admins manage every identity of their org.
  bool IsOrgAdmin() const { return kind == "human" && (role == roles::kOwner || role == roles::kAdmin); }

  bool HasScope(std::string_view scope) const {
    return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
  }
};

}  // namespace coffer
