#include "api/http/query_params.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "api/http/json_io.h"
#include "core/did_you_mean.h"

namespace coffer::api {

Error UnknownName(std::string_view what, const std::string& key, const std::set<std::string>& allowed) {
  std::string list;
  std::vector<std::string_view> known;
  for (const auto& a : allowed) {
    list += (list.empty() ? "" : ", ") + a;
    known.push_back(a);
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown " + std::string(what) + DidYouMean(key, known) +
                                                    (list.empty() ? ": this endpoint takes none" : ": allowed are " + list));
}

Status CheckQuery(const ApiRequest& request, const std::set<std::string>& allowed) {
  for (const auto& [key, value] : request.query) {
    if (allowed.count(key) == 0) return UnknownName("query parameter", key, allowed);
  }
  return Status::Ok();
}

Result<std::optional<int64_t>> ParsePositiveIntParam(const ApiRequest& request, const std::string& key,
                                                     int64_t max) {
  auto it = request.query.find(key);
  if (it == request.query.end()) return std::optional<int64_t>();
  int64_t value = 0;
  const std::string& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1 || value > max) {
    return MakeError(ErrorCode::kInvalidArgument, key + " must be a positive integer");
  }
  return std::optional<int64_t>(value);
}

Result<std::optional<UnixMicros>> ParseTimeParam(const ApiRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  if (it == request.query.end()) return std::optional<UnixMicros>();
  auto t = ParseTimestamp(key, it->second);
  if (!t.ok()) return t.error();
  return std::optional<UnixMicros>(*t);
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
