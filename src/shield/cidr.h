// Cidr: an IPv4 or IPv6 network prefix ("66.249.64.0/19", "2001:4860:4801::/48", or a bare
// address meaning /32 or /128), and IP text parsing. IPv4-mapped IPv6 addresses
// (::ffff:66.249.66.1) match IPv4 networks. Immutable; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::shield {

// 16 bytes; IPv4 addresses are stored IPv4-mapped (::ffff:a.b.c.d).
using IpBytes = std::array<uint8_t, 16>;

// nullopt when `text` is not an IPv4 or IPv6 address.
std::optional<IpBytes> parseIp(std::string_view text);

// Canonical text of `text` as an address ("::1" for "0:0::1"); `text` unchanged when it does
// not parse.
std::string canonicalIp(std::string_view text);

class Cidr {
 public:
  // invalidArgument naming the problem ("bad address", "prefix length 33 > 32").
  static Result<Cidr> parse(std::string_view text);
  bool contains(const IpBytes& ip) const;
  bool contains(std::string_view ip_text) const;

 private:
  IpBytes net_{};
  int bits_ = 0;  // prefix length over the 128-bit (mapped) form
};

}  // namespace shipgate::shield
