// HealthTracker: rise/fall thresholds and jittered scheduling, on simulated time.
#include "shipgate/health/tracker.h"

#include <gtest/gtest.h>

namespace shipgate::health {
namespace {

using std::chrono::milliseconds;

CheckResult ok() { return {true, std::chrono::microseconds(1500), "HTTP 200"}; }
CheckResult bad() { return {false, std::chrono::microseconds(700), "HTTP 503"}; }

config::HealthCheckConfig check(int rise, int fall) {
  config::HealthCheckConfig c;
  c.rise = rise;
  c.fall = fall;
  c.interval = Millis(5000);
  c.jitter = 0.2;
  return c;
}

TEST(HealthTrackerTest, FallThenRise) {
  auto state = std::make_shared<traffic::EndpointState>();
  HealthTracker t(check(2, 3), state);
  using T = HealthTracker::Transition;
  EXPECT_EQ(t.record(bad(), 1), T::kNone);
  EXPECT_EQ(t.record(bad(), 2), T::kNone);
  EXPECT_TRUE(state->active_healthy.load());
  EXPECT_EQ(t.record(bad(), 3), T::kBecameUnhealthy);
  EXPECT_FALSE(state->active_healthy.load());
  EXPECT_FALSE(t.healthy());
  EXPECT_EQ(t.record(bad(), 4), T::kNone);
  EXPECT_EQ(t.record(ok(), 5), T::kNone);
  EXPECT_FALSE(state->active_healthy.load());
  EXPECT_EQ(t.record(ok(), 6), T::kBecameHealthy);
  EXPECT_TRUE(state->active_healthy.load());
  EXPECT_EQ(state->last_check_latency_us.load(), 1500);
  EXPECT_EQ(state->last_check_wall_ms.load(), 6);
}

TEST(HealthTrackerTest, InterruptedStreaksDoNotCount) {
  auto state = std::make_shared<traffic::EndpointState>();
  HealthTracker t(check(2, 2), state);
  for (int i = 0; i < 10; ++i) {
    t.record(bad(), i);
    t.record(ok(), i);
  }
  EXPECT_TRUE(state->active_healthy.load());
  t.record(bad(), 20);
  t.record(bad(), 21);
  EXPECT_FALSE(state->active_healthy.load());
  for (int i = 0; i < 10; ++i) {
    t.record(ok(), i);
    t.record(bad(), i);
  }
  EXPECT_FALSE(state->active_healthy.load());
  EXPECT_EQ(t.consecutiveFailures(), 1);
}

TEST(HealthTrackerTest, StartsFromTheSharedState) {
  auto state = std::make_shared<traffic::EndpointState>();
  state->active_healthy = false;  // e.g. a reload while the endpoint was down
  HealthTracker t(check(1, 1), state);
  EXPECT_FALSE(t.healthy());
  EXPECT_EQ(t.record(ok(), 1), HealthTracker::Transition::kBecameHealthy);
}

TEST(HealthTrackerTest, ScheduleAddsJitterWithinBounds) {
  SimulatedClock clock;
  HealthTracker t(check(1, 1), std::make_shared<traffic::EndpointState>());
  const auto now = clock.now();
  t.scheduleNext(now, 0.0);
  EXPECT_EQ(t.due() - now, milliseconds(5000));
  t.scheduleNext(now, 0.5);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(t.due() - now), milliseconds(5500));
  t.scheduleNext(now, 0.999);
  EXPECT_LT(t.due() - now, milliseconds(6000));
  t.scheduleFirst(now, 0.5);
  EXPECT_EQ(std::chrono::duration_cast<milliseconds>(t.due() - now), milliseconds(500));
}

}  // namespace
}  // namespace shipgate::health
