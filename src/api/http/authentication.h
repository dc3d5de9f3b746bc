// Turns a request's Authorization header into a Principal through the vault, once per request.
#pragma once

#include "api/http/api_types.h"
#include "core/principal.h"
#include "core/result.h"
#include "vault/vault.h"

namespace coffer::api {

RequestContext ContextOf(const ApiRequest& request);
Result<Principal> Authenticate(vault::Vault& vault, const ApiRequest& request);

}  // namespace coffer::api
