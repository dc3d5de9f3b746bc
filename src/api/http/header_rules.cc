#include "api/http/header_rules.h"

#include <array>
#include <cctype>
#include <string_view>

namespace coffer::api {
namespace {

namespace http = boost::beast::http;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The last coding named across every Transfer-Encoding line, lower-case.
std::string FinalTransferCoding(const http::fields& headers) {
  std::string last;
  for (const auto& field : headers) {
    if (field.name() != http::field::transfer_encoding) continue;
    std::string_view value(field.value().data(), field.value().size());
    size_t comma;
    while ((comma = value.find(',')) != std::string_view::npos) {
      if (!Trim(value.substr(0, comma)).empty()) last = Lower(Trim(value.substr(0, comma)));
      value.remove_prefix(comma + 1);
    }
    last = Lower(Trim(value));
  }
  return last;
}

constexpr std::array<std::pair<http::field, std::string_view>, 4> kSingleValued = {{
    {http::field::authorization, "Authorization"},
    {http::field::host, "Host"},
    {http::field::content_type, "Content-Type"},
    {http::field::origin, "Origin"},
}};
constexpr std::array<std::string_view, 2> kSingleValuedByName = {"mcp-session-id", "mcp-protocol-version"};

}  // namespace

std::optional<std::string> HeaderProblem(const http::fields& headers) {
  if (headers.count(http::field::transfer_encoding) > 0) {
    if (headers.count(http::field::content_length) > 0) {
      return "the request has both Content-Length and Transfer-Encoding: send one of them";
    }
    if (FinalTransferCoding(headers) != "chunked") {
      return "the request's Transfer-Encoding does not end in chunked: send a Content-Length or "
             "Transfer-Encoding: chunked";
    }
  }
  for (const auto& [field, name] : kSingleValued) {
    if (headers.count(field) > 1) {
      return "the request has more than one " + std::string(name) + " header: send it once";
    }
  }
  for (std::string_view name : kSingleValuedByName) {
    if (headers.count(boost::beast::string_view(name.data(), name.size())) > 1) {
      return "the request has more than one " + std::string(name) + " header: send it once";
    }
  }
  return std::nullopt;
}

}  // namespace coffer::api
