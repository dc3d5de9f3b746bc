// Maps METHOD + path to a handler. Patterns are literal segments and `:param` segments; unknown
// paths get 404 and known paths with the wrong method get 405 with an Allow header.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/http/api_types.h"

namespace coffer::api {

using PathParams = std::map<std::string, std::string>;
using RouteHandler = std::function<ApiResponse(const ApiRequest&, const PathParams&)>;

class Router {
 public:
  void Add(std::string method, const std::string& pattern, RouteHandler handler);
  ApiResponse Dispatch(const ApiRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    RouteHandler handler;
  };
  std::vector<Route> routes_;
};

// Decodes %XX escapes; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string& out);

}  // namespace coffer::api
