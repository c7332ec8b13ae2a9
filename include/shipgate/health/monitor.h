// HealthMonitor: runs every app endpoint's active health check in the background and applies
// rise/fall (HealthTracker) to the shared EndpointState the data plane reads.
//
// update() (re)sets the endpoints to check from a TrafficPlan: each app's `health` config is
// applied to every endpoint of both slots; endpoints that stay (same key) keep their counters, new
// ones get their first check spread over one interval, dropped ones stop being checked (and are
// marked healthy again, so a removed health config does not strand them). Scheduling reads the
// injected Clock: worker threads wake at least every 50 ms of real time and run what is due by
// clock.now(), so with a SimulatedClock tests decide when checks happen; runDueChecks() does the
// same synchronously on the calling thread. Transitions are logged ("endpoint
// api/blue/127.0.0.1:9101 unhealthy: <detail>"). Thread-safety: all public methods are thread-safe.
// The CheckFn is called from worker threads (several at once) and must be thread-safe.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/tracker.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::health {

class HealthMonitor {
 public:
  using CheckFn =
      std::function<CheckResult(const config::HealthCheckConfig&, const config::HostPort&)>;

  // `check` defaults to runCheck (real probes); `threads` checks may run at once.
  HealthMonitor(traffic::HealthRegistry& registry, Clock& clock, CheckFn check = runCheck,
                int threads = 4, uint64_t seed = std::random_device{}());
  ~HealthMonitor();  // stop()s
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void update(const std::shared_ptr<const traffic::TrafficPlan>& plan);
  void start();  // idempotent
  void stop();   // joins the workers; idempotent; checks in progress finish first

  // Runs every check due at clock.now() on this thread (skipping ones a worker is running).
  // Returns how many ran.
  int runDueChecks();

  struct TargetStatus {
    std::string key;  // Endpoint::key
    bool healthy = true;
    int consecutive_passes = 0;
    int consecutive_failures = 0;
    std::string last_detail;
  };
  std::vector<TargetStatus> status() const;

 private:
  struct Target;
  void workerLoop();
  // Picks a due, idle target (marking it running) or returns null. REQUIRES: mu_ held.
  std::shared_ptr<Target> takeDue(Clock::time_point now);
  void runOne(const std::shared_ptr<Target>& target);
  double random01();  // REQUIRES: mu_ held

  traffic::HealthRegistry& registry_;
  Clock& clock_;
  CheckFn check_;
  int thread_count_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<Target>> targets_;  // GUARDED_BY(mu_)
  std::mt19937_64 rng_;                           // GUARDED_BY(mu_)
  bool stopping_ = false;                         // GUARDED_BY(mu_)
  std::vector<std::thread> workers_;              // GUARDED_BY(mu_)
};

}  // namespace shipgate::health
