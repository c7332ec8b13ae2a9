// MemoryReturn: gives memory the allocator keeps but no longer uses back to the system after a
// burst of connections ends. glibc's malloc keeps freed memory in its arenas (one per worker
// thread): without this, RSS after an attack of 2,000 slow readers stayed near its peak with a
// small fraction of it in use. One thread, once a second, reads the gateway's connection count
// and, when TrimPolicy says the burst is over, calls malloc_trim(0), which walks every arena and
// returns their free pages. Nothing runs on the request path, and an idle or steady gateway is
// never trimmed. start()/stop() from one control thread.
#pragma once

#include <atomic>
#include <cstdint>

#include "shipgate/common/clock.h"
#include "shipgate/common/periodic_thread.h"

namespace shipgate::server {

// When to trim: the connection count fell to at most half of its peak since the last trim (or
// since start), by at least kMinDrop connections, and the last trim is kMinInterval ago.
class TrimPolicy {
 public:
  static constexpr int64_t kMinDrop = 64;
  static constexpr Millis kMinInterval{5'000};

  // One observation of the count; true when the caller should trim now (the peak restarts at
  // `connections`).
  bool observe(int64_t connections, Clock::time_point now);

 private:
  int64_t peak_ = 0;
  Clock::time_point last_trim_{};
  bool trimmed_ = false;
};

class MemoryReturn {
 public:
  MemoryReturn(const std::atomic<int64_t>& connections, Clock& clock);
  ~MemoryReturn();
  MemoryReturn(const MemoryReturn&) = delete;
  MemoryReturn& operator=(const MemoryReturn&) = delete;

  void start();
  void stop();

 private:
  void check();  // on the thread: one observation, and a trim when the policy says so

  const std::atomic<int64_t>& connections_;
  Clock& clock_;
  TrimPolicy policy_;  // the thread's own
  PeriodicThread thread_;
};

}  // namespace shipgate::server
