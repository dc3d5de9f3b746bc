#include "vault/bootstrap.h"

#include "core/principal.h"
#include "core/secure_wipe.h"
#include "vault/ids.h"
#include "vault/root_rotation.h"

namespace coffer::vault {

Result<BootstrapOutcome> Bootstrap(store::Store& store, keyring::Keyring& keyring) {
  {
    auto read = store.BeginRead();
    auto orgs = read->ListOrgs();
    if (!orgs.ok()) return orgs.error();
    // The KEKs of an existing store are LoadKeyHierarchy's to load (root_rotation.h), once.
    if (!orgs->empty()) return BootstrapOutcome{orgs->front().id, std::nullopt};
  }

  auto created = CreateOrg(store, keyring, kDefaultOrgName);
  if (!created.ok()) {
    // Nodes started together on an empty shared database: another one created the first org a
    // moment earlier (the org name is unique). Join it, as a node started later would.
    if (created.error().code != ErrorCode::kConflict || !store.SharedWithOtherNodes()) return created.error();
    auto orgs = store.BeginRead()->ListOrgs();
    if (!orgs.ok()) return orgs.error();
    if (orgs->empty()) return created.error();
    if (Status loaded = LoadKeyHierarchy(store, keyring); !loaded.ok()) {
      return MakeError(loaded.error().code,
                       "another node set this database up at the same moment, and " + loaded.error().message);
    }
    return BootstrapOutcome{orgs->front().id, std::nullopt};
  }
  return BootstrapOutcome{created->org_id, std::move(created->owner_token)};
}

Result<bool> IsOperatorOrg(store::ReadTransaction& read, const std::string& org_id) {
  auto orgs = read.ListOrgs();
  if (!orgs.ok()) return orgs.error();
  return !orgs->empty() && orgs->front().id == org_id;
}

Result<NewOrg> CreateOrg(store::Store& store, keyring::Keyring& keyring, const std::string& name,
                         const std::function<Status(store::WriteTransaction&, const NewOrg&)>& in_same_write) {
  NewOrg org;
  org.org_id = NewId("org_");
  org.owner_identity_id = NewId("idn_");
  org.owner_token = NewToken();
  const UnixMicros now = NowMicros();
  auto created = keyring.CreateKek(org.org_id, 1);  // fails when an HSM root cannot wrap
  if (!created.ok()) return created.error();
  keyring::WrappedKek kek = std::move(created).value();
  Status written = store.Write([&](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(store::OrgRecord{org.org_id, name, now}));
    COFFER_TRY(txn.InsertKek(store::KekRecord{kek.org_id, kek.version, kek.wrapped, now}));
    store::IdentityRecord owner;
    owner.id = org.owner_identity_id;
    owner.org_id = org.org_id;
    owner.name = kOwnerIdentityName;
    owner.kind = "human";
    owner.role = "owner";
    owner.scopes = scopes::kAll;
    owner.created_at = now;
    COFFER_TRY(txn.InsertIdentity(owner));
    store::TokenRecord record;
    record.id = NewId("tok_");
    record.org_id = org.org_id;
    record.identity_id = owner.id;
    record.hash = HashToken(org.owner_token);
    record.name = "bootstrap owner token";
    record.scopes = scopes::kAll;
    record.created_at = now;
    COFFER_TRY(txn.InsertToken(record));
    return in_same_write ? in_same_write(txn, org) : Status::Ok();
  });
  if (!written.ok()) {
    SecureWipe(org.owner_token);
    return written.error();
  }
  return org;
}

}  // namespace coffer::vault
