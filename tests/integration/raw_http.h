// HTTP with nothing in between: exact bytes over a loopback TCP socket, for the tests that must
// see what a client library would normalise or hide (a path of "..", two Transfer-Encoding
// lines, response headers, a connection the server should close), and request bodies given as
// text (a 50,000-deep JSON document cannot be built as nlohmann::json in this process: its
// recursive dump would overflow the test's own stack).
//
// Everything here connects to 127.0.0.1 only.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "coffer_process.h"

namespace coffer::testing {

// One HTTP response as it came off the wire.
struct RawResponse {
  int status = 0;  // 0: no status line
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  std::string body;

  // The first header of that (lower-case) name, or "" when there is none.
  std::string Header(const std::string& name) const;
  bool HasHeader(const std::string& name) const;
  // The body parsed as JSON; null when it is not JSON.
  nlohmann::json Json() const;
};

// Everything one connection carried back.
struct RawExchange {
  bool connected = false;
  bool closed = false;  // the server closed the connection before the timeout
  std::string bytes;    // all of it, unparsed
  std::vector<RawResponse> responses;

  // How many lines of what came back start an HTTP response ("HTTP/1.1 ").
  size_t StatusLines() const;
};

// The port of a server's "http://127.0.0.1:PORT" url.
int PortOf(const CofferServer& server);

// Writes `request` byte for byte to 127.0.0.1:`port`, then reads until the server closes the
// connection or `timeout` passes, whichever comes first.
RawExchange SendRaw(int port, const std::string& request,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));

// One request with Host and Connection: close added, and Content-Length when `body` is given.
// `target` goes on the request line unchanged: no client normalises ".." or %2E.
RawResponse RawRequest(int port, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers = {},
                       const std::optional<std::string>& body = std::nullopt);

// "Authorization: Bearer <token>" as a header pair.
std::pair<std::string, std::string> Bearer(const std::string& token);

// One request through the server's own client with `body` sent as given; a request that gets no
// HTTP answer at all (the server crashed) fails the test and comes back with status 0.
cli::ApiReply SendText(const CofferServer& server, const std::string& token, const std::string& method,
                       const std::string& path, const std::optional<std::string>& body);

// `depth` nested arrays around `inner`: NestedArrays(3) is "[[[]]]".
std::string NestedArrays(size_t depth, const std::string& inner = "");

// Whether GET /healthz answers 200: the server survived whatever came before.
bool Healthy(const CofferServer& server);

}  // namespace coffer::testing
