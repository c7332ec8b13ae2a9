// The WAF protecting the running gateway: the real shipgate binary in front of a real
// coinestate-api, with the seed's security_rules (verbatim from the example config), driven over
// real sockets: SQL injection spellings and bots are blocked, the API rate limit answers 429,
// /metrics counts the blocks, and reloads swap the rule set atomically (a broken one is refused).
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "waf_gateway_util.h"

namespace wafgw {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;

class WafGateway : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(api_.start()); }
  ::testing::AssertionResult startGateway(const std::string& tail, bool frontend = false) {
    return gw_.start(gatewayYaml(ports_, token_, api_.address(), tail, frontend),
                     {ports_.http, ports_.admin});
  }
  testsupport::HttpResponse metrics() {
    return testsupport::httpGet(ports_.admin, "/metrics",
                                {{"Authorization", "Bearer " + tokenText()}});
  }
  std::string tokenText() {
    std::string t = testsupport::readFile(token_);
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  testsupport::TempDir dir_{"sg-waf-gw"};
  Ports ports_;
  std::string token_ = e2e::writeToken(dir_);
  e2e::ApiServer api_{"v1", "us-east-1"};
  GatewayProcess gw_;
};

constexpr const char* kSqlRule = "Block SQL injection attempts";
constexpr const char* kBotRule = "Block malicious bots";

void expectBlockedBy(const testsupport::HttpResponse& r, const std::string& rule,
                     const std::string& what) {
  SCOPED_TRACE(what);
  ASSERT_EQ(r.status, 403) << r.raw << r.error;
  std::string block = r.header("X-Shipgate-Block");
  EXPECT_NE(block.find("rule=\"" + rule + "\""), std::string::npos) << block;
  size_t ev = block.find("event=");
  ASSERT_NE(ev, std::string::npos) << block;
  std::string event_id = block.substr(ev + 6);
  while (!event_id.empty() && (event_id.back() == ';' || event_id.back() == ' ')) {
    event_id.pop_back();
  }
  ASSERT_FALSE(event_id.empty());
  EXPECT_NE(r.body.find(rule), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(event_id), std::string::npos) << "event id " << event_id << " in "
                                                       << r.body;
  EXPECT_FALSE(r.hasHeader("X-App-Version")) << "the upstream must not have seen it";
}

TEST_F(WafGateway, SeedRulesBlockSqlInjectionSpellingsAndPassOrdinaryQueries) {
  std::string rules = seedSecurityRules();
  ASSERT_NE(rules.find(kSqlRule), std::string::npos) << rules;
  ASSERT_TRUE(startGateway(kSeedWaf + rules));
  Client c(ports_.http);
  for (const std::string q : {"UNION%20SELECT%20password%20FROM%20users", "union+select+1,2",
                              "UnIoN/**/SeLeCt%20card", "%27%20or%201%3D1%20--",
                              "x%27%3B%20DROP%20TABLE%20users", "1'+OR+1=1"}) {
    expectBlockedBy(c.get("/api/echo?q=" + q, browserHeaders()), kSqlRule, q);
  }
  auto identity = browserHeaders();  // read the echo uncompressed (a browser may ask for that)
  for (auto& [name, value] : identity) {
    if (name == "Accept-Encoding") value = "identity";
  }
  auto ok = c.get("/api/echo?q=union+station", identity);
  ASSERT_EQ(ok.status, 200) << ok.raw << gw_.logs();
  EXPECT_EQ(ok.header("X-App-Version"), "v1");
  EXPECT_NE(ok.body.find("union station"), std::string::npos) << ok.body;
  auto plain = c.get("/api/echo?q=select+a+union+rep", browserHeaders());
  EXPECT_EQ(plain.status, 200) << plain.raw;
  // Each block is logged with the rule and the request id.
  EXPECT_TRUE(gw_.waitForLog("Block SQL injection attempts", 5s)) << gw_.logs();
}

