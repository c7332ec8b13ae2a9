// HealthMonitor's worker threads on the real clock, against a real HTTP upstream whose health
// endpoint is switched between 200 and 503: the endpoint leaves and rejoins the pick() set.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "http_server.h"
#include "shipgate/health/monitor.h"
#include "shipgate/traffic/endpoint_health.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/plan.h"
#include "support/threads.h"

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

// App "api" with an endpoint on each of `ports` (blue slot), checked by GET /health every
// `interval`; rise and fall 2.
config::Config httpChecked(const std::vector<uint16_t>& ports, Millis interval, double jitter) {
  config::Config cfg;
  traffic::AppConfig app;
  app.name = "api";
  for (uint16_t port : ports) {
    traffic::EndpointConfig e;
    e.address = {"127.0.0.1", port};
    app.slots[0].endpoints.push_back(e);
  }
  health::HealthCheckConfig hc;
  hc.kind = health::HealthKind::kHttp;
  hc.path = "/health";
  hc.interval = interval;
  hc.jitter = jitter;
  hc.timeout = Millis(1000);
  hc.rise = 2;
  hc.fall = 2;
  app.health = hc;
  traffic::trafficConfigForTest(cfg).apps.push_back(app);
  return cfg;
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
  const config::Config cfg = httpChecked({a.port(), b.port()}, Millis(30), 0.2);

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

// On the real clock the workers sleep until a check is due, not a fixed slice at a time: with no
// target they do not wake at all until update(), and with one target checked every 400 ms they
// wake a few times a check. (They woke every 50 ms before: 4 workers, 47 times in these 500 ms.)
// The checks still run on time.
TEST(MonitorThreadsTest, IdleWorkersSleepUntilACheckIsDue) {
  std::atomic<int> hits{0};
  testing::HttpServer a;
  a.server().Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    ++hits;
    res.set_content("x", "text/plain");
  });
  a.start();

  metrics::Registry metrics;
  traffic::HealthRegistry registry(RealClock::instance());
  traffic::EndpointHealth sink(registry, metrics);
  HealthMonitor monitor(sink, RealClock::instance());
  monitor.start();
  std::this_thread::sleep_for(milliseconds(100));  // the workers are waiting
  long before = testsupport::voluntarySwitches("sg-health");
  ASSERT_GE(before, 0) << "no thread named sg-health";
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_LE(testsupport::voluntarySwitches("sg-health") - before, 0)
      << "workers with no target woke up";

  monitor.update(traffic::appTargets(httpChecked({a.port()}, Millis(400), 0)));
  ASSERT_TRUE(eventually([&] { return hits.load() >= 1; })) << "the first check did not run";
  const int hits_before = hits.load();
  before = testsupport::voluntarySwitches("sg-health");
  std::this_thread::sleep_for(milliseconds(2000));
  const int checks = hits.load() - hits_before;
  const long woken = testsupport::voluntarySwitches("sg-health") - before;
  // Every 400 ms: 5 checks in 2 s (4 to 6 with the test's own scheduling).
  EXPECT_GE(checks, 4);
  EXPECT_LE(checks, 6);
  // Each check: the worker that ran the last one wakes at its due time (the others, having found
  // it running, wait for update() or stop()) and waits for the HTTP answer once or twice; 2 to 3
  // a check measured, 195 in all before.
  EXPECT_LE(woken, 8L * checks) << woken << " wake-ups for " << checks << " checks";
  monitor.stop();
}

}  // namespace
}  // namespace shipgate::health
