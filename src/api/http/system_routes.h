// Unauthenticated operational routes: /healthz.
#pragma once

#include "api/http/router.h"
#include "store/store.h"

namespace coffer::api {

void AddSystemRoutes(Router& router, store::Store& store);

}  // namespace coffer::api
