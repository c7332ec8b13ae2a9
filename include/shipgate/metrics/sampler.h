// Sampler: a thread that calls Windows::tick() when each window is due, for processes that have
// no control loop to do it. It waits on a condition variable for Windows::untilNextWindow()
// (at most one second at a time, so it also notices a clock that is not real time). On a
// SimulatedClock, tests advance the clock and call wakeForTest(), or call Windows::tick()
// themselves.
// Thread-safety: start() and stop() from the owning thread; stop() is idempotent and the
// destructor stops. `windows` must outlive the Sampler.
#pragma once

#include "shipgate/common/periodic_thread.h"
#include "shipgate/metrics/windows.h"

namespace shipgate::metrics {

class Sampler {
 public:
  explicit Sampler(Windows& windows);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Starts the thread. REQUIRES: not started.
  void start();
  // Stops and joins the thread (no effect when not running).
  void stop();
  // Makes the thread look at the clock now instead of when its wait ends.
  void wakeForTest();

 private:
  PeriodicThread thread_;
};

}  // namespace shipgate::metrics
