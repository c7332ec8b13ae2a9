// Rate limits through the Firewall: the seed's "100req/min" on /api/, independence of clients,
// the structured form (characteristics, mitigation_timeout, counting_expression on the response
// code), and counters that survive a reload. Simulated time throughout.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "unit/firewall/firewall_fixture.h"

namespace shipgate::firewall {
namespace {

using testing::TestRequest;

std::string header(const Decision& d, const std::string& name) {
  return std::string(d.headers.find(name).value_or("<none>"));
}

Decision send(const Firewall& fw, Scratch& s, const std::string& ip,
              const std::string& target = "/api/listings") {
  TestRequest r = TestRequest::chrome(target);
  r.client_ip = ip;
  RequestView v = r.view();
  Decision d = fw.inspect(v, s);
  if (!d.respond()) fw.onResponse(v, 200, s);
  return d;
}

TEST(FirewallRate, SeedRuleLimitsTheHundredAndFirstApiRequest) {
  SimulatedClock clock;
  auto fw = testing::exampleFirewall(clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  for (int i = 0; i < 100; ++i) {
    Decision d = send(*fw, s, "198.51.100.7");
    ASSERT_EQ(d.outcome, Outcome::kPass) << "request " << i + 1;
    EXPECT_EQ(header(d, "RateLimit-Policy"), "100;w=60");
    clock.advance(std::chrono::milliseconds(100));
  }
  Decision limited = send(*fw, s, "198.51.100.7");
  ASSERT_EQ(limited.outcome, Outcome::kRateLimited);
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.rule, "Rate limit API");
  EXPECT_EQ(header(limited, "RateLimit-Policy"), "100;w=60");
  EXPECT_NE(header(limited, "RateLimit").find("limit=100, remaining=0"), std::string::npos);
  int retry = std::stoi(header(limited, "Retry-After"));
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 60);
  // Another client is independent; non-API paths are not limited.
  EXPECT_EQ(send(*fw, s, "198.51.100.8").outcome, Outcome::kPass);
  EXPECT_EQ(send(*fw, s, "198.51.100.7", "/listings").outcome, Outcome::kPass);
  // Throttle only (mitigation_timeout 0): after the window slides, requests pass again.
  clock.advance(std::chrono::seconds(120));
  EXPECT_EQ(send(*fw, s, "198.51.100.7").outcome, Outcome::kPass);
}

TEST(FirewallRate, ReloadKeepsCountersWhenTheRuleIsUnchanged) {
  SimulatedClock clock;
  auto c = testing::exampleConfig();
  ASSERT_NE(c, nullptr);
  auto fw1 = testing::buildOrDie(*c, clock);
  ASSERT_NE(fw1, nullptr);
  Scratch s;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(send(*fw1, s, "198.51.100.7").outcome, Outcome::kPass);
  auto fw2 = testing::buildOrDie(*c, clock, fw1.get());
  ASSERT_NE(fw2, nullptr);
  EXPECT_EQ(fw2->limiter(1), fw1->limiter(1));
  EXPECT_EQ(send(*fw2, s, "198.51.100.7").outcome, Outcome::kRateLimited);
  std::string metrics;
  fw2->renderMetrics(metrics);
  EXPECT_NE(metrics.find("shipgate_waf_rule_matches_total{rule=\"Rate limit API\","
                         "action=\"rate_limit\"} 101"),
            std::string::npos)
      << metrics;

  // A changed rate is a new limiter: counters start afresh.
  auto changed = testing::configFrom(R"yaml(
security_rules:
  - name: "Rate limit API"
    expression: "(http.request.uri.path matches \"/api/.*\")"
    action: "rate_limit"
    rate_limit: "200req/min"
)yaml");
  ASSERT_NE(changed, nullptr);
  auto fw3 = testing::buildOrDie(*changed, clock, fw2.get());
  ASSERT_NE(fw3, nullptr);
  EXPECT_NE(fw3->limiter(0), fw2->limiter(1));
  EXPECT_EQ(send(*fw3, s, "198.51.100.7").outcome, Outcome::kPass);
}

TEST(FirewallRate, StructuredCharacteristicsAndMitigationTimeout) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
security_rules:
  - name: api-key
    expression: 'starts_with(http.request.uri.path, "/api/")'
    action: rate_limit
    ratelimit:
      characteristics: [ip.src, 'http.request.headers["x-api-key"]']
      period: 10s
      requests_per_period: 3
      mitigation_timeout: 60s
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  auto call = [&](const std::string& key) {
    TestRequest r = TestRequest::chrome("/api/x");
    if (!key.empty()) r.headers.emplace_back("X-Api-Key", key);
    RequestView v = r.view();
    return fw->inspect(v, s);
  };
  for (int i = 0; i < 3; ++i) ASSERT_EQ(call("k1").outcome, Outcome::kPass);
  EXPECT_EQ(call("k1").outcome, Outcome::kRateLimited);
  EXPECT_EQ(call("k2").outcome, Outcome::kPass);  // same IP, other key
  EXPECT_EQ(call("").outcome, Outcome::kPass);    // missing header is its own key
  // Mitigation: blocked for 60 s although the 10 s window has passed.
  clock.advance(std::chrono::seconds(30));
  Decision d = call("k1");
  EXPECT_EQ(d.outcome, Outcome::kRateLimited);
  EXPECT_GE(std::stoi(header(d, "Retry-After")), 29);
  clock.advance(std::chrono::seconds(31));
  EXPECT_EQ(call("k1").outcome, Outcome::kPass);
}

