#include "api/mcp/mcp_http_route.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/http/authentication.h"
#include "api/http/json_io.h"
#include "api/http/origin_policy.h"
#include "api/mcp/in_process_backend.h"
#include "api/mcp/mcp_session.h"
#include "api/mcp/protocol_version.h"
#include "core/json_document.h"
#include "crypto/random.h"

namespace coffer::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// Server-defined JSON-RPC codes for failures that happen before a message reaches a session.
constexpr int kRpcUnauthorized = -32001;
constexpr int kRpcForbidden = -32003;
constexpr int kRpcSessionNotFound = -32004;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The transport's own failures: an HTTP status with a JSON-RPC error that has no id, as the
// spec allows, so an MCP client can show the message.
ApiResponse RpcHttpError(int status, int code, const std::string& message) {
  ApiResponse response;
  response.status = status;
  response.body = mcp::SerializeMessage(mcp::RpcError(nullptr, code, message));
  response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

bool IsJsonContentType(const std::string& content_type) {
  return Lower(content_type).rfind("application/json", 0) == 0;
}

// The spec has clients accept both JSON and SSE; this server answers JSON only, so it insists
// only that JSON is acceptable (an absent Accept header accepts anything).
bool AcceptsJson(const ApiRequest& request) {
  auto it = request.headers.find("accept");
  if (it == request.headers.end()) return true;
  std::string accept = Lower(it->second);
  return accept.find("application/json") != std::string::npos || accept.find("*/*") != std::string::npos ||
         accept.find("application/*") != std::string::npos;
}

struct HttpSession {
  HttpSession(std::string token, mcp::ToolNaming naming) : token_id(std::move(token)), engine(naming) {}
  const std::string token_id;  // only this token may use the session
  std::mutex mutex;            // one message at a time, as McpSession requires
  mcp::McpSession engine;
  Clock::time_point last_used = Clock::now();  // guarded by the registry's mutex
};

class SessionRegistry {
 public:
  explicit SessionRegistry(McpHttpOptions options) : options_(options) {}

  // Another token's session is reported as absent, so ids cannot be probed across tokens.
  std::shared_ptr<HttpSession> Find(const std::string& id, const std::string& token_id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->token_id != token_id) return nullptr;
    if (Clock::now() - it->second->last_used > options_.idle_timeout) {
      sessions_.erase(it);
      return nullptr;
    }
    it->second->last_used = Clock::now();
    return it->second;
  }

  std::string Add(std::shared_ptr<HttpSession> session) {
    std::string id = crypto::RandomBase62(32);  // 190 bits: unguessable, visible ASCII as required
    std::lock_guard lock(mutex_);
    Prune();
    sessions_.emplace(id, std::move(session));
    return id;
  }

  bool Remove(const std::string& id, const std::string& token_id) {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second->token_id != token_id) return false;
    sessions_.erase(it);
    return true;
  }

 private:
  // Drops idle sessions, then the least recently used while over the cap. Linear, but it runs
  // only when a session is created.
  void Prune() {
    const auto now = Clock::now();
    std::erase_if(sessions_, [&](const auto& entry) { return now - entry.second->last_used > options_.idle_timeout; });
    while (!sessions_.empty() && sessions_.size() >= options_.max_sessions) {
      auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](const auto& a, const auto& b) {
        return a.second->last_used < b.second->last_used;
      });
      sessions_.erase(oldest);
    }
  }

  McpHttpOptions options_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::shared_ptr<HttpSession>> sessions_;
};

class McpEndpoint {
 public:
  McpEndpoint(vault::Vault& vault, McpHttpOptions options)
      : vault_(vault), origins_(options.served_hosts), sessions_(options) {}

  ApiResponse Post(const ApiRequest& request) {
    if (!origins_.Allows(request)) return ForbiddenOrigin();
    auto principal = Authenticate(vault_, request);
    if (!principal.ok()) return Unauthorized(principal.error());
    if (!IsJsonContentType(request.Header("content-type"))) {
      return RpcHttpError(415, mcp::rpc_error::kInvalidRequest,
                          "POST /mcp takes Content-Type: application/json with one JSON-RPC message");
    }
    if (!AcceptsJson(request)) {
      return RpcHttpError(406, mcp::rpc_error::kInvalidRequest,
                          "this server answers with application/json: include it in the Accept header");
    }
    auto message = ParseUntrustedJson(request.body);
    if (!message.ok()) {
      return RpcHttpError(400, mcp::rpc_error::kParseError, "parse error: the body " + message.error().message);
    }
    ApiResponse response = Route(request, *principal, *message);
    WipeJson(*message);  // a vault_store call carries a secret
    return response;
  }

  ApiResponse Delete(const ApiRequest& request) {
    if (!origins_.Allows(request)) return ForbiddenOrigin();
    auto principal = Authenticate(vault_, request);
    if (!principal.ok()) return Unauthorized(principal.error());
    std::string id = request.Header("mcp-session-id");
    if (id.empty()) {
      return RpcHttpError(400, mcp::rpc_error::kInvalidRequest,
                          "DELETE /mcp ends a session: send its Mcp-Session-Id header");
    }
    if (!sessions_.Remove(id, principal->token_id)) return SessionNotFound();
    ApiResponse response;
    response.status = 204;
    return response;
  }

