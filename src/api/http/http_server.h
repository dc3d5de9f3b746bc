// The network front: a Boost.Beast HTTP/1.1 server (plain or TLS) with keep-alive. I/O threads
// only parse and write. A handler that may wait (on a durable commit, a password hash) runs on a
// large worker pool so that it never stalls other connections; one that never waits runs on a
// pool with a thread per core, where threads stay busy instead of sleeping and waking per request.
// Either way the reply leaves only once the request's queued audit records are durable.
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
  int io_threads = 1;        // also run the handlers that never wait
  int worker_threads = 64;  // for handlers that may wait
  size_t body_limit = 1024 * 1024;
  // Whether handlers that never wait on the disk run on the I/O thread (Waits::kNo). Only true
  // when the store's reads are local: a read over the network to a database can take as long as
  // a write, and would stall every connection on that thread meanwhile.
  bool inline_quick_handlers = true;
};

// Matches a request to what answers it; runs on an I/O thread, so it only looks, never works.
using RequestHandler = std::function<RoutedRequest(const ApiRequest&)>;

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
