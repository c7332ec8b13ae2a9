// Cidr and IP parsing on top of inet_pton. See cidr.h.
#include "cidr.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace shipgate::shield {

std::optional<IpBytes> parseIp(std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  char buf[65];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpBytes out{};
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::string canonicalIp(std::string_view text) {
  auto ip = parseIp(text);
  if (!ip) return std::string(text);
  char buf[INET6_ADDRSTRLEN];
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(ip->data(), kMapped, 12) == 0) {
    inet_ntop(AF_INET, ip->data() + 12, buf, sizeof(buf));
  } else {
    inet_ntop(AF_INET6, ip->data(), buf, sizeof(buf));
  }
  return buf;
}

Result<Cidr> Cidr::parse(std::string_view text) {
  std::string_view addr = text;
  std::optional<int> len;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    addr = text.substr(0, slash);
    std::string_view l = text.substr(slash + 1);
    if (l.empty() || l.size() > 3) {
      return Status::invalidArgument("CIDR \"" + std::string(text) + "\": bad prefix length");
    }
    int v = 0;
    for (char c : l) {
      if (c < '0' || c > '9') {
        return Status::invalidArgument("CIDR \"" + std::string(text) + "\": bad prefix length");
      }
      v = v * 10 + (c - '0');
    }
    len = v;
  }
  auto ip = parseIp(addr);
  if (!ip) return Status::invalidArgument("CIDR \"" + std::string(text) + "\": bad address");
  bool v4 = addr.find(':') == std::string_view::npos;
  int max = v4 ? 32 : 128;
  if (len && *len > max) {
    return Status::invalidArgument("CIDR \"" + std::string(text) + "\": prefix length " +
                                   std::to_string(*len) + " > " + std::to_string(max));
  }
  Cidr c;
  c.bits_ = (v4 ? 96 : 0) + len.value_or(max);
  c.net_ = *ip;
  for (int i = 0; i < 16; ++i) {
    int keep = std::min(8, std::max(0, c.bits_ - i * 8));
    c.net_[i] &= static_cast<uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return c;
}

bool Cidr::contains(const IpBytes& ip) const {
  for (int i = 0; i < 16; ++i) {
    int keep = std::min(8, std::max(0, bits_ - i * 8));
    if (keep == 0) break;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - keep));
    if ((ip[i] & mask) != net_[i]) return false;
  }
  return true;
}

bool Cidr::contains(std::string_view ip_text) const {
  auto ip = parseIp(ip_text);
  return ip && contains(*ip);
}

}  // namespace shipgate::shield