TEST_F(WafGateway, SeedBotRuleBlocksCurlAndPassesBrowsersOnAppsAndStaticSites) {
  ASSERT_TRUE(startGateway(kSeedWaf + seedSecurityRules(), /*frontend=*/true));
  Client c(ports_.http);
  // The static frontend is protected like the API.
  expectBlockedBy(c.get("/", curlHeaders()), kBotRule, "curl on the static site");
  auto home = c.get("/", browserHeaders());
  ASSERT_EQ(home.status, 200) << home.raw;
  EXPECT_NE(home.header("Content-Type").find("text/html"), std::string::npos);
  expectBlockedBy(c.get("/api/properties", curlHeaders()), kBotRule, "curl");
  expectBlockedBy(c.get("/api/properties", {{"User-Agent", "python-requests/2.31.0"}}), kBotRule,
                  "python-requests");
  expectBlockedBy(c.get("/api/properties", {}), kBotRule, "no user agent");
  // The seed's bot rule blocks (no challenge): a browser's header set is let through.
  auto ok = c.get("/api/properties", browserHeaders());
  ASSERT_EQ(ok.status, 200) << ok.raw << gw_.logs();
  EXPECT_EQ(ok.header("X-App-Version"), "v1");
}

TEST_F(WafGateway, SeedRateLimitAnswers429OnThe101stApiRequestInAMinute) {
  ASSERT_TRUE(startGateway(kSeedWaf + seedSecurityRules()));
  Client c(ports_.http);
  // 101 requests in one window of the seed's 60 s period (the burst takes ~3 s; allow 20 s).
  waitUntilBurstFitsOneRateWindow(60s, 20s);
  for (int i = 1; i <= 100; ++i) {
    auto r = c.get("/api/items?page=" + std::to_string(i), browserHeaders());
    ASSERT_NE(r.status, 429) << "request " << i << ": " << r.raw;
    ASSERT_TRUE(r.hasHeader("X-App-Version")) << "request " << i << " reached the upstream: "
                                              << r.raw << r.error;
    ASSERT_TRUE(r.hasHeader("RateLimit-Policy")) << r.raw;
    ASSERT_TRUE(r.hasHeader("RateLimit")) << r.raw;
  }
  auto limited = c.get("/api/items?page=101", browserHeaders());
  ASSERT_EQ(limited.status, 429) << limited.raw;
  EXPECT_FALSE(limited.header("Retry-After").empty()) << limited.raw;
  EXPECT_GT(std::stoi(limited.header("Retry-After")), 0);
  EXPECT_NE(limited.header("RateLimit-Policy").find("100"), std::string::npos) << limited.raw;
  EXPECT_FALSE(limited.header("RateLimit").empty()) << limited.raw;
  EXPECT_FALSE(limited.hasHeader("X-App-Version"));
  // Paths outside the rule are not limited: no site serves /other, so the WAF passed it.
  auto other = c.get("/other", browserHeaders());
  EXPECT_EQ(other.status, 404) << other.raw;
}

TEST_F(WafGateway, MetricsCountBlocksAndPassPromtool) {
  ASSERT_TRUE(startGateway(kSeedWaf + seedSecurityRules()));
  Client c(ports_.http);
  ASSERT_EQ(c.get("/api/echo?q=union+select", browserHeaders()).status, 403);
  ASSERT_EQ(c.get("/api/echo", curlHeaders()).status, 403);
  ASSERT_EQ(c.get("/api/echo?q=fine", browserHeaders()).status, 200);
  auto m = metrics();
  ASSERT_EQ(m.status, 200) << m.raw;
  EXPECT_GE(metricValue(m.body, "shipgate_waf_blocked_requests_total"), 2) << m.body;
  EXPECT_NE(m.body.find("shipgate_waf_rule_matches_total{rule=\"Block SQL injection attempts\""),
            std::string::npos)
      << m.body;
  EXPECT_NE(m.body.find("shipgate_waf_decisions_total{action=\"block\"}"), std::string::npos)
      << m.body;
  EXPECT_EQ(promtoolProblems(dir_, m.body), "") << m.body;
}

