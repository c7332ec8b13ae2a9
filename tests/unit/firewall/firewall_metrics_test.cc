// Per-rule metrics and the blocked-requests counter, rendered through a metrics::Registry
// collector and validated with promtool.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "shipgate/common/log.h"
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
