#include "api/mcp/mcp_session.h"

#include <exception>

#include "api/mcp/protocol_version.h"
#include "core/credential.h"
#include "core/did_you_mean.h"
#include "core/json_document.h"
#include "core/log.h"

namespace coffer::mcp {
namespace {

using nlohmann::json;

constexpr std::string_view kServerName = "coffer";
constexpr std::string_view kServerTitle = "Coffer";
constexpr std::string_view kServerVersion = "0.1.0";

// Names and methods from a client are echoed in messages; a bound keeps a hostile one short.
std::string Clip(std::string_view text) { return std::string(text.substr(0, 64)); }

json Reply(const json& id, json result) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}};
}

// JSON-RPC ids are strings or numbers; MCP also forbids null.
bool IsValidId(const json& id) { return id.is_string() || id.is_number(); }

std::string Instructions(const VaultTools& tools) {
  return "Coffer is the user's credential vault (" + tools.Names() +
         "). Use it instead of asking the user to paste secrets into the chat: list to find a name, "
         "get to read a credential, totp for 2FA codes. Never repeat a secret value back in your reply "
         "unless the user explicitly asks for it. Every call is recorded in Coffer's audit trail.";
}

}  // namespace

json RpcError(const json& id, int code, std::string_view message) {
  return {{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}};
}

