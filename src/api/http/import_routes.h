// POST /v0/vault/import: a .env file in, its credentials stored (all or nothing) and a per-entry
// report out. `?dryRun=true` previews, `?prefix=P` prefixes the names, `?overwrite=true` stores
// existing names as new versions, `?skipConfig=true` leaves out non-secret settings.
#pragma once

#include "api/http/router.h"
#include "vault/vault.h"

namespace coffer::api {

// `vault` must outlive the router.
void AddImportRoutes(Router& router, vault::Vault& vault);

}  // namespace coffer::api
