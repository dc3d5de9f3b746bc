#include "vault/kek_catch_up.h"

namespace coffer::vault {

Status CatchUpKeks(store::ReadTransaction& read, keyring::Keyring& keyring, const std::string& org_id) {
  auto keks = read.ListKeks();
  if (!keks.ok()) return keks.error();
  for (const auto& kek : *keks) {
    if (kek.org_id != org_id || keyring.HasKek(kek.org_id, kek.version)) continue;
    COFFER_TRY(keyring.LoadKek(keyring::WrappedKek{kek.org_id, kek.version, kek.wrapped}));
  }
  return Status::Ok();
}

}  // namespace coffer::vault
