#include "api/http/system_routes.h"

#include "api/http/json_io.h"

namespace coffer::api {

void AddSystemRoutes(Router& router, store::Store& store) {
  // Healthy means the database answers a read; nothing else is disclosed without a token.
  router.Add("GET", "/healthz", [&store](const ApiRequest&, const PathParams&) {
    auto orgs = store.BeginRead()->ListOrgs();
    if (!orgs.ok()) return ErrorResponse(503, "unavailable", "the database does not answer");
    return JsonResponse(200, {{"status", "ok"}});
  }, Waits::kNo);
}

}  // namespace coffer::api
