#include "shipgate/common/clock_file.h"

#include <cstdlib>
#include <fstream>

namespace shipgate {

int64_t FileWallClock::wallMillis() const {
  std::ifstream in(path_);
  long long ms = 0;
  if (in >> ms && ms > 0) return ms;
  return RealClock::instance().wallMillis();
}

Clock& recordClock() {
  static Clock* clock = [] () -> Clock* {
    const char* path = std::getenv("SHIPGATE_CLOCK_FILE");
    if (path == nullptr || *path == '\0') return &RealClock::instance();
    static FileWallClock file_clock(path);
    return &file_clock;
  }();
  return *clock;
}

}  // namespace shipgate
