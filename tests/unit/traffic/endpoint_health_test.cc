// EndpointHealth (the traffic layer's HealthSink): rise/fall turns check results into the
// EndpointState pick() reads, transitions are counted in the metrics registry, a removed target
// is released. On simulated time; no threads.
#include "shipgate/traffic/endpoint_health.h"

#include <gtest/gtest.h>

namespace shipgate::traffic {
namespace {

health::CheckResult ok() { return {true, std::chrono::microseconds(1500), "HTTP 200"}; }
health::CheckResult bad() { return {false, std::chrono::microseconds(700), "HTTP 503"}; }

health::HealthTarget target(int rise, int fall) {
  health::HealthTarget t;
  t.key = "api/blue/127.0.0.1:9101";
  t.address = {"127.0.0.1", 9101};
  t.check.rise = rise;
  t.check.fall = fall;
  return t;
}

// The transitions into state `to` ("healthy" | "unhealthy"), as /metrics renders them.
std::string transitionsLine(const metrics::Registry& metrics, const std::string& to) {
  const std::string text = metrics.renderPrometheus();
  const std::string want =
      "shipgate_endpoint_health_transitions_total{app=\"api\",slot=\"blue\","
      "endpoint=\"api/blue/127.0.0.1:9101\",to=\"" + to + "\"} ";
  const size_t at = text.find(want);
  if (at == std::string::npos) return "";
  return text.substr(at + want.size(), text.find('\n', at) - at - want.size());
}

class EndpointHealthTest : public ::testing::Test {
 protected:
  SimulatedClock clock;
  HealthRegistry registry{clock};
  metrics::Registry metrics;
  EndpointHealth sink{registry, metrics};
};

TEST_F(EndpointHealthTest, FallThenRiseAndCountTransitions) {
  const auto t = target(2, 3);
  auto state = registry.stateFor(t.key);
  sink.onResult(t, bad());
  sink.onResult(t, bad());
  EXPECT_TRUE(state->active_healthy.load());
  EXPECT_EQ(transitionsLine(metrics, "unhealthy"), "");
  sink.onResult(t, bad());
  EXPECT_FALSE(state->active_healthy.load());
  EXPECT_EQ(transitionsLine(metrics, "unhealthy"), "1");
  EXPECT_EQ(transitionsLine(metrics, "healthy"), "");
  sink.onResult(t, bad());
  sink.onResult(t, ok());
  EXPECT_FALSE(state->active_healthy.load());
  clock.advance(std::chrono::milliseconds(6));
  sink.onResult(t, ok());
  EXPECT_TRUE(state->active_healthy.load());
  EXPECT_EQ(transitionsLine(metrics, "healthy"), "1");
  EXPECT_EQ(transitionsLine(metrics, "unhealthy"), "1");
  EXPECT_EQ(state->last_check_latency_us.load(), 1500);
  EXPECT_EQ(state->last_check_wall_ms.load(), clock.wallMillis());
}

TEST_F(EndpointHealthTest, InterruptedStreaksDoNotCount) {
  const auto t = target(2, 2);
  auto state = registry.stateFor(t.key);
  for (int i = 0; i < 10; ++i) {
    sink.onResult(t, bad());
    sink.onResult(t, ok());
  }
  EXPECT_TRUE(state->active_healthy.load());
  sink.onResult(t, bad());
  sink.onResult(t, bad());
  EXPECT_FALSE(state->active_healthy.load());
  for (int i = 0; i < 10; ++i) {
    sink.onResult(t, ok());
    sink.onResult(t, bad());
  }
  EXPECT_FALSE(state->active_healthy.load());
  EXPECT_EQ(transitionsLine(metrics, "unhealthy"), "1");
  EXPECT_EQ(transitionsLine(metrics, "healthy"), "");
}

TEST_F(EndpointHealthTest, StartsFromTheSharedStateAndRemovalReleases) {
  const auto t = target(1, 1);
  auto state = registry.stateFor(t.key);
  state->active_healthy = false;  // e.g. held down before a restart of the checks
  sink.onResult(t, bad());
  EXPECT_FALSE(state->active_healthy.load());
  EXPECT_EQ(transitionsLine(metrics, "unhealthy"), "");  // already unhealthy: no transition
  sink.onTargetRemoved(t.key);
  EXPECT_TRUE(state->active_healthy.load());  // no longer checked: not held unhealthy
}

}  // namespace
}  // namespace shipgate::traffic
