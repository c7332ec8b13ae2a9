// HealthTracker: the schedule of one target's active health check and the streak of its raw
// results (for status output), apart from any thread so tests drive it on simulated time. What a
// result means for routing (rise/fall) is the HealthSink's decision, not the tracker's.
// Thread-safety: none; HealthMonitor serialises access to each tracker.
#pragma once

#include "shipgate/common/clock.h"
#include "shipgate/config/config.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/health_config.h"

namespace shipgate::health {

class HealthTracker {
 public:
  explicit HealthTracker(HealthCheckConfig check) : check_(std::move(check)) {}

  // Counts one result into the pass/failure streaks.
  void record(const CheckResult& result);

  // The next check is due at now + interval + jitter * interval * random01 (random01 in [0, 1)).
  void scheduleNext(Clock::time_point now, double random01);
  // The first check: spread over one jittered interval so a fleet does not probe in lock step.
  void scheduleFirst(Clock::time_point now, double random01);
  Clock::time_point due() const { return due_; }

  int consecutivePasses() const { return passes_; }
  int consecutiveFailures() const { return failures_; }
  const HealthCheckConfig& check() const { return check_; }
  void setCheck(HealthCheckConfig check) { check_ = std::move(check); }

 private:
  HealthCheckConfig check_;
  int passes_ = 0;
  int failures_ = 0;
  Clock::time_point due_{};
};

}  // namespace shipgate::health
