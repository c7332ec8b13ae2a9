#include "shipgate/common/clock.h"

namespace shipgate {

int64_t RealClock::wallMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

RealClock& RealClock::instance() {
  static RealClock clock;
  return clock;
}

}  // namespace shipgate
