#include "api/http/router.h"

#include "api/http/json_io.h"

namespace coffer::api {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool PercentDecode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

void Router::Add(std::string method, const std::string& pattern, RouteHandler handler, Waits waits) {
  routes_.push_back(Entry{std::move(method), SplitPath(pattern), std::move(handler), waits});
}

RoutedRequest Router::Route(const ApiRequest& request) const {
  Match match = Find(request);
  if (auto* response = std::get_if<ApiResponse>(&match)) {
    return RoutedRequest{Waits::kNo, [response = std::move(*response)] { return response; }};
  }
  auto& [route, params] = std::get<0>(match);
  return RoutedRequest{route->waits, [route = route, params = std::move(params), &request] {
                         return route->handler(request, params);
                       }};
}

Router::Match Router::Find(const ApiRequest& request) const {
  std::vector<std::string> raw = SplitPath(request.path);
  std::vector<std::string> segments(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    if (!PercentDecode(raw[i], segments[i])) {
      return ErrorResponse(400, "invalid_request", "the path has a malformed %-escape");
    }
  }
  std::string allowed;
  for (const Entry& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    PathParams params;
    bool match = true;
    for (size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (!want.empty() && want[0] == ':') {
        params[want.substr(1)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) continue;
    if (route.method == request.method) return std::make_pair(&route, std::move(params));
    if (!allowed.empty()) allowed += ", ";
    allowed += route.method;
  }
  if (!allowed.empty()) {
    ApiResponse response = ErrorResponse(
        405, "method_not_allowed", request.method + " is not supported here: use " + allowed);
    response.headers.emplace_back("Allow", allowed);
    return response;
  }
  // The path is not echoed: a client that put a secret in a URL must not see it come back.
  return ErrorResponse(404, "not_found",
                       "no such endpoint: check the path (the API lives under /v0, see the README)");
}

}  // namespace coffer::api