std::string SerializeMessage(const json& message) {
  return message.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::string> McpSession::HandleText(std::string_view text, McpVaultBackend& backend) {
  auto message = ParseUntrustedJson(text);
  if (!message.ok()) {
    return SerializeMessage(RpcError(nullptr, rpc_error::kParseError,
                                     "parse error: the message " + message.error().message +
                                         "; send one JSON-RPC object per message"));
  }
  std::optional<json> reply = Handle(*message, backend);
  WipeJson(*message);
  if (!reply) return std::nullopt;
  std::string text_reply = SerializeMessage(*reply);
  WipeJson(*reply);
  return text_reply;
}

std::optional<json> McpSession::Handle(const json& message, McpVaultBackend& backend) {
  if (!message.is_array()) return HandleOne(message, backend);
  if (!initialized()) {
    return RpcError(nullptr, rpc_error::kInvalidRequest,
                    "a batch cannot come before initialize: send the initialize request on its own first");
  }
  if (!AllowsBatches(protocol_version_)) {
    return RpcError(nullptr, rpc_error::kInvalidRequest,
                    "JSON-RPC batches are not part of MCP revision " + protocol_version_ +
                        ": send one message at a time");
  }
  if (message.empty()) return RpcError(nullptr, rpc_error::kInvalidRequest, "the batch is empty");
  json replies = json::array();
  for (const json& item : message) {
    if (auto reply = HandleOne(item, backend)) replies.push_back(std::move(*reply));
  }
  if (replies.empty()) return std::nullopt;
  return replies;
}

std::optional<json> McpSession::HandleOne(const json& message, McpVaultBackend& backend) {
  if (!message.is_object()) {
    return RpcError(nullptr, rpc_error::kInvalidRequest,
                    "a JSON-RPC message must be an object with \"jsonrpc\": \"2.0\" and a method");
  }
  const bool has_id = message.contains("id");
  if (has_id && !IsValidId(message["id"])) {
    return RpcError(nullptr, rpc_error::kInvalidRequest, "id must be a string or a number");
  }
  const json id = has_id ? message["id"] : json(nullptr);
  if (!message.contains("jsonrpc") || message["jsonrpc"] != "2.0") {
    return RpcError(id, rpc_error::kInvalidRequest, "jsonrpc must be \"2.0\"");
  }
  if (!message.contains("method")) {
    // A response to a request of ours. This server sends none, so there is nothing to match.
    if (has_id && (message.contains("result") || message.contains("error"))) return std::nullopt;
    return RpcError(id, rpc_error::kInvalidRequest, "the message has no method");
  }
  if (!message["method"].is_string()) return RpcError(id, rpc_error::kInvalidRequest, "method must be a string");
  const std::string method = message["method"].get<std::string>();
  // A reference, not a copy: params of a vault_store call hold a secret that must not linger.
  static const json kNoParams = json::object();
  const json& params =
      message.contains("params") && !message["params"].is_null() ? message["params"] : kNoParams;

  if (!has_id) {
    // Notifications get no reply, not even an error. notifications/initialized needs no action:
    // requests are served as soon as initialize has been answered. Others (cancelled,
    // roots/list_changed) concern features this server does not use.
    return std::nullopt;
  }
  if (!params.is_object()) {
    return RpcError(id, rpc_error::kInvalidParams, "params must be an object");
  }
  try {
    return Dispatch(id, method, params, backend);
  } catch (const std::exception&) {
    // nlohmann's messages can quote values; nothing from the exception goes to the client.
    // Only known methods reach Dispatch's work, so the method name is one of ours.
    LogError("mcp: " + Clip(method) + " failed with an internal exception");
    return RpcError(id, rpc_error::kInternalError, "internal error while handling " + Clip(method));
  }
}

json McpSession::Dispatch(const json& id, const std::string& method, const json& params,
                          McpVaultBackend& backend) {
  if (method == "initialize") return Initialize(id, params);
  if (method == "ping") return Reply(id, json::object());
  if (!initialized()) {
    return RpcError(id, rpc_error::kInvalidRequest,
                    "the session is not initialized: send an initialize request first");
  }
  if (method == "tools/list") return ListTools(id, backend);
  if (method == "tools/call") return CallTool(id, params, backend);
  return RpcError(id, rpc_error::kMethodNotFound,
                  "method not found" +
                      DidYouMean(method, {"initialize", "ping", "tools/list", "tools/call"}) +
                      ": this server offers tools only (initialize, ping, tools/list, tools/call)");
}

json McpSession::Initialize(const json& id, const json& params) {
  if (initialized()) {
    return RpcError(id, rpc_error::kInvalidRequest,
                    "this session is already initialized (protocol " + protocol_version_ +
                        "): open a new connection to start over");
  }
  if (!params.contains("protocolVersion") || !params["protocolVersion"].is_string()) {
    return RpcError(id, rpc_error::kInvalidParams,
                    "initialize needs params.protocolVersion, e.g. \"" + std::string(kLatestProtocolVersion) + "\"");
  }
  // The client's revision when we speak it, else our newest: the client then decides whether it
  // can go on (the lifecycle's version negotiation).
  const std::string requested = params["protocolVersion"].get<std::string>();
  protocol_version_ = IsSupportedProtocolVersion(requested) ? requested : std::string(kLatestProtocolVersion);
  json server_info = {{"name", kServerName}, {"version", kServerVersion}};
  if (HasStructuredContent(protocol_version_)) server_info["title"] = kServerTitle;
  return Reply(id, {{"protocolVersion", protocol_version_},
                    {"capabilities", {{"tools", {{"listChanged", false}}}}},
                    {"serverInfo", std::move(server_info)},
                    {"instructions", Instructions(tools_)}});
}

json McpSession::ListTools(const json& id, McpVaultBackend& backend) {
  auto caller = backend.Caller();
  if (!caller.ok()) {
    return RpcError(id, rpc_error::kInternalError, "cannot list tools: " + caller.error().message);
  }
  // Five tools fit one page; a cursor from the client is ignored since none was ever issued.
  return Reply(id, {{"tools", tools_.List(*caller, protocol_version_)}});
}

json McpSession::CallTool(const json& id, const json& params, McpVaultBackend& backend) {
  if (!params.contains("name") || !params["name"].is_string()) {
    return RpcError(id, rpc_error::kInvalidParams, "tools/call needs params.name, the tool's name");
  }
  const std::string name = params["name"].get<std::string>();
  if (!tools_.Knows(name)) {
    return RpcError(id, rpc_error::kInvalidParams,
                    "unknown tool: this server has " + tools_.Names());
  }
  const json no_arguments = json::object();
  const json& arguments = params.contains("arguments") && !params["arguments"].is_null() ? params["arguments"]
                                                                                         : no_arguments;
  if (!arguments.is_object()) {
    return RpcError(id, rpc_error::kInvalidParams, "tools/call params.arguments must be an object");
  }
  return Reply(id, tools_.Call(backend, name, arguments, protocol_version_));
}

}  // namespace coffer::mcp
