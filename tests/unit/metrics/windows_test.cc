// Windows on a SimulatedClock: exact deltas per app/slot, WAF rule and endpoint after known
// increments; rollover of the ring; bounded memory; writers racing a ticking reader. No sleeps.
#include "shipgate/metrics/windows.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "shipgate/metrics/names.h"

namespace shipgate::metrics {
namespace {

using std::chrono::seconds;

constexpr Millis kTen{10'000};

void record(Registry& r, std::string_view slot, int status, double seconds, int times) {
  for (int i = 0; i < times; ++i) r.recordRequest({"api", "api", slot, "eu"}, status, seconds);
}

TEST(MetricsWindows, ClosesAWindowEveryIntervalWithExactDeltas) {
  SimulatedClock clock;
  Registry r;
  record(r, "blue", 200, 0.003, 5);  // before the baseline: in no window
  Windows w(r, clock, {.interval = kTen, .windows = 6});
  record(r, "blue", 200, 0.003, 90);
  record(r, "blue", 503, 0.2, 10);
  record(r, "green", 200, 0.003, 4);
  clock.advance(seconds(9));
  EXPECT_FALSE(w.tick());
  EXPECT_EQ(w.windowCount(), 0u);
  EXPECT_EQ(w.requests("api", "blue", kTen).total, 0u);  // nothing closed yet
  clock.advance(seconds(1));
  EXPECT_TRUE(w.tick());
  EXPECT_FALSE(w.tick());  // the next one is due in 10 s

  RequestCounts blue = w.requests("api", "blue", kTen);
  EXPECT_EQ(blue.total, 100u);
  EXPECT_EQ(blue.by_class[1], 90u);
  EXPECT_EQ(blue.by_class[4], 10u);
  EXPECT_EQ(blue.covered, kTen);
  EXPECT_EQ(w.requests("api", "green", kTen).total, 4u);
  EXPECT_EQ(w.requests("web", "blue", kTen).total, 0u);
  EXPECT_DOUBLE_EQ(*w.errorRate("api", "blue", kTen), 0.1);
  EXPECT_DOUBLE_EQ(*w.errorRate("api", "green", kTen), 0.0);
  EXPECT_FALSE(w.errorRate("web", "blue", kTen).has_value());
  // histogram_quantile: p50 in (0.001, 0.005] at rank 50 of 90; p99 in (0.1, 0.25] at 9 of 10.
  EXPECT_NEAR(*w.latencyQuantile("api", "blue", 0.5, kTen), 0.001 + 0.004 * 50 / 90, 1e-12);
  EXPECT_NEAR(*w.latencyQuantile("api", "blue", 0.99, kTen), 0.1 + 0.15 * 9 / 10, 1e-12);
  EXPECT_FALSE(w.latencyQuantile("web", "blue", 0.99, kTen).has_value());

  // The next window holds only what happened after the first closed.
  record(r, "blue", 200, 0.003, 7);
  clock.advance(seconds(10));
  EXPECT_TRUE(w.tick());
  EXPECT_EQ(w.requests("api", "blue", kTen).total, 7u);
  EXPECT_EQ(w.requests("api", "blue", Millis(20'000)).total, 107u);
  EXPECT_EQ(w.requests("api", "blue", Millis(20'000)).covered, Millis(20'000));
  EXPECT_DOUBLE_EQ(*w.errorRate("api", "blue", kTen), 0.0);
  EXPECT_EQ(w.closedWindows(), 2u);
}

TEST(MetricsWindows, WafRulesAndHealthTransitionsFromRegistryCounters) {
  SimulatedClock clock;
  Registry r;
  Counter matches = r.counter(names::kWafRuleMatches, {{"rule", "sqli"}, {"action", "block"}});
  Counter blocked = r.counter(names::kWafRuleBlocked, {{"rule", "sqli"}, {"action", "block"}});
  Counter all_blocked = r.counter(names::kWafBlocked, {});
  Windows w(r, clock, {.interval = kTen, .windows = 4});
  matches.add(6);
  blocked.add(4);
  all_blocked.add(4);
  r.recordHealthTransition("api", "blue", "api/blue/h:1", "unhealthy");
  r.recordHealthTransition("api", "blue", "api/blue/h:1", "healthy");
  r.recordHealthTransition("api", "blue", "api/blue/h:1", "unhealthy");
  r.recordHealthTransition("api", "blue", "api/blue/h:2", "unhealthy");
  clock.advance(kTen);
  ASSERT_TRUE(w.tick());
  EXPECT_EQ(w.wafRule("sqli", kTen).matches, 6u);
  EXPECT_EQ(w.wafBlocks("sqli", kTen), 4u);
  EXPECT_EQ(w.wafRule("other", kTen).matches, 0u);
  EXPECT_EQ(w.wafBlocked(kTen), 4u);
  EXPECT_EQ(w.healthTransitions("api/blue/h:1", "unhealthy", kTen), 2u);
  EXPECT_EQ(w.healthTransitions("api/blue/h:1", "", kTen), 3u);
  EXPECT_EQ(w.healthTransitions("api/blue/h:2", "healthy", kTen), 0u);

  clock.advance(kTen);
  ASSERT_TRUE(w.tick());
  EXPECT_EQ(w.wafBlocks("sqli", kTen), 0u);  // nothing new in the newest window
  EXPECT_EQ(w.wafBlocks("sqli", Millis(20'000)), 4u);
}

TEST(MetricsWindows, TheRingKeepsTheNewestWindowsOnly) {
  SimulatedClock clock;
  Registry r;
  Windows w(r, clock, {.interval = kTen, .windows = 3});
  for (int i = 1; i <= 8; ++i) {
    record(r, "blue", 200, 0.01, i);  // window i holds i requests
    clock.advance(kTen);
    ASSERT_TRUE(w.tick());
    EXPECT_LE(w.windowCount(), 3u);
  }
  EXPECT_EQ(w.windowCount(), 3u);
  EXPECT_EQ(w.closedWindows(), 8u);
  EXPECT_EQ(w.requests("api", "blue", Millis(0)).total, 8u);  // newest only
  EXPECT_EQ(w.requests("api", "blue", kTen).total, 8u);
  EXPECT_EQ(w.requests("api", "blue", Millis(10'001)).total, 15u);  // whole windows: 2
  EXPECT_EQ(w.requests("api", "blue", Millis(30'000)).total, 6u + 7u + 8u);
  // Asking for more history than is kept answers with what is kept, and says so.
  RequestCounts all = w.requests("api", "blue", Millis(600'000));
  EXPECT_EQ(all.total, 21u);
  EXPECT_EQ(all.covered, Millis(30'000));
}

TEST(MetricsWindows, APauseBecomesOneLongWindowAndTheGridRestarts) {
  SimulatedClock clock;
  Registry r;
  Windows w(r, clock, {.interval = kTen, .windows = 4});
  record(r, "blue", 200, 0.01, 3);
  clock.advance(seconds(35));
  ASSERT_TRUE(w.tick());
  RequestCounts c = w.requests("api", "blue", kTen);
  EXPECT_EQ(c.total, 3u);
  EXPECT_EQ(c.covered, Millis(35'000));
  EXPECT_EQ(w.untilNextWindow(), std::chrono::nanoseconds(kTen));
  clock.advance(seconds(10));
  EXPECT_TRUE(w.tick());
}

TEST(MetricsWindows, SeriesPastTheCapAreNotTrackedAndAreCounted) {
  SimulatedClock clock;
  Registry r;
  Windows w(r, clock, {.interval = kTen, .windows = 2, .max_series = 3});
  // Six series: three request-class counters for app a (2xx, 4xx, 5xx) and their histogram,
  // then two more apps' series.
  r.recordRequest({"s", "a", "blue", ""}, 200, 0.01);
  r.recordRequest({"s", "a", "blue", ""}, 404, 0.01);
  r.recordRequest({"s", "a", "blue", ""}, 503, 0.01);
  r.recordRequest({"s", "b", "blue", ""}, 200, 0.01);
  r.recordRequest({"s", "c", "blue", ""}, 200, 0.01);
  clock.advance(kTen);
  ASSERT_TRUE(w.tick());
  // Counters first (sorted by name), then histograms: a's three classes fill the cap.
  EXPECT_EQ(w.requests("s", "blue", kTen).total, 0u);  // no such app: labels are app and slot
  EXPECT_EQ(w.requests("a", "blue", kTen).total, 3u);
  EXPECT_EQ(w.requests("b", "blue", kTen).total, 0u);
  EXPECT_EQ(w.droppedSeries(), 2u + 3u);  // b's and c's counters, three histograms
  EXPECT_FALSE(w.latencyQuantile("a", "blue", 0.5, kTen).has_value());
  // The tracked series keep counting in later windows; the count of dropped ones grows per tick.
  r.recordRequest({"s", "a", "blue", ""}, 200, 0.01);
  clock.advance(kTen);
  ASSERT_TRUE(w.tick());
  EXPECT_EQ(w.requests("a", "blue", kTen).total, 1u);
  EXPECT_EQ(w.droppedSeries(), 10u);
}

TEST(MetricsWindows, ConcurrentWritersAndATickingReaderAgreeOnTheTotal) {
  SimulatedClock clock;
  Registry r;
  Windows w(r, clock, {.interval = Millis(1'000), .windows = 1000});
  std::atomic<bool> done{false};
  std::vector<std::thread> writers;
  constexpr int kPerThread = 20000;
  for (int t = 0; t < 3; ++t) {
    writers.emplace_back([&r, t] {
      for (int i = 0; i < kPerThread; ++i) {
        r.recordRequest({"api", "api", "blue", "eu"}, i % 10 == 0 ? 500 : 200, 0.002);
        r.recordHealthTransition("api", "blue", "api/blue/h:" + std::to_string(t), "unhealthy");
      }
    });
  }
  std::thread reader([&] {
    // Reads race the ticks: every answer is a whole number of whole windows.
    while (!done.load()) {
      RequestCounts c = w.requests("api", "blue", Millis(1'000'000));
      EXPECT_EQ(c.total, c.by_class[1] + c.by_class[4]);
      (void)w.latencyQuantile("api", "blue", 0.99, Millis(1'000'000));
    }
  });
  int ticks = 0;
  while (ticks < 200) {
    clock.advance(seconds(1));
    ASSERT_TRUE(w.tick());
    ++ticks;
  }
  for (auto& t : writers) t.join();
  clock.advance(seconds(1));
  ASSERT_TRUE(w.tick());
  done.store(true);
  reader.join();
  RequestCounts c = w.requests("api", "blue", Millis(1'000'000));
  EXPECT_EQ(c.total, 3u * kPerThread);
  EXPECT_EQ(c.by_class[4], 3u * kPerThread / 10);
  EXPECT_EQ(w.healthTransitions("api/blue/h:1", "unhealthy", Millis(1'000'000)), kPerThread);
}

}  // namespace
}  // namespace shipgate::metrics
