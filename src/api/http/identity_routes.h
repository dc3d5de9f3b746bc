// REST routes for the delegation chain: /v0/orgs, /v0/identities (with their tokens and grants),
// /v0/humans, /v0/auth/login and /v0/me (with its password and second factor).
#pragma once

#include "api/http/router.h"
#include "vault/identity_service.h"
#include "vault/org_service.h"
#include "vault/second_factor.h"
#include "vault/vault.h"

namespace coffer::api {

void AddIdentityRoutes(Router& router, vault::Vault& vault, vault::IdentityService& identities,
                       vault::OrgService& orgs, vault::SecondFactor& second_factor);

}  // namespace coffer::api