  static ApiResponse Get() {
    ApiResponse response = RpcHttpError(
        405, mcp::rpc_error::kInvalidRequest,
        "this server offers no server-to-client SSE stream on GET /mcp: POST JSON-RPC messages instead");
    response.headers.emplace_back("Allow", "POST, DELETE");
    return response;
  }

 private:
  ApiResponse Route(const ApiRequest& request, const Principal& principal, const json& message) {
    mcp::InProcessBackend backend(vault_, principal);
    const std::string session_id = request.Header("mcp-session-id");
    if (session_id.empty()) {
      const bool is_initialize = message.is_object() && message.contains("method") && message["method"] == "initialize";
      if (!is_initialize) {
        return RpcHttpError(400, mcp::rpc_error::kInvalidRequest,
                            "missing Mcp-Session-Id header: send initialize first, then echo the Mcp-Session-Id "
                            "header its response carries on every later request");
      }
      auto naming = NamingOf(request);
      if (!naming.ok()) return RpcHttpError(400, mcp::rpc_error::kInvalidRequest, naming.error().message);
      auto session = std::make_shared<HttpSession>(principal.token_id, *naming);
      std::optional<json> reply = session->engine.Handle(message, backend);
      ApiResponse response = Reply(reply);
      // Only a successful initialize opens a session; a refused one leaves nothing behind.
      if (session->engine.initialized()) response.headers.emplace_back("Mcp-Session-Id", sessions_.Add(session));
      return response;
    }

    std::shared_ptr<HttpSession> session = sessions_.Find(session_id, principal.token_id);
    if (!session) return SessionNotFound();
    std::lock_guard lock(session->mutex);
    const std::string version = request.Header("mcp-protocol-version");
    if (!version.empty() && session->engine.initialized()) {
      if (!mcp::IsSupportedProtocolVersion(version)) {
        return RpcHttpError(400, mcp::rpc_error::kInvalidRequest,
                            "unsupported MCP-Protocol-Version: this server speaks " +
                                mcp::SupportedProtocolVersionList());
      }
      if (version != session->engine.protocol_version()) {
        return RpcHttpError(400, mcp::rpc_error::kInvalidRequest,
                            "MCP-Protocol-Version " + version + " differs from the version this session negotiated (" +
                                session->engine.protocol_version() + ")");
      }
    }
    return Reply(session->engine.Handle(message, backend));
  }

  // ?toolNames=dotted on the initialize POST picks the seeds' vault.store spelling, like
  // `coffer mcp --tool-names dotted` does on stdio.
  static Result<mcp::ToolNaming> NamingOf(const ApiRequest& request) {
    auto it = request.query.find("toolNames");
    if (it == request.query.end() || it->second == "underscore") return mcp::ToolNaming::kUnderscore;
    if (it->second == "dotted") return mcp::ToolNaming::kDotted;
    return MakeError(ErrorCode::kInvalidArgument, "toolNames must be underscore or dotted");
  }

  // 202 for notifications and responses, else the reply. The body may hold a secret, and the
  // HTTP server wipes it once written.
  static ApiResponse Reply(std::optional<json>& reply) {
    ApiResponse response;
    response.headers.emplace_back("Cache-Control", "no-store");
    if (!reply) {
      response.status = 202;
      return response;
    }
    response.status = 200;
    response.body = mcp::SerializeMessage(*reply);
    WipeJson(*reply);
    return response;
  }
  static ApiResponse Reply(std::optional<json>&& reply) { return Reply(reply); }

  static ApiResponse ForbiddenOrigin() {
    return RpcHttpError(403, kRpcForbidden,
                        "this Origin may not use /mcp: browser pages are allowed only from loopback or from a "
                        "host this server serves (coffer serve --public-host)");
  }

  static ApiResponse Unauthorized(const Error& error) {
    ApiResponse response = RpcHttpError(HttpStatusFor(error.code),
                                        error.code == ErrorCode::kUnauthenticated ? kRpcUnauthorized
                                                                                  : mcp::rpc_error::kInternalError,
                                        error.message);
    if (error.code == ErrorCode::kUnauthenticated) {
      response.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"coffer\"");
    }
    return response;
  }

  static ApiResponse SessionNotFound() {
    return RpcHttpError(404, kRpcSessionNotFound,
                        "no such MCP session (it ended, expired, or belongs to another token): send initialize "
                        "again without an Mcp-Session-Id header");
  }

  vault::Vault& vault_;
  OriginPolicy origins_;
  SessionRegistry sessions_;
};

}  // namespace

void AddMcpRoutes(Router& router, vault::Vault& vault, McpHttpOptions options) {
  // Shared by the three handlers and kept alive by them for as long as the router lives.
  auto endpoint = std::make_shared<McpEndpoint>(vault, options);
  router.Add("POST", "/mcp", [endpoint](const ApiRequest& r, const PathParams&) { return endpoint->Post(r); });
  router.Add("GET", "/mcp", [](const ApiRequest&, const PathParams&) { return McpEndpoint::Get(); });
  router.Add("DELETE", "/mcp", [endpoint](const ApiRequest& r, const PathParams&) { return endpoint->Delete(r); });
}

}  // namespace coffer::api
