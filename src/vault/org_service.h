// Orgs: the outermost boundary. Every identity, credential, key and audit record belongs to exactly
// one org and nothing crosses between them. The owner of the first org (the one `coffer serve`
// created on first start) operates the server and is the only one who may create more.
#pragma once

#include <string>

#include "core/principal.h"
#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"
#include "vault/audit_log.h"
#include "vault/bootstrap.h"

namespace coffer::vault {

class OrgService {
 public:
  OrgService(store::Store& store, keyring::Keyring& keyring, AuditLog& audit)
      : store_(store), keyring_(keyring), audit_(audit) {}

  // A new org with its own KEK and owner; the owner's token is returned once. Audited in the
  // creator's org.
  Result<NewOrg> Create(const Principal& caller, const std::string& name);

 private:
  Status CheckOperator(const Principal& caller);

  store::Store& store_;
  keyring::Keyring& keyring_;
  AuditLog& audit_;
};

}  // namespace coffer::vault
