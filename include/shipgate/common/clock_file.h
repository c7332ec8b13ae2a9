// The test-only clock knob: with the environment variable SHIPGATE_CLOCK_FILE naming a file,
// recordClock() is a clock whose wall time (wallMillis) is the integer in that file (Unix
// milliseconds), read at each call; its monotonic time (now) stays real, so timeouts and waits
// behave as usual. Without the variable (production), recordClock() is RealClock::instance().
//
// Used only where shipgate stamps records that DORA reads: the release controller's clock in
// `serve` (deployment, step and incident times), the DORA gauges and `shipgate dora`'s "now".
// It lets a test record a history spread over days (scripts/dora-history.sh). A file that is
// missing or does not hold a number gives the real wall time.
// Thread-safety: thread-safe.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "shipgate/common/clock.h"

namespace shipgate {

class FileWallClock final : public Clock {
 public:
  explicit FileWallClock(std::string path) : path_(std::move(path)) {}
  time_point now() const override { return std::chrono::steady_clock::now(); }
  int64_t wallMillis() const override;
  // The monotonic time is real: a wait sleeps for the whole time left.
  std::chrono::nanoseconds sleepFor(std::chrono::nanoseconds left,
                                    std::chrono::nanoseconds /*recheck*/) const override {
    return std::max(left, std::chrono::nanoseconds::zero());
  }

 private:
  const std::string path_;
};

// FileWallClock over $SHIPGATE_CLOCK_FILE when it is set and not empty, else RealClock.
Clock& recordClock();

}  // namespace shipgate
