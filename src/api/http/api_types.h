// The HTTP exchange as handlers see it: plain structs, no Beast types, so the routes (and the MCP
// adapter that shares them) stay independent of the server machinery.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

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
};

}  // namespace coffer::api
