#include "api/http/typed_routes.h"

#include "api/http/authentication.h"
#include "api/http/json_io.h"
#include "api/http/query_params.h"
#include "schema/credential_schema.h"
#include "schema/presets.h"

namespace coffer::api {
namespace {

// Both documents are fixed for the life of the binary: rendered once. They describe forms, not
// anyone's data, but still need a token: an unauthenticated caller learns nothing about a server.
ApiResponse StaticDocument(vault::Vault& vault, const ApiRequest& request, const std::string& body) {
  return WithPrincipal(vault, request, [&](const Principal&) {
    if (Status s = CheckQuery(request, {}); !s.ok()) return ErrorResponse(s.error());
    ApiResponse response;
    response.body = body;
    return response;
  });
}

ApiResponse GetTotp(vault::Vault& vault, const ApiRequest& request, const PathParams& params) {
  return WithPrincipal(vault, request, [&](const Principal& principal) {
    if (Status s = CheckQuery(request, {}); !s.ok()) return ErrorResponse(s.error());
    auto code = vault.GetTotp(principal, params.at("name"));
    if (!code.ok()) return ErrorResponse(code.error());
    // A code is a short-lived secret: no cache may keep it.
    return SecretJsonResponse(200, {{"code", code->code}, {"remaining", code->remaining_seconds}});
  });
}

}  // namespace

void AddTypedRoutes(Router& router, vault::Vault& vault) {
  static const std::string types = DescribeTypes().dump();
  static const std::string presets = DescribePresets().dump();
  router.Add("GET", "/v0/types",
             [&vault](const ApiRequest& r, const PathParams&) { return StaticDocument(vault, r, types); });
  router.Add("GET", "/v0/presets",
             [&vault](const ApiRequest& r, const PathParams&) { return StaticDocument(vault, r, presets); });
  router.Add("GET", "/v0/vault/:name/totp",
             [&vault](const ApiRequest& r, const PathParams& p) { return GetTotp(vault, r, p); }, Waits::kNo);
}

}  // namespace coffer::api
