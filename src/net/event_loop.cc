#include "shipgate/net/event_loop.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>

namespace shipgate::net {

// ---- Timer ----

Timer::Timer(EventLoop& loop, Callback callback) : loop_(loop), callback_(std::move(callback)) {}

Timer::~Timer() {
  if (index_ >= 0) loop_.heapRemove(this);
}

void Timer::armAt(Clock::time_point when) {
  when_ = when;
  armed_ = true;
  if (index_ < 0) {
    key_ = when;
    loop_.heapPush(this);
  } else if (when < key_) {
    key_ = when;
    loop_.heapFix(index_);
  }
  // else: later than its slot in the heap; runTimers() re-queues it when that slot comes due.
}

void Timer::armAfter(Millis delay) { armAt(loop_.now() + delay); }

void Timer::cancel() { armed_ = false; }

// ---- EventLoop ----

Result<std::unique_ptr<EventLoop>> EventLoop::create(Clock& clock) {
  int epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) return Status::fromErrno("epoll_create1", errno);
  int evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (evfd < 0) {
    int err = errno;
    close(epfd);
    return Status::fromErrno("eventfd", err);
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.ptr = nullptr;  // nullptr marks the wake-up eventfd
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) != 0) {
    int err = errno;
    close(epfd);
    close(evfd);
    return Status::fromErrno("epoll_ctl(eventfd)", err);
  }
  return std::unique_ptr<EventLoop>(new EventLoop(clock, epfd, evfd));
}

DeferredCall::DeferredCall(EventLoop& loop, Callback callback)
    : loop_(loop), callback_(std::move(callback)) {}

DeferredCall::~DeferredCall() { cancel(); }

void DeferredCall::schedule() {
  if (queued_) return;
  queued_ = true;
  prev_ = loop_.deferred_tail_;
  next_ = nullptr;
  if (prev_ != nullptr) {
    prev_->next_ = this;
  } else {
    loop_.deferred_head_ = this;
  }
  loop_.deferred_tail_ = this;
}

void DeferredCall::cancel() {
  if (queued_) loop_.unlink(this);
}

void EventLoop::unlink(DeferredCall* d) {
  if (d->prev_ != nullptr) {
    d->prev_->next_ = d->next_;
  } else {
    deferred_head_ = d->next_;
  }
  if (d->next_ != nullptr) {
    d->next_->prev_ = d->prev_;
  } else {
    deferred_tail_ = d->prev_;
  }
  d->prev_ = d->next_ = nullptr;
  d->queued_ = false;
}

EventLoop::EventLoop(Clock& clock, int epfd, int evfd)
    : clock_(clock), epfd_(epfd), evfd_(evfd), now_(clock.now()) {
  events_.resize(256);
}

EventLoop::~EventLoop() {
  for (Timer* t : heap_) {
    t->index_ = -1;
    t->armed_ = false;
  }
  while (deferred_head_ != nullptr) unlink(deferred_head_);
  close(evfd_);
  close(epfd_);
}

Status EventLoop::add(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev) != 0) return Status::fromErrno("epoll_ctl add", errno);
  return Status::success();
}

Status EventLoop::modify(int fd, uint32_t events, IoHandler* handler) {
  epoll_event ev{};
  ev.events = events | EPOLLET;
  ev.data.ptr = handler;
  if (epoll_ctl(epfd_, EPOLL_CTL_MOD, fd, &ev) != 0) return Status::fromErrno("epoll_ctl mod", errno);
  return Status::success();
}

void EventLoop::remove(int fd) { epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr); }

void EventLoop::post(std::function<void()> task) {
  {
    MutexLock lock(post_mu_);
    posted_.push_back(std::move(task));
  }
  wake();
}

void EventLoop::wake() {
  uint64_t one = 1;
  ssize_t n = write(evfd_, &one, sizeof(one));
  (void)n;
}

void EventLoop::stop() {
  stop_.store(true);
  wake();
}

bool EventLoop::inLoopThread() const {
  return thread_id_.load(std::memory_order_relaxed) == static_cast<uint64_t>(pthread_self());
}

void EventLoop::run() {
  thread_id_.store(static_cast<uint64_t>(pthread_self()));
  while (!stop_.load(std::memory_order_relaxed)) runOnce(Millis(1000));
  runPosted();
}

