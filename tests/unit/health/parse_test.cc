// URL and eth_blockNumber response parsing.
#include "shipgate/health/parse.h"

#include <gtest/gtest.h>

namespace shipgate::health {
namespace {

TEST(ParseUrlTest, SeedUrls) {
  auto u = parseUrl("https://api.coinestate.io/health");
  ASSERT_TRUE(u.isOk()) << u.status().toString();
  EXPECT_EQ(u->scheme, "https");
  EXPECT_TRUE(u->tls());
  EXPECT_EQ(u->address.host, "api.coinestate.io");
  EXPECT_EQ(u->address.port, 443);
  EXPECT_EQ(u->path, "/health");
}

TEST(ParseUrlTest, PortsPathsAndIpv6) {
  auto a = parseUrl("HTTP://127.0.0.1:8545");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->scheme, "http");
  EXPECT_EQ(a->address.port, 8545);
  EXPECT_EQ(a->path, "/");
  auto b = parseUrl("http://[::1]:9000/x/y?z=1#frag");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->address.host, "::1");
  EXPECT_EQ(b->address.port, 9000);
  EXPECT_EQ(b->path, "/x/y?z=1");
  auto c = parseUrl("http://example.com?q");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->path, "/?q");
}

TEST(ParseUrlTest, Rejects) {
  for (const char* bad : {"example.com/health", "ftp://x/", "http://", "http://:80/", "http://a:0/",
                          "http://a:65536/", "http://a:12x/", "http://u@a/", "http://[::1/",
                          "http://[::1]x/", "http://a b/"}) {
    EXPECT_FALSE(parseUrl(bad).isOk()) << bad;
  }
}

TEST(BlockNumberTest, ParsesResult) {
  auto n = parseBlockNumberResponse(R"({"jsonrpc":"2.0","id":1,"result":"0x1a"})");
  ASSERT_TRUE(n.isOk()) << n.status().toString();
  EXPECT_EQ(n.value(), 26u);
  EXPECT_EQ(parseHexQuantity("0x0").value(), 0u);
  EXPECT_EQ(parseHexQuantity("0xffffffffffffffff").value(), UINT64_MAX);
}

TEST(BlockNumberTest, ErrorsSayWhat) {
  auto e = parseBlockNumberResponse(
      R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}})");
  ASSERT_FALSE(e.isOk());
  EXPECT_EQ(e.status().message(), "JSON-RPC error: Method not found (code -32601)");
  EXPECT_FALSE(parseBlockNumberResponse("<html>").isOk());
  EXPECT_FALSE(parseBlockNumberResponse("[1]").isOk());
  EXPECT_FALSE(parseBlockNumberResponse(R"({"result":26})").isOk());
  EXPECT_FALSE(parseBlockNumberResponse(R"({"result":"26"})").isOk());
  EXPECT_FALSE(parseBlockNumberResponse(R"({"result":"0x"})").isOk());
  EXPECT_FALSE(parseBlockNumberResponse(R"({"result":"0xzz"})").isOk());
  EXPECT_FALSE(parseBlockNumberResponse(R"({"result":"0x10000000000000000"})").isOk());
}

}  // namespace
}  // namespace shipgate::health
