#include "shipgate/health/tracker.h"

#include <algorithm>

namespace shipgate::health {
namespace {

Clock::time_point::duration jittered(const config::HealthCheckConfig& check, double random01) {
  const double interval_ms = static_cast<double>(std::max<int64_t>(1, check.interval.count()));
  const double extra = std::max(0.0, check.jitter) * interval_ms * random01;
  return std::chrono::duration_cast<Clock::time_point::duration>(
      std::chrono::duration<double, std::milli>(interval_ms + extra));
}

}  // namespace

HealthTracker::HealthTracker(config::HealthCheckConfig check,
                             std::shared_ptr<traffic::EndpointState> state)
    : check_(std::move(check)), state_(std::move(state)), healthy_(state_->active_healthy.load()) {}

HealthTracker::Transition HealthTracker::record(const CheckResult& result, int64_t wall_ms) {
  state_->last_check_latency_us.store(result.latency.count(), std::memory_order_relaxed);
  state_->last_check_wall_ms.store(wall_ms, std::memory_order_relaxed);
  Transition t = Transition::kNone;
  if (result.ok) {
    ++passes_;
    failures_ = 0;
    if (!healthy_ && passes_ >= std::max(1, check_.rise)) {
      healthy_ = true;
      t = Transition::kBecameHealthy;
    }
  } else {
    ++failures_;
    passes_ = 0;
    if (healthy_ && failures_ >= std::max(1, check_.fall)) {
      healthy_ = false;
      t = Transition::kBecameUnhealthy;
    }
  }
  state_->active_healthy.store(healthy_, std::memory_order_relaxed);
  return t;
}

void HealthTracker::scheduleNext(Clock::time_point now, double random01) {
  due_ = now + jittered(check_, random01);
}

void HealthTracker::scheduleFirst(Clock::time_point now, double random01) {
  const double interval_ms = static_cast<double>(std::max<int64_t>(1, check_.interval.count()));
  due_ = now + std::chrono::duration_cast<Clock::time_point::duration>(
                   std::chrono::duration<double, std::milli>(interval_ms * random01 *
                                                             std::max(0.0, check_.jitter)));
}

}  // namespace shipgate::health
