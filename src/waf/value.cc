// Type and IpAddr.
#include "shipgate/waf/value.h"

#include <arpa/inet.h>

#include <cstring>

namespace shipgate::waf {

std::optional<Type> Type::arrayOf(const Type& element) {
  if (element.depth_ >= kMaxDepth) return std::nullopt;
  Type t(Kind::kArray);
  for (int i = 0; i < element.depth_; ++i) t.kinds_[i + 1] = element.kinds_[i];
  t.depth_ = static_cast<uint8_t>(element.depth_ + 1);
  return t;
}

std::optional<Type> Type::mapOf(const Type& element) {
  auto t = arrayOf(element);
  if (t) t->kinds_[0] = Kind::kMap;
  return t;
}

Type Type::element() const {
  Type t;
  for (int i = 1; i < depth_; ++i) t.kinds_[i - 1] = kinds_[i];
  t.depth_ = static_cast<uint8_t>(depth_ > 1 ? depth_ - 1 : 1);
  return t;
}

bool Type::operator==(const Type& other) const {
  if (depth_ != other.depth_) return false;
  for (int i = 0; i < depth_; ++i) {
    if (kinds_[i] != other.kinds_[i]) return false;
  }
  return true;
}

std::string Type::toString() const {
  switch (kind()) {
    case Kind::kBool:
      return "Bool";
    case Kind::kInt:
      return "Int";
    case Kind::kIp:
      return "Ip";
    case Kind::kBytes:
      return "Bytes";
    case Kind::kArray:
      return "Array<" + element().toString() + ">";
    case Kind::kMap:
      return "Map<" + element().toString() + ">";
  }
  return "?";
}

namespace {

// Dotted IPv4 exactly as inet_pton(AF_INET) reads it: four decimal octets of at most 255, no
// leading zeros, nothing else; without the copy into a C string (ip.src is parsed per request).
std::optional<IpAddr> parseIpv4(std::string_view text) {
  IpAddr ip;
  size_t octet = 0;
  unsigned value = 0;
  bool digit = false;  // the current octet has a digit
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (digit && value == 0) return std::nullopt;  // a leading zero
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return std::nullopt;
      digit = true;
    } else if (c == '.' && digit && octet < 3) {
      ip.bytes[octet++] = static_cast<uint8_t>(value);
      value = 0;
      digit = false;
    } else {
      return std::nullopt;
    }
  }
  if (octet != 3 || !digit) return std::nullopt;
  ip.bytes[3] = static_cast<uint8_t>(value);
  return ip;
}

}  // namespace

std::optional<IpAddr> IpAddr::parse(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  if (text.size() <= 15) {
    if (auto v4 = parseIpv4(text)) return v4;
  }
  if (text.find(':') == std::string_view::npos) return std::nullopt;  // no IPv6 either
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddr ip;
  if (inet_pton(AF_INET6, buf, ip.bytes.data()) != 1) return std::nullopt;
  ip.v6 = true;
  return ip;
}

std::string IpAddr::toString() const {
  char buf[INET6_ADDRSTRLEN] = {0};
  inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), buf, sizeof(buf));
  return buf;
}

}  // namespace shipgate::waf
