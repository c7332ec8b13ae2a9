// EventLoop: one edge-triggered epoll reactor per worker thread, with fd readiness callbacks, an
// intrusive timer heap driven by the injected Clock, and post() for tasks from other threads
// (woken through an eventfd), and DeferredCall for work that waits for the end of the iteration.
//
// Threading: everything except post(), stop() and wake() must be called on the loop's thread (the
// thread running run()). Handlers registered with add() must outlive their registration; the
// loop never owns them. Timers live inside their owners and cancel themselves on destruction.
#pragma once

#include <sys/epoll.h>

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"

namespace shipgate::net {

// Receives readiness events (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR bits).
class IoHandler {
 public:
  virtual void onIoEvent(uint32_t events) = 0;

 protected:
  ~IoHandler() = default;
};

class EventLoop;

// A one-shot timer owned by its user. arm*() (re)schedules it, cancel() unschedules it; the
// callback runs on the loop thread, once its latest deadline has passed and only if it is still
// armed. The loop's heap is updated lazily, because timeouts are mostly pushed back or cancelled
// long before they expire: cancel() and a later deadline leave the timer where it is in the heap
// (O(1)); when its old slot comes due it is dropped or re-queued. An earlier deadline moves it
// (O(log n)); the destructor takes it out. No allocation.
class Timer {
 public:
  using Callback = std::function<void()>;
  Timer(EventLoop& loop, Callback callback);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void armAt(Clock::time_point when);
  void armAfter(Millis delay);
  void cancel();
  bool armed() const { return armed_; }
  Clock::time_point deadline() const { return when_; }

 private:
  friend class EventLoop;
  EventLoop& loop_;
  Callback callback_;
  Clock::time_point when_{};  // the deadline (meaningful while armed)
  Clock::time_point key_{};   // the heap's key: <= when_ while armed
  int index_ = -1;            // position in the loop's heap; -1 when not in it
  bool armed_ = false;
};

// A call owned by its user that runs once at the end of the loop's current iteration, after its
// events, due timers and posted tasks. The proxy queues its upstream writes this way: the requests
// of one iteration leave together, so a peer on another CPU that went idle is woken once for all
// of them instead of once each (waking an idle CPU costs the sender an interrupt; Envoy and Redis
// write at the end of the iteration for the same reason). schedule() queues it (a queued call
// stays queued once); cancel() and the destructor take it out. No allocation.
class DeferredCall {
 public:
  using Callback = std::function<void()>;
  DeferredCall(EventLoop& loop, Callback callback);
  ~DeferredCall();
  DeferredCall(const DeferredCall&) = delete;
  DeferredCall& operator=(const DeferredCall&) = delete;

  void schedule();
  void cancel();
  bool scheduled() const { return queued_; }

 private:
  friend class EventLoop;
  EventLoop& loop_;
  Callback callback_;
  DeferredCall* prev_ = nullptr;  // the loop's queue: a doubly linked list, oldest first
  DeferredCall* next_ = nullptr;
  bool queued_ = false;
};

class EventLoop {
 public:
  static Result<std::unique_ptr<EventLoop>> create(Clock& clock);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Registers fd for `events` (EPOLLET is added). REQUIRES: loop thread.
  Status add(int fd, uint32_t events, IoHandler* handler);
  Status modify(int fd, uint32_t events, IoHandler* handler);
  // Unregisters fd (before closing it). Events already fetched for this fd in the current
  // iteration are still delivered, so handlers must tolerate events after remove().
  void remove(int fd);

  // Runs task on the loop thread at the next iteration. Thread-safe.
  void post(std::function<void()> task);
  // Wakes the loop (e.g. after a SimulatedClock moved). Thread-safe.
  void wake();
  // Makes run() return after the current iteration. Thread-safe.
  void stop();

  // Runs until stop(). Binds the loop to the calling thread.
  void run();
  // One iteration: waits at most max_wait for events (none while a DeferredCall is queued), then
  // dispatches events, due timers, posted tasks, the deferred calls (those they queue too) and
  // the end-of-iteration hook.
  void runOnce(Millis max_wait);

  // Called at the end of every iteration (used to free connections closed during it).
  void setIterationEndHook(std::function<void()> hook) { iteration_end_ = std::move(hook); }

  Clock& clock() const { return clock_; }
  // Time cached at the start of the current iteration (cheap; refreshed every iteration).
  Clock::time_point now() const { return now_; }
  bool inLoopThread() const;

 private:
  friend class Timer;
  friend class DeferredCall;
  EventLoop(Clock& clock, int epfd, int evfd);
  void heapPush(Timer* t);
  void heapRemove(Timer* t);
  void heapFix(int i);
  void siftUp(int i);
  void siftDown(int i);
  void runTimers();
  void runPosted();
  void runDeferred();
  void unlink(DeferredCall* d);
  int waitMillis(Millis max_wait) const;

  Clock& clock_;
  int epfd_;
  int evfd_;
  Clock::time_point now_;
  std::vector<Timer*> heap_;
  std::vector<epoll_event> events_;
  DeferredCall* deferred_head_ = nullptr;
  DeferredCall* deferred_tail_ = nullptr;
  std::function<void()> iteration_end_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> thread_id_{0};
  Mutex post_mu_;
  std::vector<std::function<void()>> posted_ GUARDED_BY(post_mu_);
  std::vector<std::function<void()>> running_;
};

}  // namespace shipgate::net
