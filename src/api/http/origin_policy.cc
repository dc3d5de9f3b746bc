#include "api/http/origin_policy.h"

#include <cctype>

#include <boost/asio/ip/address.hpp>

namespace coffer::api {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

}  // namespace

std::optional<std::string> AuthorityHost(std::string_view authority) {
  std::string_view host;
  std::string_view rest;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    rest = authority.substr(close + 1);
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(std::string(host), ec);
    if (ec) return std::nullopt;
  } else {
    size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    for (char c : host) {
      if (!IsHostChar(c)) return std::nullopt;
    }
  }
  if (host.empty()) return std::nullopt;
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() == 1 || rest.size() > 6) return std::nullopt;
    for (char c : rest.substr(1)) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    }
  }
  return Lower(host);
}

std::optional<std::string> OriginHost(std::string_view origin) {
  size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  std::string scheme = Lower(origin.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  return AuthorityHost(origin.substr(scheme_end + 3));
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(std::string(host), ec);
  return !ec && address.is_loopback();
}

OriginPolicy::OriginPolicy(std::set<std::string> served_hosts) {
  for (const auto& host : served_hosts) served_hosts_.insert(Lower(host));
}

bool OriginPolicy::Allows(const ApiRequest& request) const {
  auto it = request.headers.find("origin");
  if (it == request.headers.end()) return true;
  auto origin = OriginHost(it->second);
  if (!origin) return false;
  if (IsLoopbackHost(*origin)) return true;
  auto host = AuthorityHost(request.Header("host"));
  return host && *host == *origin && served_hosts_.count(*host) > 0;
}

}  // namespace coffer::api
