// The coinestate example as shipped: a gateway config that includes
// examples/coinestate/shipgate.yaml unchanged (its sites, its app and the seed's security_rules)
// and overrides only what a test must (ports, token, the upstream's address, no user to drop
// to). The seed's "Rate limit API" rule (`/api/.*`, 100 requests a minute) protects the
// example's API: the 101st API request within a minute gets 429.
#include <string>

#include <gtest/gtest.h>

#include "waf_gateway_util.h"

namespace wafgw {
namespace {

using namespace std::chrono_literals;

TEST(ExampleConfig, The101stApiRequestWithinAMinuteGets429) {
  testsupport::TempDir dir("sg-example");
  Ports ports;
  std::string token = e2e::writeToken(dir);
  e2e::ApiServer api("v1", "us-east-1");
  ASSERT_TRUE(api.start());
  const std::string ep = "{address: \"" + api.address() + "\", region: us-east-1}";
  std::string yaml =
      "include: [\"" + testsupport::sourceDir() + "/examples/coinestate/shipgate.yaml\"]\n"
      "server: {user: nobody}\n"  // as demo.yaml: the seed wants a non-root user
      "state: {dir: \"" + dir.file("state") + "\"}\n"  // not beside the shipped file
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(ports.http) + "\"}]\n"
      "admin: {address: \"127.0.0.1:" + std::to_string(ports.admin) + "\", token_file: \"" +
      token + "\"}\n"
      "apps:\n  api:\n    slots: {blue: [" + ep + "], green: [" + ep + "]}\n";
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml, {ports.http, ports.admin}));

  Client c(ports.http);
  // 101 requests in one window of the seed's 60 s period (the burst takes a few seconds).
  waitUntilBurstFitsOneRateWindow(60s, 20s);
  for (int i = 1; i <= 100; ++i) {
    auto r = c.get("/api/properties", browserHeaders());
    ASSERT_EQ(r.status, 200) << "request " << i << ": " << r.raw << r.error << gw.logs();
    ASSERT_EQ(r.header("X-App-Version"), "v1") << r.raw;
    ASSERT_TRUE(r.hasHeader("RateLimit-Policy")) << "request " << i << " is under the API rule: "
                                                 << r.raw;
  }
  auto limited = c.get("/api/properties", browserHeaders());
  ASSERT_EQ(limited.status, 429) << limited.raw;
  EXPECT_FALSE(limited.header("Retry-After").empty()) << limited.raw;
  EXPECT_NE(limited.header("RateLimit-Policy").find("100"), std::string::npos) << limited.raw;
  EXPECT_FALSE(limited.hasHeader("X-App-Version")) << "the upstream did not see it";
  // Every /api/ path shares the client's budget; the frontend is outside the rule.
  EXPECT_EQ(c.get("/api/health", browserHeaders()).status, 429);
  auto page = c.get("/", browserHeaders());
  EXPECT_NE(page.status, 429) << page.raw;
  EXPECT_FALSE(page.hasHeader("RateLimit-Policy")) << page.raw;
}

}  // namespace
}  // namespace wafgw
