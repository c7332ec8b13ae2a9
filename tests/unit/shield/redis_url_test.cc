// parseRedisUrl and the config key waf.rate_limit.store (located errors through the loader).
#include "shipgate/shield/redis_url.h"

#include <gtest/gtest.h>

#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"

namespace shipgate::shield {
namespace {

TEST(RedisUrl, ParsesHostPortPasswordAndDb) {
  auto u = parseRedisUrl("redis://:s3cr%40t@cache.internal:6380/2");
  ASSERT_TRUE(u.isOk()) << u.status().message();
  EXPECT_EQ(u->host, "cache.internal");
  EXPECT_EQ(u->port, 6380);
  EXPECT_EQ(u->password, "s3cr@t");
  EXPECT_EQ(u->user, "");
  EXPECT_EQ(u->db, 2);
  EXPECT_FALSE(u->isUnix());
  EXPECT_EQ(u->display(), "cache.internal:6380/2");  // no password in logs
}

TEST(RedisUrl, DefaultsPortAndDbAndReadsUserAndIpv6) {
  auto a = parseRedisUrl("redis://127.0.0.1");
  ASSERT_TRUE(a.isOk());
  EXPECT_EQ(a->port, 6379);
  EXPECT_EQ(a->db, 0);
  EXPECT_EQ(a->password, "");
  auto b = parseRedisUrl("redis://gate:pw@[::1]:7000");
  ASSERT_TRUE(b.isOk()) << b.status().message();
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 7000);
  EXPECT_EQ(b->user, "gate");
  EXPECT_EQ(b->password, "pw");
  EXPECT_EQ(b->display(), "[::1]:7000");
}

TEST(RedisUrl, ParsesUnixSockets) {
  auto u = parseRedisUrl("unix:/run/redis/redis.sock?db=3");
  ASSERT_TRUE(u.isOk()) << u.status().message();
  EXPECT_TRUE(u->isUnix());
  EXPECT_EQ(u->unix_path, "/run/redis/redis.sock");
  EXPECT_EQ(u->db, 3);
  auto v = parseRedisUrl("unix:///tmp/r.sock");
  ASSERT_TRUE(v.isOk());
  EXPECT_EQ(v->unix_path, "/tmp/r.sock");
}

TEST(RedisUrl, RejectsBadUrlsSayingWhat) {
  struct Case {
    const char* url;
    const char* says;
  };
  for (const Case& c :
       {Case{"", "empty"}, Case{"http://127.0.0.1:6379", "unknown scheme"},
        Case{"rediss://127.0.0.1:6379", "TLS rediss:// is not supported"},
        Case{"redis://", "missing host"},
        Case{"redis://127.0.0.1:99999", "port \"99999\" is not in 1..65535"},
        Case{"redis://127.0.0.1:", "empty port"}, Case{"redis://127.0.0.1:63a9", "port \"63a9\""},
        Case{"redis://127.0.0.1/x", "database \"/x\" is not in 0..1023"},
        Case{"redis://h st:1", "space or control character"},
        Case{"redis://[::1:6379", "missing ']'"}, Case{"redis://:pw%4@h", "bad %-escape"},
        Case{"unix:relative.sock", "must be absolute"}, Case{"unix:/tmp/r.sock?dbx=1", "db=N"}}) {
    auto r = parseRedisUrl(c.url);
    ASSERT_FALSE(r.isOk()) << c.url;
    EXPECT_NE(r.status().message().find(c.says), std::string::npos)
        << c.url << " -> " << r.status().message();
  }
}

TEST(RedisUrl, ErrorsNeverShowThePassword) {
  auto r = parseRedisUrl("redis://:hunter2@127.0.0.1:0");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message().find("hunter2"), std::string::npos) << r.status().message();
}

config::LoadResult load(const std::string& waf) {
  return config::loadString(waf +
                                "security_rules:\n"
                                "  - name: api\n"
                                "    expression: 'http.request.uri.path contains \"/\"'\n"
                                "    action: rate_limit\n"
                                "    rate_limit: 100req/min\n",
                            "gw.yaml", {&firewall::firewallSection()});
}

TEST(RateLimitStoreConfig, AbsentMeansPerNodeCounters) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(r.config->waf.rate_limit_store, "");
  auto fw = firewall::firewallConfigOf(*r.config);
  ASSERT_TRUE(fw.isOk());
  EXPECT_FALSE(fw.value()->store.has_value());
}

TEST(RateLimitStoreConfig, ReadsStoreAndTimeout) {
  auto r = load("waf:\n  rate_limit: {store: \"redis://127.0.0.1:6390/1\", timeout: 80ms}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(r.config->waf.rate_limit_store_timeout.count(), 80);
  auto fw = firewall::firewallConfigOf(*r.config);
  ASSERT_TRUE(fw.isOk());
  ASSERT_TRUE(fw.value()->store.has_value());
  EXPECT_EQ(fw.value()->store->port, 6390);
  EXPECT_EQ(fw.value()->store->db, 1);
  auto d = load("waf:\n  rate_limit: {store: \"redis://127.0.0.1:6390\"}\n");
  ASSERT_TRUE(d.ok()) << d.toString();
  EXPECT_EQ(d.config->waf.rate_limit_store_timeout.count(), 50);
}

TEST(RateLimitStoreConfig, BadUrlIsALocatedError) {
  auto r = load("waf:\n  rate_limit:\n    store: \"redis://127.0.0.1:70000\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.toString().find("gw.yaml:3:12: error: waf.rate_limit.store: redis URL"),
            std::string::npos)
      << r.toString();
  EXPECT_NE(r.toString().find("70000"), std::string::npos) << r.toString();
}

TEST(RateLimitStoreConfig, BadTimeoutAndNonScalarStoreAreErrors) {
  auto t = load("waf:\n  rate_limit: {store: \"redis://127.0.0.1\", timeout: 0ms}\n");
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.toString().find("waf.rate_limit.timeout: must be between 1ms and 10s"),
            std::string::npos)
      << t.toString();
  auto s = load("waf:\n  rate_limit:\n    store: [a, b]\n");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.toString().find("gw.yaml:3:12: error: waf.rate_limit.store: expected a URL"),
            std::string::npos)
      << s.toString();
}

}  // namespace
}  // namespace shipgate::shield
