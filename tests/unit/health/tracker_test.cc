// HealthTracker: result streaks and jittered scheduling, on simulated time. (What a streak means
// for routing, rise/fall, is tested with traffic::EndpointHealth.)
#include "shipgate/health/tracker.h"

#include <gtest/gtest.h>

namespace shipgate::health {
namespace {

using std::chrono::milliseconds;

CheckResult ok() { return {true, std::chrono::microseconds(1500), "HTTP 200"}; }
CheckResult bad() { return {false, std::chrono::microseconds(700), "HTTP 503"}; }

health::HealthCheckConfig check() {
  health::HealthCheckConfig c;
  c.interval = Millis(5000);
  c.jitter = 0.2;
  return c;
}

TEST(HealthTrackerTest, StreaksResetOnTheOtherResult) {
  HealthTracker t(check());
  t.record(bad());
  t.record(bad());
  EXPECT_EQ(t.consecutiveFailures(), 2);
  EXPECT_EQ(t.consecutivePasses(), 0);
  t.record(ok());
  EXPECT_EQ(t.consecutiveFailures(), 0);
  EXPECT_EQ(t.consecutivePasses(), 1);
}

TEST(HealthTrackerTest, ScheduleAddsJitterWithinBounds) {
  SimulatedClock clock;
  HealthTracker t(check());
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
