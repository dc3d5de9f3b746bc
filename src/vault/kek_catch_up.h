// Keeping a node's keyring in step with the store when several nodes share one database. A KEK
// that another node created (a rotation there) is in the store but not in this node's keyring:
// without catching up, this node could not open what the other sealed under it, and would keep
// sealing under the older KEK, which a later retirement destroys.
#pragma once

#include <string>

#include "core/result.h"
#include "keyring/keyring.h"
#include "store/store.h"

namespace coffer::vault {

// Loads every KEK of `org_id` that `read` holds and `keyring` lacks; the newest becomes current,
// as at start-up. A KEK is in the store only once it is durable, so it is safe to seal under.
Status CatchUpKeks(store::ReadTransaction& read, keyring::Keyring& keyring, const std::string& org_id);

}  // namespace coffer::vault
