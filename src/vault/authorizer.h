// The one place that decides whether a principal may act on a credential, and in which vault
// partition. Every vault use case asks it before touching data; adapters never decide access.
#pragma once

#include <string>
#include <string_view>

#include "core/principal.h"
#include "core/result.h"

namespace coffer::vault {

enum class VaultAction { kRead, kWrite, kDelete, kList, kUse };

// A vault partition: the credentials of one identity in one org.
struct Partition {
  std::string org_id;
  std::string identity_id;
};

class Authorizer {
 public:
  // Fails with kPermissionDenied naming the missing scope. The returned partition is where the
  // credential `name` lives for this principal.
  Result<Partition> Authorize(const Principal& principal, VaultAction action,
                              std::string_view credential_name) const;

  static std::string_view RequiredScope(VaultAction action);
};

}  // namespace coffer::vault
