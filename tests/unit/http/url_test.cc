// parseUrl(): the one URL parser of config, health checks and the CLI.
#include "shipgate/http/url.h"

#include <gtest/gtest.h>

namespace shipgate::http {
namespace {

TEST(UrlTest, SchemesPortsPathsAndIpv6) {
  auto a = parseUrl("https://api.coinestate.io/health");
  ASSERT_TRUE(a.isOk()) << a.status().toString();
  EXPECT_EQ(a->scheme, "https");
  EXPECT_TRUE(a->tls());
  EXPECT_EQ(a->host, "api.coinestate.io");
  EXPECT_EQ(a->port, 443);
  EXPECT_FALSE(a->explicit_port);
  EXPECT_EQ(a->path_and_query, "/health");
  EXPECT_EQ(a->hostPort(), "api.coinestate.io:443");

  auto b = parseUrl("HTTP://127.0.0.1:8545");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->scheme, "http");
  EXPECT_EQ(b->port, 8545);
  EXPECT_TRUE(b->explicit_port);
  EXPECT_EQ(b->path_and_query, "/");

  auto c = parseUrl("http://[::1]:9000/x/y/?z=1#frag");
  ASSERT_TRUE(c.isOk());
  EXPECT_EQ(c->host, "::1");
  EXPECT_TRUE(c->ipv6);
  EXPECT_EQ(c->port, 9000);
  EXPECT_EQ(c->path_and_query, "/x/y/?z=1");
  EXPECT_EQ(c->hostPort(), "[::1]:9000");

  EXPECT_EQ(parseUrl("http://h?q")->path_and_query, "/?q");
  EXPECT_EQ(parseUrl("http://h/a%20b")->path_and_query, "/a%20b");
  EXPECT_EQ(parseUrl("http://h/")->path_and_query, "/");
}

TEST(UrlTest, RejectsWithAReason) {
  auto why = [](std::string_view u) { return parseUrl(u).status().message(); };
  EXPECT_NE(why("ftp://x/").find("http:// or https://"), std::string::npos);
  EXPECT_NE(why("example.com/health").find("http:// or https://"), std::string::npos);
  EXPECT_NE(why("http://u:p@x/").find("credentials"), std::string::npos);
  EXPECT_NE(why("http:///x").find("missing host"), std::string::npos);
  EXPECT_NE(why("http://h:0/").find("1 to 65535"), std::string::npos);
  EXPECT_NE(why("http://h:65536/").find("1 to 65535"), std::string::npos);
  EXPECT_NE(why("http://h/a b").find("spaces"), std::string::npos);
  for (const char* bad : {"http://", "http://:80/", "http://a:12x/", "http://[::1/",
                          "http://[::1]x/", "http://a b/", "http://a/\x01", "http://a:-1/"}) {
    EXPECT_FALSE(parseUrl(bad).isOk()) << bad;
  }
}

}  // namespace
}  // namespace shipgate::http
