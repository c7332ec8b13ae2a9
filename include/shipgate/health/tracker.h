// HealthTracker: the rise/fall state machine and schedule of one endpoint's active health check,
// apart from any thread so tests drive it on simulated time.
//
// Starts from the endpoint's current EndpointState::active_healthy (true for a new endpoint).
// `fall` consecutive failures make a healthy endpoint unhealthy; `rise` consecutive passes make an
// unhealthy one healthy again. Every result is written to the EndpointState (active_healthy,
// last_check_latency_us, last_check_wall_ms).
// Thread-safety: none; HealthMonitor serialises access to each tracker.
#pragma once

#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/config/config.h"
#include "shipgate/health/checker.h"
#include "shipgate/traffic/endpoint.h"

namespace shipgate::health {

class HealthTracker {
 public:
  enum class Transition { kNone, kBecameHealthy, kBecameUnhealthy };

  HealthTracker(config::HealthCheckConfig check, std::shared_ptr<traffic::EndpointState> state);

  // Applies one check result taken at wall time wall_ms.
  Transition record(const CheckResult& result, int64_t wall_ms);

  // The next check is due at now + interval + jitter * interval * random01 (random01 in [0, 1)).
  void scheduleNext(Clock::time_point now, double random01);
  // The first check: spread over one jittered interval so a fleet does not probe in lock step.
  void scheduleFirst(Clock::time_point now, double random01);
  Clock::time_point due() const { return due_; }

  bool healthy() const { return healthy_; }
  int consecutivePasses() const { return passes_; }
  int consecutiveFailures() const { return failures_; }
  const config::HealthCheckConfig& check() const { return check_; }
  void setCheck(config::HealthCheckConfig check) { check_ = std::move(check); }
  const std::shared_ptr<traffic::EndpointState>& state() const { return state_; }

 private:
  config::HealthCheckConfig check_;
  std::shared_ptr<traffic::EndpointState> state_;
  bool healthy_;
  int passes_ = 0;
  int failures_ = 0;
  Clock::time_point due_{};
};

}  // namespace shipgate::health