TEST_F(WafGateway, CountingExpressionSeesTheUpstreamsResponseCode) {
  // Cloudflare's "count only 404s" pattern: the gateway reports each response's status back to
  // the firewall, which counts the request only when http.response.code matches.
  ASSERT_TRUE(startGateway(
      "security_rules:\n"
      "  - name: \"Too many misses\"\n"
      "    expression: \"starts_with(http.request.uri.path, \\\"/api/\\\")\"\n"
      "    action: rate_limit\n"
      "    ratelimit:\n"
      "      period: 60s\n"
      "      requests_per_period: 3\n"
      "      counting_expression: \"http.response.code eq 404\"\n"));
  Client c(ports_.http);
  for (int i = 0; i < 6; ++i) {
    auto r = c.get("/api/health", {});
    ASSERT_EQ(r.status, 200) << "200s are not counted; request " << i << ": " << r.raw;
  }
  for (int i = 0; i < 3; ++i) {
    auto r = c.get("/api/no-such-thing", {});
    ASSERT_EQ(r.status, 404) << "miss " << i << ": " << r.raw;
    EXPECT_EQ(r.header("X-App-Version"), "v1");
  }
  // Three counted misses: the client is limited, on any path the rule covers.
  auto limited = c.get("/api/health", {});
  ASSERT_EQ(limited.status, 429) << limited.raw << gw_.logs();
  EXPECT_FALSE(limited.header("Retry-After").empty());
}

std::string fooBarRules(const std::string& word, const std::string& extra = "") {
  return "security_rules:\n"
         "  - name: \"Block " + word + "\"\n"
         "    expression: \"http.request.uri.query contains \\\"" + word + "\\\"\"\n"
         "    action: block\n" + extra;
}

TEST_F(WafGateway, ReloadSwapsRulesAtomicallyAndRefusesABrokenRuleSet) {
  ASSERT_TRUE(startGateway(fooBarRules("foo")));
  Client c(ports_.http);
  ASSERT_EQ(c.get("/api/echo?q=foo", {}).status, 403);
  ASSERT_EQ(c.get("/api/echo?q=bar", {}).status, 200);

  // Clients keep sending while the rules change: every answer is one rule set's verdict.
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::string first_bad;
  std::thread load([&] {
    Client lc(ports_.http);
    while (!stop) {
      auto r = lc.get("/api/echo?q=foo", {});
      if (r.status != 403 && r.status != 200) {
        if (bad++ == 0) first_bad = r.raw + r.error;
      }
    }
  });
  ASSERT_TRUE(gw_.reload(gatewayYaml(ports_, token_, api_.address(), fooBarRules("bar"))));
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (c.get("/api/echo?q=bar", {}).status != 403 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  load.join();
  EXPECT_EQ(bad.load(), 0) << first_bad;
  ASSERT_EQ(c.get("/api/echo?q=bar", {}).status, 403) << gw_.logs();
  EXPECT_EQ(c.get("/api/echo?q=foo", {}).status, 200);

  // A rule set with a rule that does not parse is refused as a whole: "bar" stays blocked,
  // "baz" (only in the refused set) passes.
  std::string broken = fooBarRules("baz",
                                   "  - name: \"Broken\"\n"
                                   "    expression: \"http.request.uri.query contains\"\n"
                                   "    action: block\n");
  ASSERT_TRUE(gw_.reload(gatewayYaml(ports_, token_, api_.address(), broken)));
  ASSERT_TRUE(gw_.waitForLog("keeps serving", 15s)) << gw_.logs();
  EXPECT_EQ(c.get("/api/echo?q=bar", {}).status, 403);
  EXPECT_EQ(c.get("/api/echo?q=baz", {}).status, 200);
  EXPECT_TRUE(gw_.running());
}

}  // namespace
}  // namespace wafgw
