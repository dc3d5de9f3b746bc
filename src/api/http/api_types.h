// The HTTP exchange as handlers see it: plain structs, no Beast types, so the routes (and the MCP
// adapter that shares them) stay independent of the server machinery.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/durability_barrier.h"
#include "core/secure_wipe.h"

namespace coffer::api {

struct ApiRequest {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // percent-decoding is per segment, by the router
  std::map<std::string, std::string> query;    // decoded
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string remote_ip;
  std::string request_id;
  // Holds the reply until the request's queued audit records are durable (see RequestContext).
  // The HTTP server sets it; a request made without one waits for each record where it is made.
  std::shared_ptr<DurabilityBarrier> reply_barrier;

  ApiRequest() = default;
  ApiRequest(const ApiRequest&) = delete;
  ApiRequest& operator=(const ApiRequest&) = delete;
  ApiRequest(ApiRequest&&) = default;
  ApiRequest& operator=(ApiRequest&&) = default;
  // The body may hold a secret being stored.
  ~ApiRequest() { SecureWipe(body); }

  std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct ApiResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // The body is the error envelope {"error": {...}}: the server adds the request id to it.
  bool error_envelope = false;
};

// Whether a handler may wait: for a durable write, a password hash, a long scan. One that does
// not (it reads a few rows and queues its audit records) runs where no thread sleeps on the disk.
enum class Waits { kYes, kNo };

// A request matched to its handler, to run on whichever thread suits `waits`.
struct RoutedRequest {
  Waits waits = Waits::kYes;
  std::function<ApiResponse()> run;
};

}  // namespace coffer::api
