// ClientConnectionCounts (max_connections_per_ip): per-address counts up to a limit, released on
// close; IPv4 and its IPv6-mapped form are one address.
#include "../../../src/server/connection_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

#include <gtest/gtest.h>

namespace shipgate::server {
namespace {

net::SockAddr v4(const std::string& ip, uint16_t port) {
  net::SockAddr a;
  auto* s = reinterpret_cast<sockaddr_in*>(&a.storage);
  s->sin_family = AF_INET;
  s->sin_port = htons(port);
  inet_pton(AF_INET, ip.c_str(), &s->sin_addr);
  a.len = sizeof(sockaddr_in);
  return a;
}

net::SockAddr v6(const std::string& ip, uint16_t port) {
  net::SockAddr a;
  auto* s = reinterpret_cast<sockaddr_in6*>(&a.storage);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  inet_pton(AF_INET6, ip.c_str(), &s->sin6_addr);
  a.len = sizeof(sockaddr_in6);
  return a;
}

TEST(ClientConnectionCounts, CountsEachAddressUpToTheLimit) {
  ClientConnectionCounts counts;
  ClientKey a = clientKey(v4("192.0.2.1", 1000));
  ClientKey b = clientKey(v4("192.0.2.2", 1000));
  EXPECT_TRUE(counts.tryAdd(a, 2));
  EXPECT_TRUE(counts.tryAdd(clientKey(v4("192.0.2.1", 2000)), 2));  // the port does not matter
  EXPECT_FALSE(counts.tryAdd(a, 2));
  EXPECT_TRUE(counts.tryAdd(b, 2));
  EXPECT_EQ(counts.count(a), 2U);
  EXPECT_EQ(counts.count(b), 1U);
  counts.remove(a);
  EXPECT_EQ(counts.count(a), 1U);
  EXPECT_TRUE(counts.tryAdd(a, 2));
  counts.remove(a);
  counts.remove(a);
  counts.remove(b);
  EXPECT_EQ(counts.count(a), 0U);
  EXPECT_EQ(counts.count(b), 0U);
}

TEST(ClientConnectionCounts, AnIPv4AddressAndItsMappedIPv6FormAreOneClient) {
  EXPECT_EQ(clientKey(v4("198.51.100.7", 1)), clientKey(v6("::ffff:198.51.100.7", 2)));
  EXPECT_FALSE(clientKey(v6("2001:db8::1", 1)) == clientKey(v6("2001:db8::2", 1)));
  ClientConnectionCounts counts;
  EXPECT_TRUE(counts.tryAdd(clientKey(v4("198.51.100.7", 1)), 1));
  EXPECT_FALSE(counts.tryAdd(clientKey(v6("::ffff:198.51.100.7", 2)), 1));
}

TEST(ClientConnectionCounts, ARefusedAddressLeavesNoEntryBehind) {
  ClientConnectionCounts counts;
  ClientKey a = clientKey(v4("203.0.113.9", 1));
  EXPECT_FALSE(counts.tryAdd(a, 0));
  EXPECT_EQ(counts.count(a), 0U);
}

}  // namespace
}  // namespace shipgate::server
