#include "memory_return.h"

#include <malloc.h>

#include <chrono>

namespace shipgate::server {

bool TrimPolicy::observe(int64_t connections, Clock::time_point now) {
  if (connections > peak_) peak_ = connections;
  if (peak_ - connections < kMinDrop || connections > peak_ / 2) return false;
  if (trimmed_ && now - last_trim_ < kMinInterval) return false;
  trimmed_ = true;
  last_trim_ = now;
  peak_ = connections;
  return true;
}

MemoryReturn::MemoryReturn(const std::atomic<int64_t>& connections, Clock& clock)
    : connections_(connections),
      clock_(clock),
      thread_(
          "sg-memreturn", [] { return std::chrono::seconds(1); }, [this] { check(); }) {}

MemoryReturn::~MemoryReturn() { stop(); }

void MemoryReturn::start() { thread_.start(); }

void MemoryReturn::stop() { thread_.stop(); }

void MemoryReturn::check() {
  if (policy_.observe(connections_.load(std::memory_order_relaxed), clock_.now())) {
    malloc_trim(0);
  }
}

}  // namespace shipgate::server
