// IpAddr::parse: dotted IPv4 is read exactly as inet_pton(AF_INET) reads it (differential run
// over random strings of digits and dots), IPv6 through inet_pton(AF_INET6).
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "shipgate/waf/value.h"

namespace shipgate::waf {
namespace {

std::optional<IpAddr> reference(const std::string& text) {
  IpAddr ip;
  if (text.find('\0') != std::string::npos) return std::nullopt;  // inet_pton reads C strings
  if (text.find(':') != std::string::npos) {
    if (inet_pton(AF_INET6, text.c_str(), ip.bytes.data()) != 1) return std::nullopt;
    ip.v6 = true;
    return ip;
  }
  if (inet_pton(AF_INET, text.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

TEST(IpAddrTest, DottedQuads) {
  auto ip = IpAddr::parse("203.0.113.7");
  ASSERT_TRUE(ip.has_value());
  EXPECT_FALSE(ip->v6);
  EXPECT_EQ(ip->bytes[0], 203);
  EXPECT_EQ(ip->bytes[3], 7);
  EXPECT_EQ(ip->toString(), "203.0.113.7");
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "256.1.1.1", "01.2.3.4", "1.2.3.04",
        "1.2.3.4 ", "1.2.3.-4", "1.2.3.4.5", "1.2.3.1000", "255.255.255.2555", "a.b.c.d"}) {
    EXPECT_FALSE(IpAddr::parse(bad).has_value()) << bad;
  }
  EXPECT_TRUE(IpAddr::parse("0.0.0.0").has_value());
  EXPECT_TRUE(IpAddr::parse("255.255.255.255").has_value());
  // An embedded NUL is not the end of the address.
  EXPECT_FALSE(IpAddr::parse(std::string_view("1.2.3.4\0", 8)).has_value());
}

TEST(IpAddrTest, Ipv6) {
  auto ip = IpAddr::parse("2001:db8::1");
  ASSERT_TRUE(ip.has_value());
  EXPECT_TRUE(ip->v6);
  EXPECT_EQ(ip->toString(), "2001:db8::1");
  EXPECT_TRUE(IpAddr::parse("::ffff:192.0.2.1").has_value());
  EXPECT_FALSE(IpAddr::parse("2001:db8:::1").has_value());
}

TEST(IpAddrTest, AgreesWithInetPton) {
  std::mt19937 rng(7);
  int valid = 0;
  for (int i = 0; i < 200'000; ++i) {
    // 3 to 5 parts of 0 to 3 digits (a leading zero now and then), joined by dots; sometimes
    // one byte replaced by a dot, a colon or a space.
    std::string s;
    const int parts = 3 + static_cast<int>(rng() % 3);
    for (int p = 0; p < parts; ++p) {
      if (p > 0) s.push_back('.');
      const int digits = static_cast<int>(rng() % 4);
      for (int d = 0; d < digits; ++d)
        s.push_back(static_cast<char>('0' + rng() % (d == 0 ? 3 : 10)));
    }
    if (!s.empty() && rng() % 8 == 0) s[rng() % s.size()] = ".: "[rng() % 3];
    const auto got = IpAddr::parse(s);
    const auto want = reference(s);
    ASSERT_EQ(got.has_value(), want.has_value()) << '"' << s << '"';
    if (got) {
      ASSERT_EQ(*got, *want) << s;
      ++valid;
    }
  }
  EXPECT_GT(valid, 1'000);  // the run reaches the accepting paths, not only the rejections
}

}  // namespace
}  // namespace shipgate::waf
