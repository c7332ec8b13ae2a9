// HealthMonitor's worker threads on the real clock, against a real HTTP upstream whose health
// endpoint is switched between 200 and 503: the endpoint leaves and rejoins the pick() set.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "http_server.h"
#include "shipgate/health/monitor.h"
#include "shipgate/traffic/endpoint_health.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::health {
namespace {

using config::Millis;

using std::chrono::milliseconds;

template <typename Pred>
bool eventually(Pred pred, milliseconds limit = milliseconds(10000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return pred();
}

TEST(MonitorThreadsTest, UpstreamLeavesAndRejoins) {
  std::atomic<int> status{200};
  std::atomic<int> hits{0};
  testing::HttpServer a, b;
  for (auto* srv : {&a, &b}) {
    srv->server().Get("/health", [&, srv](const httplib::Request&, httplib::Response& res) {
      if (srv == &a) {
        ++hits;
        res.status = status.load();
      }
      res.set_content("x", "text/plain");
    });
    srv->start();
  }
  config::Config cfg;
  traffic::AppConfig app;
  app.name = "api";
  for (auto* srv : {&a, &b}) {
    traffic::EndpointConfig e;
    e.address = {"127.0.0.1", srv->port()};
    app.slots[0].endpoints.push_back(e);
  }
  health::HealthCheckConfig hc;
  hc.kind = health::HealthKind::kHttp;
  hc.path = "/health";
  hc.interval = Millis(30);
  hc.jitter = 0.2;
  hc.timeout = Millis(1000);
  hc.rise = 2;
  hc.fall = 2;
  app.health = hc;
  traffic::trafficConfigForTest(cfg).apps.push_back(app);

  traffic::HealthRegistry registry(RealClock::instance());
  auto plan = traffic::TrafficPlan::build(std::make_shared<const config::Config>(cfg), registry);
  ASSERT_TRUE(plan.isOk()) << plan.status().toString();
  const traffic::Endpoint& ea = plan.value()->endpoints(0)[0];

  metrics::Registry metrics;
  traffic::EndpointHealth sink(registry, metrics);
  HealthMonitor monitor(sink, RealClock::instance());
  monitor.update(traffic::appTargets(cfg));
  monitor.start();
  ASSERT_TRUE(eventually([&] { return hits.load() >= 3; })) << "checks are not running";
  EXPECT_TRUE(ea.state->active_healthy.load());

  status = 503;
  ASSERT_TRUE(eventually([&] { return !ea.state->active_healthy.load(); }));
  for (uint64_t r = 0; r < 20; ++r) {
    EXPECT_NE(plan.value()->pick(0, {"", r, nullptr}).endpoint, &ea);
  }
  status = 200;
  ASSERT_TRUE(eventually([&] { return ea.state->active_healthy.load(); }));
  monitor.stop();
  const int after_stop = hits.load();
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(hits.load(), after_stop) << "checks ran after stop()";
}

}  // namespace
}  // namespace shipgate::health
