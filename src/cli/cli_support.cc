#include "cli/cli_support.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/exit_codes.h"

namespace coffer::cli {

void AddCommonFlags(CLI::App* command, CommonFlags& flags) {
  command->add_option("--addr", flags.addr, "Server address (env COFFER_ADDR, default http://127.0.0.1:8720)");
  command->add_option("--token", flags.token, "Bearer token (env COFFER_TOKEN)");
  command->add_flag("--json", flags.json, "Print the server's JSON, for scripts");
}

ApiClient ClientFor(const CommonFlags& flags) { return ApiClient(ResolveClientConfig(flags.addr, flags.token)); }

int Call(ApiClient& client, const CommonFlags& flags, const std::string& method, const std::string& path,
         const std::string& subject, const std::optional<std::string>& body, ApiReply& reply,
         const std::string& content_type) {
  auto sent = client.Send(method, path, body, content_type);
  if (!sent.ok()) return Fail(kExitUnavailable, sent.error().message);
  reply = std::move(sent).value();
  if (reply.status < 200 || reply.status >= 300) {
    if (flags.json && !reply.body.is_null()) std::cout << reply.body.dump(2) << "\n";
    return Fail(ExitCodeForStatus(reply.status), (subject.empty() ? "" : subject + ": ") + ErrorMessageOf(reply));
  }
  return kExitOk;
}

int Call(const CommonFlags& flags, const std::string& method, const std::string& subject,
         const std::optional<std::string>& body, ApiReply& reply,
         const std::function<std::string(ApiClient&)>& build_path) {
  ApiClient client = ClientFor(flags);
  return Call(client, flags, method, build_path(client), subject, body, reply);
}

std::string Str(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

std::string Join(const nlohmann::json& items) {
  std::string out;
  if (!items.is_array()) return out;
  for (const auto& item : items) {
    out += (out.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
  }
  return out;
}

Result<std::string> ReadInput(const std::string& path) {
  if (path == "-") return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot read " + path + ": " + std::strerror(errno));
  }
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace coffer::cli
