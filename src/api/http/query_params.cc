#include "api/http/query_params.h"

#include <algorithm>
#include <cctype>

#include "api/http/json_io.h"

namespace coffer::api {

Status CheckQuery(const ApiRequest& request, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : request.query) {
    if (allowed.count(key) != 0) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    return MakeError(ErrorCode::kInvalidArgument,
                     "unknown query parameter " + EchoIfHarmless(key) +
                         (list.empty() ? ": this endpoint takes none" : ": allowed are " + list));
  }
  return Status::Ok();
}

Result<bool> ParseFlagParam(const ApiRequest& request, const std::string& key, bool default_value) {
  auto it = request.query.find(key);
  if (it == request.query.end()) return default_value;
  std::string value = it->second;
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  return MakeError(ErrorCode::kInvalidArgument, key + " must be true or false");
}

std::string StringParam(const ApiRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  return it == request.query.end() ? std::string() : it->second;
}

}  // namespace coffer::api
