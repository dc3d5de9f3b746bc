// What every client subcommand shares: the flags that pick the server and token, sending one
// request, and turning a failed reply into a message on stderr and an exit code.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/api_client.h"
#include "core/credential.h"  // WipeJson, for replies that carry secrets
#include "core/result.h"

namespace coffer::cli {

struct CommonFlags {
  std::string addr;
  std::string token;
  bool json = false;
};

// --addr, --token and --json.
void AddCommonFlags(CLI::App* command, CommonFlags& flags);

ApiClient ClientFor(const CommonFlags& flags);

// Sends a request and turns failures into an exit code; on success fills `reply` and returns 0.
// `subject` (a credential name) prefixes error messages, which never repeat names themselves.
// With --json the server's error body is printed too.
int Call(ApiClient& client, const CommonFlags& flags, const std::string& method, const std::string& path,
         const std::string& subject, const std::optional<std::string>& body, ApiReply& reply,
         const std::string& content_type = "application/json");

// As above, on a fresh client; `build_path` may use the client to escape names.
int Call(const CommonFlags& flags, const std::string& method, const std::string& subject,
         const std::optional<std::string>& body, ApiReply& reply,
         const std::function<std::string(ApiClient&)>& build_path);

// The string at `key`, or "" when absent or not a string.
std::string Str(const nlohmann::json& j, const char* key);

// A JSON array's items separated by commas (strings as they are, others as JSON); "" for a non-array.
std::string Join(const nlohmann::json& items);

// Reads a whole file, or stdin for "-". Fails naming the file.
Result<std::string> ReadInput(const std::string& path);

}  // namespace coffer::cli
