// REST routes for the key lifecycle and the status page:
//   POST /v0/vault/:name/rotate   re-encrypt one credential under fresh key material (vault:write)
//   POST /v0/keys/rotate          new KEK version, re-wrap older DEKs behind it (keys:admin)
//   POST /v0/keys/rotate-all      re-wrap every DEK under the current KEK (keys:admin)
//   POST /v0/keys/retire          destroy KEK versions no DEK uses (keys:admin)
//   GET  /v0/keys/status          KEKs, DEK counts, re-wrap progress, rotations (keys:admin)
//   GET  /v0/status               counts and key facts, no secrets (any valid token)
#pragma once

#include "api/http/router.h"
#include "vault/key_manager.h"
#include "vault/status_service.h"
#include "vault/vault.h"

namespace coffer::api {

void AddKeyRoutes(Router& router, vault::Vault& vault, vault::KeyManager& keys, vault::StatusService& status);

}  // namespace coffer::api
