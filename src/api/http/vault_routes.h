// REST routes for /v0/vault, in the seeds' shapes (Mailgent's v0 API is the reference).
#pragma once

#include "api/http/router.h"
#include "vault/vault.h"

namespace coffer::api {

void AddVaultRoutes(Router& router, vault::Vault& vault);

// The JSON a client sees for a credential's description (never its data).
nlohmann::json CredentialInfoJson(const CredentialInfo& info);

}  // namespace coffer::api
