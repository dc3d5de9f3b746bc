#include "vault/bootstrap.h"

#include "core/principal.h"
#include "vault/ids.h"

namespace coffer::vault {

Result<BootstrapOutcome> Bootstrap(store::Store& store, keyring::Keyring& keyring) {
  {
    auto read = store.BeginRead();
    auto orgs = read->ListOrgs();
    if (!orgs.ok()) return orgs.error();
    if (!orgs->empty()) {
      auto keks = read->ListKeks();
      if (!keks.ok()) return keks.error();
      for (const auto& kek : *keks) {
        COFFER_TRY(keyring.LoadKek(keyring::WrappedKek{kek.org_id, kek.version, kek.wrapped}));
      }
      return BootstrapOutcome{orgs->front().id, std::nullopt};
    }
  }

  BootstrapOutcome outcome;
  outcome.org_id = NewId("org_");
  std::string token = NewToken();
  const UnixMicros now = NowMicros();
  auto created = keyring.CreateKek(outcome.org_id, 1);  // fails when an HSM root cannot wrap
  if (!created.ok()) return created.error();
  keyring::WrappedKek kek = std::move(created).value();
  Status written = store.Write([&](store::WriteTransaction& txn) -> Status {
    COFFER_TRY(txn.InsertOrg(store::OrgRecord{outcome.org_id, kDefaultOrgName, now}));
    COFFER_TRY(txn.InsertKek(store::KekRecord{kek.org_id, kek.version, kek.wrapped, now}));
    store::IdentityRecord owner;
    owner.id = NewId("idn_");
    owner.org_id = outcome.org_id;
    owner.name = kOwnerIdentityName;
    owner.kind = "human";
    owner.role = "owner";
    owner.scopes = scopes::kAll;
    owner.created_at = now;
    COFFER_TRY(txn.InsertIdentity(owner));
    store::TokenRecord record;
    record.id = NewId("tok_");
    record.org_id = outcome.org_id;
    record.identity_id = owner.id;
    record.hash = HashToken(token);
    record.name = "bootstrap owner token";
    record.scopes = scopes::kAll;
    record.created_at = now;
    return txn.InsertToken(record);
  });
  if (!written.ok()) return written.error();
  outcome.new_owner_token = std::move(token);
  return outcome;
}

}  // namespace coffer::vault
