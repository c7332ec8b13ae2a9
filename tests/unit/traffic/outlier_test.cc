// Passive outlier detection on simulated time: thresholds, growing ejection, cap, max percent.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "plan_fixture.h"

namespace shipgate::traffic {
namespace {

using std::chrono::seconds;
using testing::PlanFixture;

class OutlierTest : public ::testing::Test {
 protected:
  void build(int endpoints, traffic::OutlierConfig oc = {}) {
    config::Config cfg;
    trafficConfigForTest(cfg).apps.push_back(testing::app("api", endpoints, 1));
    trafficConfigForTest(cfg).apps[0].outlier = oc;
    fx.build(cfg);
  }
  const Endpoint& ep(int i) { return fx.endpoint(0, "127.0.0.1:" + std::to_string(9101 + i)); }
  void fail(const Endpoint& e, Outcome o, int times) {
    for (int i = 0; i < times; ++i) {
      fx.plan->onRequestStart(e);
      fx.plan->onRequestEnd(e, o);
    }
  }
  int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(fx.clock.now().time_since_epoch())
        .count();
  }
  bool ejected(const Endpoint& e) { return e.state->ejected_until_ms.load() > nowMs(); }
  PlanFixture fx;
};

TEST_F(OutlierTest, Consecutive5xxEjectsAtThreshold) {
  build(2);
  fail(ep(0), Outcome::kHttp5xx, 4);
  EXPECT_FALSE(ejected(ep(0)));
  fail(ep(0), Outcome::kHttp5xx, 1);
  EXPECT_TRUE(ejected(ep(0)));
  EXPECT_EQ(ep(0).state->ejected_until_ms.load(), nowMs() + 30'000);
  EXPECT_EQ(ep(0).state->ejections.load(), 1);
  EXPECT_EQ(ep(0).state->in_flight.load(), 0);
  for (uint64_t r = 0; r < 10; ++r) EXPECT_EQ(fx.plan->pick(0, {"", r, nullptr}).endpoint, &ep(1));
  fx.clock.advance(seconds(29));
  EXPECT_TRUE(ejected(ep(0)));
  fx.clock.advance(seconds(1));
  EXPECT_FALSE(ejected(ep(0)));
  int hits = 0;
  for (int i = 0; i < 10; ++i) hits += fx.plan->pick(0, {}).endpoint == &ep(0);
  EXPECT_EQ(hits, 5);
}

TEST_F(OutlierTest, GatewayFailuresEjectSooner) {
  build(2);
  fail(ep(0), Outcome::kConnectFailure, 1);
  fail(ep(0), Outcome::kReset, 1);
  EXPECT_FALSE(ejected(ep(0)));
  fail(ep(0), Outcome::kTimeout, 1);
  EXPECT_TRUE(ejected(ep(0)));
}

TEST_F(OutlierTest, SuccessResetsCounters) {
  build(2);
  fail(ep(0), Outcome::kHttp5xx, 4);
  fail(ep(0), Outcome::kSuccess, 1);
  EXPECT_EQ(ep(0).state->consecutive_5xx.load(), 0);
  fail(ep(0), Outcome::kHttp5xx, 4);
  EXPECT_FALSE(ejected(ep(0)));
  fail(ep(0), Outcome::kSuccess, 1);
  fail(ep(0), Outcome::kConnectFailure, 2);
  fail(ep(0), Outcome::kSuccess, 1);
  fail(ep(0), Outcome::kConnectFailure, 2);
  EXPECT_FALSE(ejected(ep(0)));
}

TEST_F(OutlierTest, GatewayFailuresCountAs5xxToo) {
  traffic::OutlierConfig oc;
  oc.consecutive_gateway_failures = 0;  // off: only the 5xx threshold applies
  build(2, oc);
  fail(ep(0), Outcome::kHttp5xx, 3);
  fail(ep(0), Outcome::kReset, 1);
  EXPECT_FALSE(ejected(ep(0)));
  fail(ep(0), Outcome::kConnectFailure, 1);
  EXPECT_TRUE(ejected(ep(0)));
}

TEST_F(OutlierTest, EjectionTimeGrowsAndIsCapped) {
  traffic::OutlierConfig oc;
  oc.base_ejection = Millis(10'000);
  oc.max_ejection = Millis(25'000);
  build(2, oc);
  const int64_t expected[] = {10'000, 20'000, 25'000, 25'000};
  for (int64_t want : expected) {
    fail(ep(0), Outcome::kConnectFailure, 3);
    ASSERT_TRUE(ejected(ep(0)));
    EXPECT_EQ(ep(0).state->ejected_until_ms.load() - nowMs(), want);
    fx.clock.advance(std::chrono::milliseconds(want));
    EXPECT_FALSE(ejected(ep(0)));
  }
  EXPECT_EQ(ep(0).state->ejections.load(), 4);
  // Serving well for max_ejection after the last ejection starts the count again.
  fx.clock.advance(seconds(25));
  fail(ep(0), Outcome::kSuccess, 1);
  EXPECT_EQ(ep(0).state->ejections.load(), 0);
  fail(ep(0), Outcome::kConnectFailure, 3);
  EXPECT_EQ(ep(0).state->ejected_until_ms.load() - nowMs(), 10'000);
}

TEST_F(OutlierTest, NeverEjectsMoreThanMaxPercentOfTheSlot) {
  build(4);  // max_ejection_percent 50 -> 2 of 4
  for (int i = 0; i < 4; ++i) fail(ep(i), Outcome::kConnectFailure, 3);
  EXPECT_TRUE(ejected(ep(0)));
  EXPECT_TRUE(ejected(ep(1)));
  EXPECT_FALSE(ejected(ep(2)));
  EXPECT_FALSE(ejected(ep(3)));
  // The green slot (one endpoint) is counted apart; one endpoint may always be ejected.
  const Endpoint& green = fx.endpoint(0, "127.0.0.1:9201");
  fail(green, Outcome::kConnectFailure, 3);
  EXPECT_TRUE(ejected(green));
  // Once the first ejections expire, another endpoint may take a turn.
  fx.clock.advance(seconds(30));
  fail(ep(2), Outcome::kConnectFailure, 3);
  EXPECT_TRUE(ejected(ep(2)));
}

TEST_F(OutlierTest, LowPercentStillAllowsOne) {
  traffic::OutlierConfig oc;
  oc.max_ejection_percent = 10;
  build(3, oc);
  fail(ep(0), Outcome::kHttp5xx, 5);
  fail(ep(1), Outcome::kHttp5xx, 5);
  EXPECT_TRUE(ejected(ep(0)));
  EXPECT_FALSE(ejected(ep(1)));
}

TEST_F(OutlierTest, DisabledNeverEjects) {
  traffic::OutlierConfig oc;
  oc.enabled = false;
  build(2, oc);
  fail(ep(0), Outcome::kConnectFailure, 50);
  EXPECT_FALSE(ejected(ep(0)));
  EXPECT_EQ(ep(0).state->in_flight.load(), 0);
}

TEST_F(OutlierTest, ConcurrentTrafficKeepsCountsAndCap) {
  build(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([this, t] {
      for (uint64_t i = 0; i < 20000; ++i) {
        Pick p = fx.plan->pick(0, {"", i * 31 + t, nullptr});
        if (p.endpoint == nullptr) continue;
        fx.plan->onRequestStart(*p.endpoint);
        // Endpoints 9101 and 9102 always fail; the others always succeed.
        const bool failing = p.endpoint->address.port <= 9102;
        fx.plan->onRequestEnd(*p.endpoint, failing ? Outcome::kConnectFailure : Outcome::kSuccess);
      }
    });
  }
  for (auto& t : threads) t.join();
  int ejected_now = 0;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(ep(i).state->in_flight.load(), 0);
    ejected_now += ejected(ep(i));
  }
  EXPECT_LE(ejected_now, 2);
  EXPECT_TRUE(ejected(ep(0)));
  EXPECT_TRUE(ejected(ep(1)));
  EXPECT_EQ(ep(0).state->ejections.load(), 1);  // simulated time stood still: ejected once
}

}  // namespace
}  // namespace shipgate::traffic
