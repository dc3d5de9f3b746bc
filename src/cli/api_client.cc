#include "cli/api_client.h"

#include <curl/curl.h>

#include <cstdlib>
#include <fstream>
#include <utility>

#include "core/json_document.h"
#include "core/secure_wipe.h"

namespace coffer::cli {
namespace {

size_t AppendBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

std::string ReadTokenFile(const std::string& path) {
  std::ifstream in(path);
  std::string token;
  std::getline(in, token);
  return token;
}

}  // namespace

ClientConfig ResolveClientConfig(const std::string& addr_flag, const std::string& token_flag) {
  ClientConfig config;
  config.address = !addr_flag.empty() ? addr_flag : Env("COFFER_ADDR");
  if (config.address.empty()) config.address = "http://127.0.0.1:8720";
  while (!config.address.empty() && config.address.back() == '/') config.address.pop_back();
  config.token = !token_flag.empty() ? token_flag : Env("COFFER_TOKEN");
  if (config.token.empty()) {
    std::string data_dir = Env("COFFER_DATA_DIR");
    config.token = ReadTokenFile((data_dir.empty() ? "./coffer-data" : data_dir) + "/owner.token");
  }
  config.ca_file = Env("COFFER_CA_FILE");
  return config;
}

ApiClient::ApiClient(ClientConfig config) : config_(std::move(config)), curl_(curl_easy_init()) {}

ApiClient::~ApiClient() {
  SecureWipe(config_.token);
  curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string ApiClient::Escape(const std::string& text) const {
  char* escaped = curl_easy_escape(static_cast<CURL*>(curl_), text.data(), static_cast<int>(text.size()));
  std::string out = escaped ? escaped : "";
  curl_free(escaped);
  return out;
}

Result<ApiReply> ApiClient::Send(const std::string& method, const std::string& path,
                                 const std::optional<std::string>& body, const std::string& content_type) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return MakeError(ErrorCode::kInternal, "cannot initialise libcurl");
  curl_easy_reset(curl);
  std::string url = config_.address + path;
  std::string response;
  curl_slist* headers = nullptr;
  std::string auth = "Authorization: Bearer " + config_.token;
  if (!config_.token.empty()) headers = curl_slist_append(headers, auth.c_str());
  SecureWipe(auth);
  headers = curl_slist_append(headers, "Accept: application/json");
  const std::string content_type_header = "Content-Type: " + content_type;
  if (body) headers = curl_slist_append(headers, content_type_header.c_str());
  headers = curl_slist_append(headers, "User-Agent: coffer-cli/0.1");
  // libcurl would hold a large body back waiting for "100 Continue", which the server never sends.
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  // Paths go out as written: a name "." or ".." must reach the server (which refuses it), not be
  // squashed by dot-segment removal into another URL (/v0/vault/. would become the list).
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  if (!config_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  }
  CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);  // libcurl copies header strings; the token copy there is freed here
  if (rc != CURLE_OK) {
    return MakeError(ErrorCode::kUnavailable, "cannot reach the Coffer server at " + config_.address + ": " +
                                                  curl_easy_strerror(rc) +
                                                  " (is `coffer serve` running? set COFFER_ADDR or --addr)");
  }
  ApiReply reply;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  // A reply nests a stored document (at most kMaxJsonDepth deep) a few levels down.
  auto parsed = ParseUntrustedJson(response, {.max_depth = 2 * kMaxJsonDepth});
  if (parsed.ok()) {
    reply.body = std::move(*parsed);
  } else {
    reply.body = nullptr;
    reply.raw_body = std::move(response);  // a copy would be one more holder of the body left unwiped
  }
  SecureWipe(response);
  return reply;
}

std::string ErrorMessageOf(const ApiReply& reply) {
  if (reply.body.is_object() && reply.body.contains("error") && reply.body["error"].is_object()) {
    const auto& error = reply.body["error"];
    if (error.contains("message") && error["message"].is_string()) return error["message"].get<std::string>();
  }
  return "the server answered HTTP " + std::to_string(reply.status);
}

}  // namespace coffer::cli
