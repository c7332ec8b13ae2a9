// Clock: the injectable time source. Components that wait, expire or schedule take a Clock& so
// tests drive them on simulated time (SimulatedClock) instead of sleeping.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace shipgate {

using Millis = std::chrono::milliseconds;

class Clock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  // Monotonic time, for intervals and timeouts.
  virtual time_point now() const = 0;
  // Wall-clock time in milliseconds since the Unix epoch, for logs, cookies and HTTP dates.
  virtual int64_t wallMillis() const = 0;
  // How long a thread that waits for `left` more of this clock's time may sleep, in real time,
  // before it reads the clock again. The real clock: `left` itself (never less than zero). A
  // clock that moves only when told to wakes no one when it moves: at most `recheck`, so that a
  // waiter notices an advance() within `recheck`.
  virtual std::chrono::nanoseconds sleepFor(std::chrono::nanoseconds left,
                                            std::chrono::nanoseconds recheck) const = 0;
};

// The real clock. Thread-safe.
class RealClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::steady_clock::now(); }
  int64_t wallMillis() const override;
  std::chrono::nanoseconds sleepFor(std::chrono::nanoseconds left,
                                    std::chrono::nanoseconds /*recheck*/) const override {
    return std::max(left, std::chrono::nanoseconds::zero());
  }
  static RealClock& instance();
};

// A clock that only moves when told to. Thread-safe.
class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(int64_t wall_start_ms = 1'700'000'000'000) : wall_ms_(wall_start_ms) {}
  time_point now() const override { return time_point(std::chrono::nanoseconds(mono_ns_.load())); }
  int64_t wallMillis() const override { return wall_ms_.load(); }
  std::chrono::nanoseconds sleepFor(std::chrono::nanoseconds left,
                                    std::chrono::nanoseconds recheck) const override {
    return std::min(std::max(left, std::chrono::nanoseconds::zero()), recheck);
  }
  void advance(std::chrono::nanoseconds d) {
    mono_ns_ += d.count();
    wall_ms_ += std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  }

 private:
  std::atomic<int64_t> mono_ns_{1'000'000'000};
  std::atomic<int64_t> wall_ms_;
};

}  // namespace shipgate
