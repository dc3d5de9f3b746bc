// Network allow-lists for tokens: "10.0.0.0/8", "192.168.1.7", "fd00::/8", "::1".
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coffer::vault {

struct Cidr {
  bool ipv6 = false;
  std::array<uint8_t, 16> address{};
  int prefix_bits = 0;
};

// Empty when `text` is not an IPv4/IPv6 address with an optional /prefix in range.
std::optional<Cidr> ParseCidr(std::string_view text);

// True when `ip` (as the HTTP layer reports it) lies in `cidr`. IPv4-mapped IPv6 addresses
// (::ffff:a.b.c.d) match IPv4 networks.
bool CidrContains(const Cidr& cidr, std::string_view ip);

}  // namespace coffer::vault
