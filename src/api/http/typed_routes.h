// REST routes for typed credentials: the schema of each type (GET /v0/types), the platform presets
// (GET /v0/presets), and TOTP codes computed in the vault (GET /v0/vault/:name/totp).
#pragma once

#include "api/http/router.h"
#include "vault/vault.h"

namespace coffer::api {

// `vault` must outlive the router.
void AddTypedRoutes(Router& router, vault::Vault& vault);

}  // namespace coffer::api
