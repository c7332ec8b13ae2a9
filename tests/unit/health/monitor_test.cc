// HealthMonitor on simulated time against real loopback sockets: scheduling, results reported to
// the traffic layer's sink (EndpointHealth applies rise/fall to the endpoints pick() reads), reload
// behaviour. Checks run synchronously via runDueChecks().
#include "shipgate/health/monitor.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>

#include "shipgate/traffic/endpoint_health.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::health {
namespace {

using std::chrono::milliseconds;

// A TCP listener on 127.0.0.1 that never accepts (the kernel completes handshakes into the
// backlog), which is all a tcp check needs.
class Listener {
 public:
  explicit Listener(uint16_t port = 0) { open(port); }
  ~Listener() { close(); }
  void open(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(port);
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0) << strerror(errno);
    ASSERT_EQ(::listen(fd_, 64), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class MonitorTest : public ::testing::Test {
 protected:
  std::shared_ptr<const traffic::TrafficPlan> buildPlan(bool with_health) {
    config::Config cfg;
    traffic::AppConfig app;
    app.name = "api";
    for (uint16_t port : {up.port(), down_port}) {
      traffic::EndpointConfig e;
      e.address = {"127.0.0.1", port};
      app.slots[0].endpoints.push_back(e);
    }
    if (with_health) {
      health::HealthCheckConfig hc;
      hc.kind = health::HealthKind::kTcp;
      hc.interval = Millis(5000);
      hc.jitter = 0.0;
      hc.timeout = Millis(2000);
      hc.rise = 2;
      hc.fall = 2;
      app.health = hc;
    }
    traffic::trafficConfigForTest(cfg).apps.push_back(app);
    auto plan = traffic::TrafficPlan::build(std::make_shared<const config::Config>(cfg), registry);
    EXPECT_TRUE(plan.isOk()) << plan.status().toString();
    return plan.value();
  }
  void SetUp() override {
    Listener closed;  // bound then closed: a port where nothing listens
    down_port = closed.port();
    closed.close();
  }
  const traffic::Endpoint& endpoint(const traffic::TrafficPlan& plan, uint16_t port) {
    for (const auto& e : plan.endpoints(0)) {
      if (e.address.port == port) return e;
    }
    ADD_FAILURE() << "no endpoint on port " << port;
    return plan.endpoints(0).front();
  }

  static std::vector<HealthTarget> targets(const traffic::TrafficPlan& plan) {
    return traffic::appTargets(plan.config());
  }

  SimulatedClock clock;
  traffic::HealthRegistry registry{clock};
  metrics::Registry metrics;
  traffic::EndpointHealth sink{registry, metrics};
  Listener up;
  uint16_t down_port = 0;
};

TEST_F(MonitorTest, FallAndRiseDriveWhatPickSees) {
  auto plan = buildPlan(true);
  HealthMonitor monitor(sink, clock, runCheck, 1, /*seed=*/42);
  monitor.update(targets(*plan));
  const auto& good = endpoint(*plan, up.port());
  const auto& bad = endpoint(*plan, down_port);

  EXPECT_EQ(monitor.runDueChecks(), 2);           // jitter 0: first checks are due at once
  EXPECT_EQ(monitor.runDueChecks(), 0);           // nothing due until the interval passes
  EXPECT_TRUE(bad.state->active_healthy.load());  // one failure < fall
  clock.advance(milliseconds(4999));
  EXPECT_EQ(monitor.runDueChecks(), 0);
  clock.advance(milliseconds(1));
  EXPECT_EQ(monitor.runDueChecks(), 2);
  EXPECT_FALSE(bad.state->active_healthy.load());
  EXPECT_TRUE(good.state->active_healthy.load());
  EXPECT_GE(good.state->last_check_latency_us.load(), 0);
  EXPECT_EQ(good.state->last_check_wall_ms.load(), clock.wallMillis());
  for (uint64_t r = 0; r < 10; ++r) EXPECT_EQ(plan->pick(0, {"", r, nullptr}).endpoint, &good);

  // The healthy one goes down: after `fall` checks nothing is left, and pick() says why.
  up.close();
  for (int i = 0; i < 2; ++i) {
    clock.advance(milliseconds(5000));
    EXPECT_EQ(monitor.runDueChecks(), 2);
  }
  EXPECT_FALSE(good.state->active_healthy.load());
  traffic::Pick p = plan->pick(0, {});
  EXPECT_EQ(p.endpoint, nullptr);
  EXPECT_NE(p.error.find("0 of 2 endpoints healthy"), std::string::npos) << p.error;
  EXPECT_NE(p.error.find("failing health check"), std::string::npos) << p.error;

  // It comes back on the same port: healthy again after `rise` passes.
  up.open(good.address.port);
  clock.advance(milliseconds(5000));
  monitor.runDueChecks();
  EXPECT_FALSE(good.state->active_healthy.load());
  clock.advance(milliseconds(5000));
  monitor.runDueChecks();
  EXPECT_TRUE(good.state->active_healthy.load());
  EXPECT_EQ(plan->pick(0, {}).endpoint, &good);

  bool saw_detail = false;
  for (const auto& s : monitor.status()) {
    if (s.key == bad.key) {
      EXPECT_GE(s.consecutive_failures, 2);
      EXPECT_NE(s.last_detail.find("connect to 127.0.0.1:"), std::string::npos) << s.last_detail;
      saw_detail = true;
    }
  }
  EXPECT_TRUE(saw_detail);
}

TEST_F(MonitorTest, ReloadKeepsCountersAndDroppingHealthReleasesEndpoints) {
  auto plan = buildPlan(true);
  HealthMonitor monitor(sink, clock, runCheck, 1, 7);
  monitor.update(targets(*plan));
  monitor.runDueChecks();
  // Reload: same endpoints, counters continue (one more failure reaches fall = 2).
  auto reloaded = buildPlan(true);
  monitor.update(targets(*reloaded));
  EXPECT_EQ(monitor.runDueChecks(), 0);  // schedule kept, nothing due yet
  clock.advance(milliseconds(5000));
  monitor.runDueChecks();
  EXPECT_FALSE(endpoint(*reloaded, down_port).state->active_healthy.load());
  // A config without health checks: nothing is checked, and nothing stays marked unhealthy.
  auto unchecked = buildPlan(false);
  monitor.update(targets(*unchecked));
  EXPECT_TRUE(monitor.status().empty());
  EXPECT_TRUE(endpoint(*unchecked, down_port).state->active_healthy.load());
  clock.advance(milliseconds(50000));
  EXPECT_EQ(monitor.runDueChecks(), 0);
}

TEST_F(MonitorTest, JitterSpreadsChecks) {
  auto plan = buildPlan(true);
  config::Config cfg = plan->config();
  traffic::trafficConfigForTest(cfg).apps[0].health->jitter = 0.5;
  auto jittered =
      traffic::TrafficPlan::build(std::make_shared<const config::Config>(cfg), registry).value();
  int calls = 0;
  HealthMonitor monitor(
      sink, clock,
      [&](const health::HealthCheckConfig&, const config::HostPort&) {
        ++calls;
        return CheckResult{true, std::chrono::microseconds(5), "ok"};
      },
      1, 3);
  monitor.update(targets(*jittered));
  // Over 100 s with interval 5 s and jitter 0.5, each endpoint is checked every 5..7.5 s.
  for (int step = 0; step < 1000; ++step) {
    clock.advance(milliseconds(100));
    monitor.runDueChecks();
  }
  EXPECT_GE(calls, 2 * 100 / 7.5 - 2);
  EXPECT_LE(calls, 2 * 100 / 5 + 2);
}

// A sink that records what the monitor reports, to test health/ on its own.
class RecordingSink final : public HealthSink {
 public:
  void onResult(const HealthTarget& target, const CheckResult& result) override {
    std::lock_guard<std::mutex> lock(mu);
    results.emplace_back(target.key, result.ok);
  }
  void onTargetRemoved(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mu);
    removed.push_back(key);
  }
  std::mutex mu;
  std::vector<std::pair<std::string, bool>> results;
  std::vector<std::string> removed;
};

TEST(HealthMonitorSinkTest, ReportsEveryResultAndEveryRemovedTarget) {
  SimulatedClock clock;
  RecordingSink sink;
  HealthMonitor monitor(
      sink, clock,
      [](const health::HealthCheckConfig&, const config::HostPort& address) {
        return CheckResult{address.port == 1, std::chrono::microseconds(3), "seen"};
      },
      1, 5);
  health::HealthCheckConfig check;
  check.interval = Millis(1000);
  check.jitter = 0.0;
  monitor.update({{"a", {"127.0.0.1", 1}, check}, {"b", {"127.0.0.1", 2}, check}});
  EXPECT_EQ(monitor.runDueChecks(), 2);
  clock.advance(std::chrono::milliseconds(1000));
  EXPECT_EQ(monitor.runDueChecks(), 2);
  {
    std::lock_guard<std::mutex> lock(sink.mu);
    ASSERT_EQ(sink.results.size(), 4u);
    int a_ok = 0, b_failed = 0;
    for (const auto& [key, ok] : sink.results) {
      a_ok += key == "a" && ok;
      b_failed += key == "b" && !ok;
    }
    EXPECT_EQ(a_ok, 2);
    EXPECT_EQ(b_failed, 2);
  }
  monitor.update({{"a", {"127.0.0.1", 1}, check}});
  {
    std::lock_guard<std::mutex> lock(sink.mu);
    EXPECT_EQ(sink.removed, std::vector<std::string>{"b"});
  }
  clock.advance(std::chrono::milliseconds(1000));
  EXPECT_EQ(monitor.runDueChecks(), 1);  // b is no longer checked
}

TEST(HealthTargetsTest, EveryEndpointOfAnAppWithAHealthBlockKeyedLikeTheDataPlane) {
  config::Config cfg;
  traffic::AppConfig checked, unchecked;
  checked.name = "api";
  checked.health = health::HealthCheckConfig{};
  traffic::EndpointConfig e;
  e.address = {"10.0.0.1", 80};
  checked.slots[0].endpoints.push_back(e);
  e.address = {"10.0.0.2", 80};
  checked.slots[1].endpoints.push_back(e);
  unchecked.name = "web";
  unchecked.slots[0].endpoints.push_back(e);
  traffic::trafficConfigForTest(cfg).apps = {checked, unchecked};
  const auto targets = traffic::appTargets(cfg);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].key, "api/blue/10.0.0.1:80");
  EXPECT_EQ(targets[1].key, "api/green/10.0.0.2:80");
  EXPECT_EQ(targets[1].address.host, "10.0.0.2");
}

}  // namespace
}  // namespace shipgate::health
