#include "shipgate/common/periodic_thread.h"

#include <utility>

#include "shipgate/common/thread_name.h"

namespace shipgate {

PeriodicThread::PeriodicThread(std::string name,
                               std::function<Clock::time_point::duration()> next_wait,
                               std::function<void()> step)
    : name_(std::move(name)), next_wait_(std::move(next_wait)), step_(std::move(step)) {}

PeriodicThread::~PeriodicThread() { stop(); }

void PeriodicThread::start() {
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { run(); });
}

void PeriodicThread::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
  }
  cv_.notifyAll();
  if (thread_.joinable()) thread_.join();
}

void PeriodicThread::wake() {
  MutexLock lock(mu_);
  cv_.notifyAll();
}

void PeriodicThread::run() {
  setThreadName(name_);
  for (;;) {
    const Clock::time_point::duration wait = next_wait_();
    {
      MutexLock lock(mu_);
      if (!stopping_) cv_.waitFor(lock, wait);
      if (stopping_) return;
    }
    step_();
  }
}

}  // namespace shipgate
