#include "shipgate/health/tracker.h"

#include <algorithm>

namespace shipgate::health {
namespace {

Clock::time_point::duration jittered(const HealthCheckConfig& check, double random01) {
  const double interval_ms = static_cast<double>(std::max<int64_t>(1, check.interval.count()));
  const double extra = std::max(0.0, check.jitter) * interval_ms * random01;
  return std::chrono::duration_cast<Clock::time_point::duration>(
      std::chrono::duration<double, std::milli>(interval_ms + extra));
}

}  // namespace

void HealthTracker::record(const CheckResult& result) {
  if (result.ok) {
    ++passes_;
    failures_ = 0;
  } else {
    ++failures_;
    passes_ = 0;
  }
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
