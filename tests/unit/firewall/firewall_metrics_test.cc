// Per-rule metrics and the blocked-requests counter, rendered through a metrics::Registry
// collector and validated with promtool.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "shipgate/common/log.h"
#include "shipgate/metrics/names.h"
#include "shipgate/metrics/windows.h"
#include "unit/firewall/firewall_fixture.h"

namespace shipgate::firewall {
namespace {

using testing::TestRequest;

TEST(FirewallMetrics, RenderThroughTheRegistryAndPassPromtool) {
  SimulatedClock clock;
  auto fw = testing::exampleFirewall(clock);
  ASSERT_NE(fw, nullptr);
  metrics::Registry registry;
  addFirewallCollector(registry, [fw] { return fw; });
  Scratch s;
  auto send = [&](TestRequest r) {
    RequestView v = r.view();
    return fw->inspect(v, s);
  };
  send(TestRequest::chrome("/?q=union+select"));
  send(TestRequest::chrome("/?q=drop+table"));
  send(TestRequest::tool("curl/8.0", "/"));
  send(TestRequest::chrome("/ok"));
  EXPECT_EQ(fw->blockedRequests(), 3u);

  std::string text = registry.renderPrometheus();
  EXPECT_NE(text.find("shipgate_waf_blocked_requests_total 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shipgate_waf_rule_matches_total{rule=\"Block SQL injection attempts\","
                      "action=\"block\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shipgate_waf_rule_matches_total{rule=\"Block malicious bots\","
                      "action=\"block\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("shipgate_waf_rule_evaluations_total{rule=\"Block malicious bots\","
                      "action=\"block\"} 4\n"),
            std::string::npos);
  EXPECT_NE(text.find("shipgate_waf_rule_evaluation_seconds_total{rule=\"Rate limit API\""),
            std::string::npos);
  EXPECT_NE(text.find("shipgate_waf_decisions_total{action=\"block\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("shipgate_waf_decisions_total{action=\"pass\"} 1\n"), std::string::npos);

  std::string path = ::testing::TempDir() + "/firewall_metrics.prom";
  {
    std::ofstream out(path);
    out << text;
  }
  std::string cmd = "promtool check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) output += buf;
  int rc = pclose(p);
  EXPECT_EQ(rc, 0) << "promtool check metrics failed (is promtool installed?):\n" << output;
}

// Built with the gateway's registry, the firewall's counters are that registry's series: one
// snapshot and one Windows read them with the requests, and nothing is rendered twice.
TEST(FirewallMetrics, CountIntoTheGivenRegistry) {
  namespace names = metrics::names;
  SimulatedClock clock;
  auto c = testing::exampleConfig();
  ASSERT_NE(c, nullptr);
  metrics::Registry registry;
  metrics::Windows windows(registry, clock, {.interval = Millis(10'000), .windows = 6});
  auto built = Firewall::build(*c, clock, nullptr, &registry);
  ASSERT_TRUE(built.isOk()) << built.status().message();
  std::shared_ptr<const Firewall> fw = *built;
  EXPECT_EQ(&fw->metricsRegistry(), &registry);
  addFirewallCollector(registry, [fw] { return fw; });
  Scratch s;
  auto send = [&](TestRequest r) {
    RequestView v = r.view();
    return fw->inspect(v, s);
  };
  send(TestRequest::chrome("/?q=union+select"));
  send(TestRequest::chrome("/?q=drop+table"));
  send(TestRequest::tool("curl/8.0", "/"));
  send(TestRequest::chrome("/ok"));

  const metrics::Labels sqli = {{"rule", "Block SQL injection attempts"}, {"action", "block"}};
  const metrics::Labels bots = {{"rule", "Block malicious bots"}, {"action", "block"}};
  metrics::Snapshot snap = registry.snapshot();
  ASSERT_NE(snap.counter(names::kWafRuleMatches, sqli), nullptr);
  EXPECT_EQ(snap.counter(names::kWafRuleMatches, sqli)->value, 2u);
  EXPECT_EQ(snap.counter(names::kWafRuleBlocked, sqli)->value, 2u);
  EXPECT_EQ(snap.counter(names::kWafRuleMatches, bots)->value, 1u);
  EXPECT_EQ(snap.counter(names::kWafRuleBlocked, bots)->value, 1u);
  EXPECT_EQ(snap.counter(names::kWafRuleEvaluations, bots)->value, 4u);
  EXPECT_EQ(snap.counter(names::kWafBlocked, {})->value, 3u);
  EXPECT_EQ(snap.counter(names::kWafDecisions, {{"action", "block"}})->value, 3u);
  EXPECT_EQ(snap.counter(names::kWafDecisions, {{"action", "pass"}})->value, 1u);
  EXPECT_EQ(fw->blockedRequests(), 3u);

  std::string text = registry.renderPrometheus();
  auto occurrences = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
      ++n;
    }
    return n;
  };
  EXPECT_EQ(occurrences("# TYPE shipgate_waf_blocked_requests_total counter\n"), 1u) << text;
  EXPECT_EQ(occurrences("shipgate_waf_blocked_requests_total 3\n"), 1u) << text;
  EXPECT_EQ(occurrences("shipgate_waf_rule_blocked_requests_total{rule=\"Block SQL injection "
                        "attempts\",action=\"block\"} 2\n"),
            1u)
      << text;

  // A reload keeps counting in the same series; the window sees every block.
  auto reloaded = Firewall::build(*c, clock, fw.get(), &registry);
  ASSERT_TRUE(reloaded.isOk());
  Scratch s2;
  TestRequest again = TestRequest::chrome("/?q=union+select");
  RequestView v = again.view();
  EXPECT_EQ((*reloaded)->inspect(v, s2).outcome, Outcome::kBlock);
  EXPECT_EQ(registry.snapshot().counter(names::kWafRuleBlocked, sqli)->value, 3u);
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(windows.tick());
  EXPECT_EQ(windows.wafBlocks("Block SQL injection attempts", Millis(10'000)), 3u);
  EXPECT_EQ(windows.wafRule("Block malicious bots", Millis(10'000)).matches, 1u);
  EXPECT_EQ(windows.wafBlocked(Millis(10'000)), 4u);
}

// A disabled firewall puts nothing in the gateway's registry.
TEST(FirewallMetrics, ADisabledFirewallLeavesTheRegistryAlone) {
  SimulatedClock clock;
  auto c = testing::configFrom(R"yaml(
waf:
  enabled: false
security_rules:
  - name: "Block admin"
    expression: "(http.request.uri.path eq \"/admin\")"
    action: "block"
)yaml");
  ASSERT_NE(c, nullptr);
  metrics::Registry registry;
  auto fw = Firewall::build(*c, clock, nullptr, &registry);
  ASSERT_TRUE(fw.isOk()) << fw.status().message();
  EXPECT_FALSE((*fw)->enabled());
  EXPECT_NE(&(*fw)->metricsRegistry(), &registry);
  EXPECT_TRUE(registry.snapshot("shipgate_waf_").counters.empty());
}

TEST(FirewallLog, OneLinePerBlockWithRuleMatchedValuesAndRequestId) {
  SimulatedClock clock;
  auto fw = testing::exampleFirewall(clock);
  ASSERT_NE(fw, nullptr);
  std::string path = ::testing::TempDir() + "/firewall_log.txt";
  std::remove(path.c_str());
  ASSERT_TRUE(log::openErrorLog(path));
  Scratch s;
  TestRequest r = TestRequest::chrome("/search?q=union+select+" + std::string(200, 'a'));
  RequestView v = r.view();
  v.request_id = "req-42";
  Decision d = fw->inspect(v, s);
  TestRequest ok = TestRequest::chrome("/fine");
  RequestView okv = ok.view();
  fw->inspect(okv, s);
  log::openErrorLog("");
  ASSERT_EQ(d.outcome, Outcome::kBlock);
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string logged = text.str();
  EXPECT_EQ(std::count(logged.begin(), logged.end(), '\n'), 1) << logged;
  EXPECT_NE(logged.find("[warn] waf: block rule=\"Block SQL injection attempts\" event=" +
                        d.event_id + " request_id=req-42 client=198.51.100.7"),
            std::string::npos)
      << logged;
  // The matched value, cut to 64 bytes.
  EXPECT_NE(logged.find("matched: http.request.uri.query=\"q=union+select+aaaa"), std::string::npos)
      << logged;
  EXPECT_EQ(logged.find(std::string(100, 'a')), std::string::npos) << logged;
}

}  // namespace
}  // namespace shipgate::firewall
