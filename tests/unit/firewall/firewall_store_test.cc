// The firewall's half of shared rate limits (waf.rate_limit.store): inspectShared() stops before
// the rate limits with one check per store-counted rule, finishInspect() applies the store's
// decisions, or the per-node counters when the store could not answer. Simulated time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "unit/firewall/firewall_fixture.h"

namespace shipgate::firewall {
namespace {

using testing::TestRequest;

const char* kYaml =
    "waf:\n  rate_limit: {store: \"redis://127.0.0.1:6390\", timeout: 20ms}\n"
    "security_rules:\n"
    "  - name: \"Rate limit API\"\n"
    "    expression: 'http.request.uri.path contains \"/api/\"'\n"
    "    action: rate_limit\n"
    "    rate_limit: \"3req/min\"\n"
    "  - name: \"Login failures\"\n"
    "    expression: 'http.request.uri.path eq \"/api/login\"'\n"
    "    action: rate_limit\n"
    "    ratelimit: {requests_per_period: 5, period: 60s, counting_expression: "
    "'http.response.code eq 401'}\n";

TEST(FirewallStore, InspectSharedLeavesOneCheckPerStoreCountedRule) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(kYaml, clock);
  ASSERT_NE(fw, nullptr);
  ASSERT_TRUE(fw->usesStore());
  EXPECT_EQ(fw->storeUrl()->port, 6390);
  EXPECT_EQ(fw->storeTimeout().count(), 20);
  Scratch s;
  TestRequest r = TestRequest::chrome("/api/login");
  r.client_ip = "203.0.113.9";
  RequestView v = r.view();
  Decision d;
  fw->inspectShared(v, s, d);
  ASSERT_TRUE(d.awaiting_store);
  EXPECT_EQ(d.outcome, Outcome::kPass);
  // The rule with a counting_expression counts per node: one check, for the first rule.
  ASSERT_EQ(s.storeChecks().size(), 1u);
  EXPECT_EQ(s.storeChecks()[0].key, "shipgate:rl:Rate limit API:203.0.113.9");
  EXPECT_EQ(s.storeChecks()[0].limit, 3);
  EXPECT_EQ(s.storeChecks()[0].period_ms, 60'000);
  EXPECT_EQ(s.storeChecks()[0].mitigation_ms, 0);

  // The store says limited: 429 with its Retry-After.
  shield::RateDecision limited;
  limited.limited = true;
  limited.limit = 3;
  limited.retry_after_s = 17;
  limited.reset_s = 17;
  std::vector<shield::RateDecision> answer = {limited};
  fw->finishInspect(v, s, answer, d);
  EXPECT_FALSE(d.awaiting_store);
  EXPECT_EQ(d.outcome, Outcome::kRateLimited);
  EXPECT_EQ(d.status, 429);
  EXPECT_EQ(d.headers.find("Retry-After").value_or(""), "17");
}

TEST(FirewallStore, NoAnswerFallsBackToThePerNodeCounters) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(kYaml, clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  TestRequest r = TestRequest::chrome("/api/listings");
  RequestView v = r.view();
  for (int i = 1; i <= 4; ++i) {
    Decision d;
    fw->inspectShared(v, s, d);
    ASSERT_TRUE(d.awaiting_store);
    fw->finishInspect(v, s, {}, d);  // the store could not answer
    EXPECT_EQ(d.outcome, i <= 3 ? Outcome::kPass : Outcome::kRateLimited) << "request " << i;
  }
  // Outside every rate-limit rule, nothing waits for the store.
  TestRequest page = TestRequest::chrome("/listings");
  RequestView pv = page.view();
  Decision d;
  fw->inspectShared(pv, s, d);
  EXPECT_FALSE(d.awaiting_store);
  EXPECT_EQ(d.outcome, Outcome::kPass);
}

TEST(FirewallStore, WithoutAStoreInspectSharedIsInspect) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(
      "security_rules:\n"
      "  - {name: api, expression: 'http.request.uri.path contains \"/api/\"', action: "
      "rate_limit, rate_limit: \"1req/min\"}\n",
      clock);
  ASSERT_NE(fw, nullptr);
  EXPECT_FALSE(fw->usesStore());
  Scratch s;
  TestRequest r = TestRequest::chrome("/api/x");
  RequestView v = r.view();
  Decision first;
  fw->inspectShared(v, s, first);
  EXPECT_FALSE(first.awaiting_store);
  EXPECT_EQ(first.outcome, Outcome::kPass);
  Decision second;
  fw->inspectShared(v, s, second);
  EXPECT_EQ(second.outcome, Outcome::kRateLimited);
}

}  // namespace
}  // namespace shipgate::firewall