int EventLoop::waitMillis(Millis max_wait) const {
  if (deferred_head_ != nullptr) return 0;
  if (heap_.empty()) return static_cast<int>(max_wait.count());
  auto until = heap_[0]->key_ - clock_.now();
  if (until <= Clock::time_point::duration::zero()) return 0;
  auto ms = std::chrono::duration_cast<Millis>(until).count() + 1;
  return static_cast<int>(std::min<int64_t>(ms, max_wait.count()));
}

void EventLoop::runOnce(Millis max_wait) {
  if (thread_id_.load(std::memory_order_relaxed) == 0) {
    thread_id_.store(static_cast<uint64_t>(pthread_self()));
  }
  int n = epoll_wait(epfd_, events_.data(), static_cast<int>(events_.size()), waitMillis(max_wait));
  now_ = clock_.now();
  for (int i = 0; i < n; ++i) {
    auto* h = static_cast<IoHandler*>(events_[i].data.ptr);
    if (h == nullptr) {
      uint64_t v;
      while (read(evfd_, &v, sizeof(v)) > 0) {
      }
      continue;
    }
    h->onIoEvent(events_[i].events);
  }
  if (n == static_cast<int>(events_.size()) && events_.size() < 4096) events_.resize(events_.size() * 2);
  runTimers();
  runPosted();
  runDeferred();
  if (iteration_end_) iteration_end_();
}

void EventLoop::runDeferred() {
  // Oldest first; a call queued by one that runs here runs in this pass too.
  while (deferred_head_ != nullptr) {
    DeferredCall* d = deferred_head_;
    unlink(d);
    d->callback_();  // may destroy d's owner, or queue calls
  }
}

void EventLoop::runTimers() {
  now_ = clock_.now();
  while (!heap_.empty() && heap_[0]->key_ <= now_) {
    Timer* t = heap_[0];
    if (t->armed_ && t->when_ != t->key_) {  // pushed back since it was queued: queue it again
      t->key_ = t->when_;
      heapFix(0);
      continue;
    }
    heapRemove(t);
    if (!t->armed_) continue;  // cancelled since it was queued
    t->armed_ = false;
    t->callback_();  // may re-arm t or destroy its owner
  }
}

void EventLoop::runPosted() {
  {
    MutexLock lock(post_mu_);
    if (posted_.empty()) return;
    running_.swap(posted_);
  }
  for (auto& task : running_) task();
  running_.clear();
}

// ---- heap ----

void EventLoop::heapPush(Timer* t) {
  t->index_ = static_cast<int>(heap_.size());
  heap_.push_back(t);
  siftUp(t->index_);
}

void EventLoop::heapRemove(Timer* t) {
  int i = t->index_;
  int last = static_cast<int>(heap_.size()) - 1;
  if (i != last) {
    heap_[i] = heap_[last];
    heap_[i]->index_ = i;
  }
  heap_.pop_back();
  t->index_ = -1;
  if (i < static_cast<int>(heap_.size())) heapFix(i);
}

void EventLoop::heapFix(int i) {
  if (i > 0 && heap_[i]->key_ < heap_[(i - 1) / 2]->key_) {
    siftUp(i);
  } else {
    siftDown(i);
  }
}

void EventLoop::siftUp(int i) {
  while (i > 0) {
    int p = (i - 1) / 2;
    if (!(heap_[i]->key_ < heap_[p]->key_)) break;
    std::swap(heap_[i], heap_[p]);
    heap_[i]->index_ = i;
    heap_[p]->index_ = p;
    i = p;
  }
}

void EventLoop::siftDown(int i) {
  int n = static_cast<int>(heap_.size());
  for (;;) {
    int l = 2 * i + 1;
    int r = l + 1;
    int m = i;
    if (l < n && heap_[l]->key_ < heap_[m]->key_) m = l;
    if (r < n && heap_[r]->key_ < heap_[m]->key_) m = r;
    if (m == i) break;
    std::swap(heap_[i], heap_[m]);
    heap_[i]->index_ = i;
    heap_[m]->index_ = m;
    i = m;
  }
}

}  // namespace shipgate::net
