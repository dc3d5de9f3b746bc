#include "vault/authorizer.h"

namespace coffer::vault {

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

Result<Partition> Authorizer::Authorize(const Principal& principal, VaultAction action,
                                        std::string_view /*credential_name*/) const {
  std::string_view scope = RequiredScope(action);
  // Reading a value implies being allowed to use it.
  bool allowed = principal.HasScope(scope) ||
                 (action == VaultAction::kUse && principal.HasScope(scopes::kVaultRead));
  if (!allowed) {
    return MakeError(ErrorCode::kPermissionDenied,
                     "this token lacks the " + std::string(scope) +
                         " scope: ask an admin for a token that has it");
  }
  return Partition{principal.org_id, principal.identity_id};
}

}  // namespace coffer::vault
