// The network front: a Boost.Beast HTTP/1.1 server (plain or TLS) with keep-alive. I/O threads
// only parse and write; each request's handler runs on a worker pool, because handlers block on
// durable commits and must not stall other connections.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http/api_types.h"
#include "core/result.h"

namespace coffer::api {

struct TlsFiles {
  std::string cert_chain_path;
  std::string private_key_path;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8720;  // 0 picks a free port
  std::optional<TlsFiles> tls;
  int io_threads = 2;
  int worker_threads = 64;
  size_t body_limit = 1024 * 1024;
};

using RequestHandler = std::function<ApiResponse(const ApiRequest&)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, RequestHandler handler);
  ~HttpServer();

  // Binds and starts serving on background threads. Returns the bound port.
  Result<uint16_t> Start();

  // Stops accepting, lets in-flight requests finish (up to `grace_seconds`), then closes every
  // connection and joins all threads.
  void Shutdown(int grace_seconds = 30);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coffer::api
