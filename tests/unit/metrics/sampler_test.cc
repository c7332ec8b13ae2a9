// Sampler: the thread closes a window when one is due on the windows' clock, and stops on
// request. On a SimulatedClock the test decides when a window is due; it then waits for the
// window to close (not for a time) and asserts nothing about speed.
#include "shipgate/metrics/sampler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace shipgate::metrics {
namespace {

// Waits until `windows` has closed `n` windows, waking the sampler; false after 60 s of real
// time (a broken sampler fails instead of hanging).
bool waitForWindows(Sampler& sampler, const Windows& windows, uint64_t n) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (windows.closedWindows() < n) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    sampler.wakeForTest();
    std::this_thread::yield();
  }
  return true;
}

TEST(MetricsSampler, ClosesEachWindowWhenItIsDueAndStops) {
  SimulatedClock clock;
  Registry r;
  Windows w(r, clock, {.interval = Millis(10'000), .windows = 4});
  Sampler sampler(w);
  sampler.start();
  r.recordRequest({"api", "api", "blue", "eu"}, 200, 0.01);
  clock.advance(std::chrono::seconds(9));
  sampler.wakeForTest();
  EXPECT_EQ(w.closedWindows(), 0u);
  clock.advance(std::chrono::seconds(1));
  ASSERT_TRUE(waitForWindows(sampler, w, 1));
  EXPECT_EQ(w.requests("api", "blue", Millis(10'000)).total, 1u);
  r.recordRequest({"api", "api", "blue", "eu"}, 500, 0.01);
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(waitForWindows(sampler, w, 2));
  EXPECT_EQ(w.requests("api", "blue", Millis(10'000)).by_class[4], 1u);
  EXPECT_EQ(w.requests("api", "blue", Millis(20'000)).total, 2u);
  sampler.stop();
  sampler.stop();  // idempotent
  clock.advance(std::chrono::seconds(10));
  EXPECT_EQ(w.closedWindows(), 2u);  // stopped: nothing ticks any more
}

TEST(MetricsSampler, RunsOnTheRealClock) {
  Registry r;
  Windows w(r, RealClock::instance(), {.interval = Millis(1), .windows = 4});
  Sampler sampler(w);
  sampler.start();
  ASSERT_TRUE(waitForWindows(sampler, w, 3));
  sampler.stop();
  EXPECT_LE(w.windowCount(), 4u);
}

}  // namespace
}  // namespace shipgate::metrics
