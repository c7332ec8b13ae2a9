// Sampler: the thread closes windows on the real clock and stops on request. It waits for the
// windows to close (not for a time) and asserts nothing about speed.
#include "shipgate/metrics/sampler.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace shipgate::metrics {
namespace {

TEST(MetricsSampler, ClosesWindowsUntilStopped) {
  Registry r;
  Windows w(r, RealClock::instance(), {.interval = Millis(1), .windows = 4});
  Sampler sampler(w);
  sampler.start();
  r.recordRequest({"api", "api", "blue", "eu"}, 200, 0.01);
  // Bounded so a broken sampler fails instead of hanging: 60 s of real time.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (w.requests("api", "blue", Millis(1'000'000)).total == 0 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
  sampler.stop();
  EXPECT_EQ(w.requests("api", "blue", Millis(1'000'000)).total, 1u);
  EXPECT_LE(w.windowCount(), 4u);
  uint64_t closed = w.closedWindows();
  EXPECT_GE(closed, 1u);
  sampler.stop();                        // idempotent
  EXPECT_EQ(w.closedWindows(), closed);  // stopped: nothing ticks any more
}

}  // namespace
}  // namespace shipgate::metrics
