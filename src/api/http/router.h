// Maps METHOD + path to a handler. Patterns are literal segments and `:param` segments; unknown
// paths get 404 and known paths with the wrong method get 405 with an Allow header.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "api/http/api_types.h"

namespace coffer::api {

using PathParams = std::map<std::string, std::string>;
using RouteHandler = std::function<ApiResponse(const ApiRequest&, const PathParams&)>;

class Router {
 public:
  void Add(std::string method, const std::string& pattern, RouteHandler handler, Waits waits = Waits::kYes);
  // Matches `request` (which must outlive the result) to its handler, or to the 400/404/405 that
  // says why there is none, without running it yet.
  RoutedRequest Route(const ApiRequest& request) const;
  ApiResponse Dispatch(const ApiRequest& request) const { return Route(request).run(); }

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;
    RouteHandler handler;
    Waits waits;
  };
  // The route for `request`, with its parameters; or the response that says why there is none.
  using Match = std::variant<std::pair<const Entry*, PathParams>, ApiResponse>;
  Match Find(const ApiRequest& request) const;

  std::vector<Entry> routes_;
};

// Decodes %XX escapes; false on a malformed escape.
bool PercentDecode(std::string_view in, std::string& out);

}  // namespace coffer::api
