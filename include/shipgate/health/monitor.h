// HealthMonitor: runs the active health check of every target in the background and reports each
// result to a HealthSink, which decides what it means (the traffic layer applies rise/fall).
//
// update() (re)sets the targets (traffic::appTargets(config) for the app endpoints): targets that
// stay (same key) keep their schedule and streaks, new ones get their first check spread over one
// interval, dropped ones stop being checked and the sink hears onTargetRemoved. Scheduling reads
// the injected Clock: worker threads run what is due by clock.now() and sleep until the next check
// is due (on the real clock; with no target, until update() or stop()). A clock moved by hand
// (SimulatedClock) is re-read every 50 ms of real time, so tests decide when checks happen;
// runDueChecks() does the same synchronously on the calling thread.
// Thread-safety: all public methods are thread-safe. The CheckFn and the sink are called from
// worker threads (several at once, never twice at once for one target) and must be thread-safe.
// REQUIRES: the sink outlives the monitor.
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/sink.h"
#include "shipgate/health/tracker.h"

namespace shipgate::health {

class HealthMonitor {
 public:
  using CheckFn = std::function<CheckResult(const HealthCheckConfig&, const config::HostPort&)>;

  // `check` defaults to runCheck (real probes); `threads` checks may run at once.
  HealthMonitor(HealthSink& sink, Clock& clock, CheckFn check = runCheck, int threads = 4,
                uint64_t seed = std::random_device{}());
  ~HealthMonitor();  // stop()s
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  void update(const std::vector<HealthTarget>& targets);
  void start();  // idempotent
  void stop();   // joins the workers; idempotent; checks in progress finish first

  // Runs every check due at clock.now() on this thread (skipping ones a worker is running).
  // Returns how many ran.
  int runDueChecks();

  struct TargetStatus {
    std::string key;
    int consecutive_passes = 0;
    int consecutive_failures = 0;
    std::string last_detail;
  };
  std::vector<TargetStatus> status() const;

 private:
  struct Target;
  void workerLoop();
  // Picks a due, idle target (marking it running) or returns null.
  std::shared_ptr<Target> takeDue(Clock::time_point now) REQUIRES(mu_);
  void runOne(const std::shared_ptr<Target>& target);
  double random01() REQUIRES(mu_);

  HealthSink& sink_;
  Clock& clock_;
  CheckFn check_;
  int thread_count_;
  mutable Mutex mu_;
  CondVar cv_;
  std::vector<std::shared_ptr<Target>> targets_ GUARDED_BY(mu_);
  std::mt19937_64 rng_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_ GUARDED_BY(mu_);
};

}  // namespace shipgate::health
