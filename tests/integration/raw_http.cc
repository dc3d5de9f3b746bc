#include "raw_http.h"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <stdexcept>

namespace coffer::testing {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Trim(const std::string& text) {
  size_t start = text.find_first_not_of(" \t");
  if (start == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(start, end - start + 1);
}

// Splits what came back into responses: status line, headers, then Content-Length bytes of body
// (or chunks, or the rest). Stops at the first thing that does not parse.
std::vector<RawResponse> ParseResponses(const std::string& bytes) {
  std::vector<RawResponse> out;
  size_t at = 0;
  while (at < bytes.size()) {
    size_t head_end = bytes.find("\r\n\r\n", at);
    if (head_end == std::string::npos || bytes.compare(at, 5, "HTTP/") != 0) break;
    RawResponse response;
    size_t line_end = bytes.find("\r\n", at);
    std::string status_line = bytes.substr(at, line_end - at);
    size_t space = status_line.find(' ');
    if (space != std::string::npos) response.status = std::atoi(status_line.c_str() + space + 1);
    for (size_t line = line_end + 2; line < head_end;) {
      size_t next = bytes.find("\r\n", line);
      std::string header = bytes.substr(line, next - line);
      size_t colon = header.find(':');
      if (colon != std::string::npos) {
        response.headers.emplace_back(Lower(Trim(header.substr(0, colon))), Trim(header.substr(colon + 1)));
      }
      line = next + 2;
    }
    at = head_end + 4;
    if (response.HasHeader("content-length")) {
      size_t length = std::stoul(response.Header("content-length"));
      response.body = bytes.substr(at, length);
      at += std::min(length, bytes.size() - at);
    } else if (Lower(response.Header("transfer-encoding")).find("chunked") != std::string::npos) {
      while (at < bytes.size()) {
        size_t size_end = bytes.find("\r\n", at);
        if (size_end == std::string::npos) break;
        size_t size = std::strtoul(bytes.substr(at, size_end - at).c_str(), nullptr, 16);
        at = size_end + 2;
        if (size == 0) {
          at = std::min(bytes.size(), at + 2);
          break;
        }
        response.body += bytes.substr(at, size);
        at += size + 2;
      }
    } else {
      response.body = bytes.substr(at);
      at = bytes.size();
    }
    out.push_back(std::move(response));
  }
  return out;
}

}  // namespace

std::string RawResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return value;
  }
  return "";
}

bool RawResponse::HasHeader(const std::string& name) const {
  return std::any_of(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; });
}

nlohmann::json RawResponse::Json() const {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

size_t RawExchange::StatusLines() const {
  size_t count = 0;
  for (size_t at = 0; (at = bytes.find("HTTP/1.1 ", at)) != std::string::npos; at += 9) {
    if (at == 0 || bytes[at - 1] == '\n') ++count;
  }
  return count;
}

int PortOf(const CofferServer& server) {
  const std::string& url = server.url();
  size_t colon = url.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("no port in " + url);
  return std::stoi(url.substr(colon + 1));
}

RawExchange SendRaw(int port, const std::string& request, std::chrono::milliseconds timeout) {
  RawExchange exchange;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return exchange;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1, never anything else
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return exchange;
  }
  exchange.connected = true;
  for (size_t sent = 0; sent < request.size();) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading: what it answered is still worth reading
    sent += static_cast<size_t>(n);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd ready{fd, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[8192];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      exchange.closed = true;  // EOF, or a reset: either way the server ended the connection
      break;
    }
    exchange.bytes.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  exchange.responses = ParseResponses(exchange.bytes);
  return exchange;
}

RawResponse RawRequest(int port, const std::string& method, const std::string& target,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       const std::optional<std::string>& body) {
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  bool has_host = false;
  for (const auto& [name, value] : headers) has_host = has_host || Lower(name) == "host";
  if (has_host) request = method + " " + target + " HTTP/1.1\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (body) request += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  request += "Connection: close\r\n\r\n";
  if (body) request += *body;
  RawExchange exchange = SendRaw(port, request);
  EXPECT_TRUE(exchange.connected) << method << " " << target << ": cannot connect (is the server down?)";
  EXPECT_FALSE(exchange.responses.empty()) << method << " " << target << ": no HTTP answer";
  return exchange.responses.empty() ? RawResponse{} : exchange.responses.front();
}

std::pair<std::string, std::string> Bearer(const std::string& token) { return {"Authorization", "Bearer " + token}; }

cli::ApiReply SendText(const CofferServer& server, const std::string& token, const std::string& method,
                       const std::string& path, const std::optional<std::string>& body) {
  auto reply = server.Client(token).Send(method, path, body);
  EXPECT_TRUE(reply.ok()) << method << " " << path << ": no answer (did the server crash?)";
  if (!reply.ok()) return cli::ApiReply{};
  return std::move(reply).value();  // moved, not copied: copying a deep document recurses
}

std::string NestedArrays(size_t depth, const std::string& inner) {
  return std::string(depth, '[') + inner + std::string(depth, ']');
}

bool Healthy(const CofferServer& server) {
  auto reply = server.Client("").Send("GET", "/healthz");
  return reply.ok() && reply->status == 200;
}

}  // namespace coffer::testing
