// PeriodicThread: one background thread that waits, runs a step, and waits again until stopped.
// `name` names the thread (see thread_name.h: "sg-sampler", at most 15 bytes shown).
// `next_wait` is asked before each wait how long to wait (the thread also wakes on wake() and
// on stop()); `step` runs after each wait, without the thread's lock held. Used by the metrics
// sampler and the gateway's memory return.
// Thread-safety: start() and stop() from the owning thread; stop() is idempotent and the
// destructor stops. Whatever the callables touch must outlive the thread.
#pragma once

#include <functional>
#include <string>
#include <thread>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"

namespace shipgate {

class PeriodicThread {
 public:
  PeriodicThread(std::string name, std::function<Clock::time_point::duration()> next_wait,
                 std::function<void()> step);
  ~PeriodicThread();
  PeriodicThread(const PeriodicThread&) = delete;
  PeriodicThread& operator=(const PeriodicThread&) = delete;

  // Starts the thread. REQUIRES: not started.
  void start();
  // Stops and joins the thread (no effect when not running).
  void stop();
  // Ends the current wait now: the step runs at once.
  void wake();

 private:
  void run();

  std::string name_;
  std::function<Clock::time_point::duration()> next_wait_;
  std::function<void()> step_;
  Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace shipgate
