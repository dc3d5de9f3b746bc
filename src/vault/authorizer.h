// The one place that decides whether a principal may act on a credential, and in which vault
// partition it lives. Every vault use case asks it before touching data; adapters never decide.
//
// A credential lives in exactly one identity's partition. A caller reaches its own partition with
// its token's scopes, and another identity's only through a grant: an active grant to the caller
// whose pattern matches the name and whose scopes include the action, from a granter whose chain
// is not revoked, who still holds that scope itself, and who can reach the credential, in its own
// partition or, recursively, through a grant of its own. All of it is checked on every use, so a
// parent losing access takes its children's access with it, with no sweep.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/principal.h"
#include "core/result.h"
#include "store/store.h"

namespace coffer::vault {

enum class VaultAction { kRead, kWrite, kDelete, kList, kUse };

// A vault partition: the credentials of one identity in one org.
struct Partition {
  std::string org_id;
  std::string identity_id;
};

// Where a name is for a caller: the partition and, when it exists, the credential's record.
struct Located {
  Partition partition;
  std::optional<store::CredentialRecord> current;
};

// Grants chain at most this deep (human > agent > sub-agent > ... ); deeper chains are ignored.
inline constexpr int kMaxGrantDepth = 8;

class Authorizer {
 public:
  static std::string_view RequiredScope(VaultAction action);

  // Whether a scope list allows the action. Reading a value implies being allowed to use it.
  static bool ScopesAllow(const std::vector<std::string>& scopes, VaultAction action);

  // 403 naming the missing scope when the caller's token does not allow the action.
  static Status CheckScope(const Principal& principal, VaultAction action);

  static Partition OwnPartition(const Principal& principal) {
    return Partition{principal.org_id, principal.identity_id};
  }

  // Where `name` is for the caller doing `action`: its own credential, else one a grant reaches;
  // when neither exists, the caller's own partition with no record (where a write creates it).
  // Every use case, read, write, rotate, delete and import, resolves names by this one rule.
  static Result<Located> Locate(store::ReadTransaction& read, const Principal& principal, VaultAction action,
                                const std::string& name, std::optional<int> version = std::nullopt);

 private:
  // The partition of another identity through which a grant lets the caller reach `name` for
  // `action`, with the credential's current version found there, when the credential is not in
  // the caller's own partition. Empty when no grant reaches it.
  static Result<std::optional<Located>> FindGranted(store::ReadTransaction& read, const Principal& principal,
                                                    VaultAction action, const std::string& name);
};

// "name" matches exactly; "prefix*" matches every name starting with prefix; "*" matches all.
bool GrantPatternMatches(std::string_view pattern, std::string_view name);

// Validates a grant pattern: a credential name, optionally ending in '*', or "*" alone.
Status ValidateGrantPattern(std::string_view pattern);

// Loads the identity and its ancestors, root first. Fails with kNotFound if one is missing.
Result<std::vector<store::IdentityRecord>> LoadChain(store::ReadTransaction& read,
                                                     const std::string& identity_id);

// True when no identity in the chain is revoked.
bool ChainIsActive(const std::vector<store::IdentityRecord>& chain);

}  // namespace coffer::vault
