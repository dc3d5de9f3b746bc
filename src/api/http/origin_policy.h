// Which browser pages may call a route: the defence against DNS rebinding and cross-site pages.
// A request without an Origin header (curl, SDKs, agents: every non-browser client) passes. A
// browser's Origin passes when its host is loopback (127.0.0.0/8, ::1, `localhost`), or when it
// is the very host the request was sent to (Host) and that host is one this server is configured
// to serve. A rebinding page (evil.example resolving to 127.0.0.1) sends Origin and Host both
// `evil.example`: equal, but not served, so refused.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/http/api_types.h"

namespace coffer::api {

// The host of a serialized origin (`scheme://host[:port]`, RFC 6454), lower-case, IPv6 without
// brackets; nothing for "null", a path, userinfo, or any other shape a browser never sends.
std::optional<std::string> OriginHost(std::string_view origin);
// The host of a Host header (`host[:port]`), by the same rules.
std::optional<std::string> AuthorityHost(std::string_view authority);
// `localhost`, an address in 127.0.0.0/8, or ::1. `host` as OriginHost returns it.
bool IsLoopbackHost(std::string_view host);

class OriginPolicy {
 public:
  // `served_hosts`: the names and addresses browsers reach this server by, besides loopback
  // (`coffer serve --public-host`, and the listen address when it is a specific one).
  explicit OriginPolicy(std::set<std::string> served_hosts = {});

  bool Allows(const ApiRequest& request) const;

 private:
  std::set<std::string> served_hosts_;  // lower-case
};

}  // namespace coffer::api
