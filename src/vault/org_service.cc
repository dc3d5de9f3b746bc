#include "vault/org_service.h"

#include <algorithm>
#include <cctype>

namespace coffer::vault {
namespace {

constexpr size_t kMaxOrgName = 64;

Status ValidateOrgName(const std::string& name) {
  const bool valid = !name.empty() && name.size() <= kMaxOrgName &&
                     std::all_of(name.begin(), name.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '.' || c == '_' || c == '-' || c == ' ';
                     });
  if (!valid) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "name must be 1-64 characters of letters, digits, space, '.', '_' or '-'");
  }
  return Status::Ok();
}

}  // namespace

Status OrgService::CheckOperator(const Principal& caller) {
  const Error refused = MakeError(ErrorCode::kPermissionDenied,
                                  "only the owner of the server's first org may create orgs, with a token that "
                                  "has the identities:write scope");
  if (caller.role != roles::kOwner || !caller.HasScope(scopes::kIdentitiesWrite)) return refused;
  auto read = store_.BeginRead();
  auto operator_org = IsOperatorOrg(*read, caller.org_id);
  if (!operator_org.ok()) return operator_org.error();
  return *operator_org ? Status::Ok() : refused;
}

Result<NewOrg> OrgService::Create(const Principal& caller, const std::string& name) {
  Status allowed = CheckOperator(caller);
  if (allowed.ok()) allowed = ValidateOrgName(name);
  if (!allowed.ok()) {
    store::AuditRecord record = AuditLog::For(caller, "org.create", name);
    AuditLog::SetFailure(record, allowed.error());
    COFFER_TRY(audit_.Record(std::move(record), caller.request));
    return allowed.error();
  }
  return CreateOrg(store_, keyring_, name, [&](store::WriteTransaction& txn, const NewOrg& org) {
    return audit_.Append(txn, AuditLog::For(caller, "org.create", org.org_id));
  });
}

}  // namespace coffer::vault
