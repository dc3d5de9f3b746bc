// Turns a request's Authorization header into a Principal through the vault, once per request.
#pragma once

#include "api/http/api_types.h"
#include "api/http/json_io.h"
#include "core/principal.h"
#include "core/result.h"
#include "vault/vault.h"

namespace coffer::api {

RequestContext ContextOf(const ApiRequest& request);
Result<Principal> Authenticate(vault::Vault& vault, const ApiRequest& request);

// Runs `handler` for an authenticated caller, or answers 401.
template <typename Handler>
ApiResponse WithPrincipal(vault::Vault& vault, const ApiRequest& request, Handler handler) {
  auto principal = Authenticate(vault, request);
  if (!principal.ok()) return ErrorResponse(principal.error());
  return handler(*principal);
}

}  // namespace coffer::api