TEST(FirewallRate, CountingExpressionOnTheResponseCode) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
security_rules:
  - name: login-failures
    expression: 'http.request.uri.path eq "/login"'
    action: rate_limit
    ratelimit:
      requests_per_period: 3
      period: 60s
      counting_expression: 'http.request.uri.path eq "/login" and http.response.code eq 401'
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  auto login = [&](int status) {
    TestRequest r = TestRequest::chrome("/login");
    RequestView v = r.view();
    Decision d = fw->inspect(v, s);
    if (!d.respond()) fw->onResponse(v, status, s);
    return d;
  };
  for (int i = 0; i < 10; ++i) ASSERT_EQ(login(200).outcome, Outcome::kPass);  // not counted
  for (int i = 0; i < 3; ++i) ASSERT_EQ(login(401).outcome, Outcome::kPass);
  EXPECT_EQ(login(200).outcome, Outcome::kRateLimited);
}

TEST(FirewallRate, RateLimitActionLogAndChallenge) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
waf: {challenge: {difficulty_bits: 4}}
security_rules:
  - name: watch
    expression: 'http.request.uri.path eq "/a"'
    action: rate_limit
    ratelimit: {requests_per_period: 1, period: 1m, action: log}
  - name: soft
    expression: 'http.request.uri.path eq "/b"'
    action: rate_limit
    ratelimit: {requests_per_period: 1, period: 1m, action: challenge}
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  EXPECT_EQ(send(*fw, s, "198.51.100.7", "/a").outcome, Outcome::kPass);
  EXPECT_EQ(send(*fw, s, "198.51.100.7", "/a").outcome, Outcome::kPass);  // over, but log only
  EXPECT_EQ(send(*fw, s, "198.51.100.7", "/b").outcome, Outcome::kPass);
  EXPECT_EQ(send(*fw, s, "198.51.100.7", "/b").outcome, Outcome::kChallenge);
}

TEST(FirewallRate, WorkerThreadsShareOneLimiter) {
  SimulatedClock clock;
  auto fw = testing::exampleFirewall(clock);
  ASSERT_NE(fw, nullptr);
  std::atomic<int> passed{0}, limited{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t) {
    workers.emplace_back([&] {
      Scratch s;  // one per worker thread
      for (int i = 0; i < 50; ++i) {
        Decision d = send(*fw, s, "198.51.100.7");
        (d.outcome == Outcome::kPass ? passed : limited).fetch_add(1);
      }
    });
  }
  for (auto& w : workers) w.join();
  EXPECT_EQ(passed.load(), 100);
  EXPECT_EQ(limited.load(), 100);
}

TEST(FirewallRate, RulesSeeOnlyTheFirstBodyBytes) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
waf: {body_bytes: 16}
security_rules:
  - {name: body, expression: 'http.request.body.raw contains "evil"', action: block}
  - {name: size, expression: 'http.request.body.size gt 1000', action: log}
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  auto post = [&](const std::string& body, int64_t size) {
    TestRequest r = TestRequest::chrome("/form");
    r.method = "POST";
    RequestView v = r.view();
    v.body = body;
    v.body_size = size;
    return fw->inspect(v, s);
  };
  EXPECT_EQ(post("name=evil", 9).outcome, Outcome::kBlock);
  EXPECT_EQ(post("name=aaaaaaaaaaaaaaaaaaaaaaaa&evil", 33).outcome, Outcome::kPass);
  EXPECT_EQ(post("x", 5000).outcome, Outcome::kPass);
  EXPECT_EQ(s.evaluation().log_matches.size(), 1u);
}

TEST(FirewallRate, BotScoreRateThresholdsComeFromTheConfig) {
  // Chrome's header set scores 75; rate_high (-20) and rate_very_high (-40) are measured per
  // client over the last minute against waf.bots' thresholds (default 120 and 600 a minute).
  auto scoresAfter = [](const std::string& yaml, int requests) {
    SimulatedClock clock;
    auto fw = testing::firewallFrom(yaml, clock);
    Scratch s;
    std::vector<int> scores;
    for (int i = 0; fw != nullptr && i < requests; ++i) {
      scores.push_back(send(*fw, s, "198.51.100.7", "/page").bot_score);
      clock.advance(std::chrono::milliseconds(100));
    }
    return scores;
  };
  const std::string rule =
      "security_rules:\n"
      "  - {name: bots, expression: 'cf.bot_management.score lt 10', action: log}\n";
  auto defaults = scoresAfter(rule, 40);
  ASSERT_EQ(defaults.size(), 40u);
  EXPECT_EQ(defaults.front(), 75);
  EXPECT_EQ(defaults.back(), 75) << "40 requests in 4 s are under the default 120/min";

  auto tight = scoresAfter(
      "waf: {bots: {high_rate_per_minute: 5, very_high_rate_per_minute: 20}}\n" + rule, 40);
  ASSERT_EQ(tight.size(), 40u);
  EXPECT_EQ(tight.front(), 75);
  EXPECT_EQ(tight[10], 55) << "11 requests in a minute: over 5, not over 20";
  EXPECT_EQ(tight.back(), 35) << "40 requests in a minute: over 20";

  // A benchmark (or a trusted office NAT) raises the thresholds: the rate is still measured but
  // does not fire.
  auto lax = scoresAfter(
      "waf: {bots: {high_rate_per_minute: 1000000, very_high_rate_per_minute: 1000000}}\n" + rule,
      40);
  ASSERT_EQ(lax.size(), 40u);
  EXPECT_EQ(lax.back(), 75);
}

}  // namespace
}  // namespace shipgate::firewall
