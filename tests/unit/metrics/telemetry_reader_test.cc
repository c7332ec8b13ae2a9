// The TelemetryReader seam: a consumer written against the interface runs unchanged on the fake
// (set answers) and on Windows over a real registry (counted answers).
#include <gtest/gtest.h>

#include "shipgate/metrics/windows.h"
#include "unit/metrics/fake_telemetry_reader.h"

namespace shipgate::metrics {
namespace {

// What a release controller's trigger looks like: it sees only the interface.
struct Verdict {
  bool roll_back = false;
  std::string why;
};
Verdict judge(const TelemetryReader& t, std::string_view app, std::string_view slot) {
  const Millis span(60'000);
  if (t.requests(app, slot, span).total < 20) return {false, "not enough traffic"};
  if (t.errorRate(app, slot, span).value_or(0) > 0.05) return {true, "error rate"};
  if (t.latencyQuantile(app, slot, 0.99, span).value_or(0) > 0.5) return {true, "p99"};
  if (t.wafBlocks("Block SQL injection attempts", span) > 100) return {true, "waf"};
  return {false, "healthy"};
}

TEST(TelemetryReader, AConsumerRunsOnTheFake) {
  testing::FakeTelemetryReader fake;
  EXPECT_EQ(judge(fake, "api", "green").why, "not enough traffic");
  RequestCounts c;
  c.total = 100;
  c.by_class = {0, 90, 0, 0, 10};
  fake.setRequests("api", "green", c);
  EXPECT_DOUBLE_EQ(*fake.errorRate("api", "green", Millis(1)), 0.1);
  EXPECT_EQ(judge(fake, "api", "green").why, "error rate");
  EXPECT_EQ(fake.lastSpan(), Millis(60'000));
  c.by_class = {0, 100, 0, 0, 0};
  fake.setRequests("api", "green", c);
  fake.setLatency("api", "green", 0.99, 0.8);
  EXPECT_EQ(judge(fake, "api", "green").why, "p99");
  fake.setLatency("api", "green", 0.99, 0.1);
  fake.setRule("Block SQL injection attempts", {500, 101});
  EXPECT_EQ(judge(fake, "api", "green").why, "waf");
  fake.setHealthTransitions("api/green/h:1", "unhealthy", 2);
  fake.setHealthTransitions("api/green/h:1", "healthy", 1);
  EXPECT_EQ(fake.healthTransitions("api/green/h:1", "", Millis(1)), 3u);
}

TEST(TelemetryReader, TheSameConsumerRunsOnWindows) {
  SimulatedClock clock;
  Registry r;
  Windows w(r, clock, {.interval = Millis(10'000), .windows = 12});
  for (int i = 0; i < 95; ++i) r.recordRequest({"api", "api", "green", "eu"}, 200, 0.02);
  for (int i = 0; i < 5; ++i) r.recordRequest({"api", "api", "green", "eu"}, 502, 0.02);
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(w.tick());
  EXPECT_EQ(judge(w, "api", "green").why, "healthy");  // 5% is not above 5%
  r.recordRequest({"api", "api", "green", "eu"}, 502, 0.02);
  clock.advance(std::chrono::seconds(10));
  ASSERT_TRUE(w.tick());
  EXPECT_EQ(judge(w, "api", "green").why, "error rate");  // 6 of 101 over the last minute
}

}  // namespace
}  // namespace shipgate::metrics
