#include "vault/cidr.h"

#include <arpa/inet.h>

#include <charconv>

namespace coffer::vault {
namespace {

std::optional<Cidr> ParseAddress(const std::string& text) {
  Cidr out;
  if (inet_pton(AF_INET, text.c_str(), out.address.data()) == 1) {
    out.prefix_bits = 32;
    return out;
  }
  if (inet_pton(AF_INET6, text.c_str(), out.address.data()) == 1) {
    out.ipv6 = true;
    out.prefix_bits = 128;
    // An IPv4-mapped address is the IPv4 address it carries.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::equal(std::begin(kMapped), std::end(kMapped), out.address.begin())) {
      std::copy(out.address.begin() + 12, out.address.end(), out.address.begin());
      std::fill(out.address.begin() + 4, out.address.end(), 0);
      out.ipv6 = false;
      out.prefix_bits = 32;
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Cidr> ParseCidr(std::string_view text) {
  size_t slash = text.find('/');
  auto cidr = ParseAddress(std::string(text.substr(0, slash)));
  if (!cidr) return std::nullopt;
  if (slash != std::string_view::npos) {
    std::string_view bits = text.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
    if (ec != std::errc() || end != bits.data() + bits.size() || bits.empty() || prefix < 0 ||
        prefix > cidr->prefix_bits) {
      return std::nullopt;
    }
    cidr->prefix_bits = prefix;
  }
  return cidr;
}

bool CidrContains(const Cidr& cidr, std::string_view ip) {
  auto address = ParseAddress(std::string(ip));
  if (!address || address->ipv6 != cidr.ipv6) return false;
  int bits = cidr.prefix_bits;
  for (size_t i = 0; bits > 0; ++i, bits -= 8) {
    uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((address->address[i] & mask) != (cidr.address[i] & mask)) return false;
  }
  return true;
}

}  // namespace coffer::vault
