// A small HTTP client for the Coffer REST API (libcurl), used by the CLI and `coffer mcp`.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace coffer::cli {

struct ClientConfig {
  std::string address;  // "http://127.0.0.1:8720"
  std::string token;
  std::string ca_file;  // trust this CA for https (optional)
};

// Address from --addr or COFFER_ADDR (default http://127.0.0.1:8720); token from --token,
// COFFER_TOKEN, or the owner token file of the local data directory.
ClientConfig ResolveClientConfig(const std::string& addr_flag, const std::string& token_flag);

struct ApiReply {
  long status = 0;
  nlohmann::json body;  // parsed JSON, or null when the body was not JSON
  std::string raw_body;  // the body as received, kept only when it was not JSON (JSON Lines)
};

class ApiClient {
 public:
  explicit ApiClient(ClientConfig config);
  ~ApiClient();
  ApiClient(ApiClient&& other) noexcept : config_(std::move(other.config_)), curl_(other.curl_) {
    other.curl_ = nullptr;
  }
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  // Sends a request; `path` starts with "/" and may carry a query. Fails only when the server
  // cannot be reached. Non-2xx statuses come back as replies. `content_type` labels the body
  // (the .env import sends text/plain).
  Result<ApiReply> Send(const std::string& method, const std::string& path,
                        const std::optional<std::string>& body = std::nullopt,
                        const std::string& content_type = "application/json");

  // Escapes one path segment or query value.
  std::string Escape(const std::string& text) const;

  const ClientConfig& config() const { return config_; }

 private:
  ClientConfig config_;
  void* curl_;
};

// The server's error message from a non-2xx reply, or a generic one.
std::string ErrorMessageOf(const ApiReply& reply);

}  // namespace coffer::cli
