#include "shipgate/health/monitor.h"

#include <algorithm>
#include <map>

#include "shipgate/common/thread_name.h"

namespace shipgate::health {

// running/removed/last_detail and the tracker are only touched with the monitor's mu_ held.
struct HealthMonitor::Target {
  HealthTarget target;
  HealthTracker tracker;
  bool running = false;
  bool removed = false;
  std::string last_detail;

  explicit Target(HealthTarget t) : target(std::move(t)), tracker(target.check) {}
};

namespace {
// A worker with no target to wait for sleeps this long at most (update() and stop() wake it).
constexpr auto kNoTargetWait = std::chrono::hours(1);
// How often a worker re-reads a clock that is moved by hand (Clock::sleepFor).
constexpr auto kRecheck = std::chrono::milliseconds(50);
}  // namespace

HealthMonitor::HealthMonitor(HealthSink& sink, Clock& clock, CheckFn check, int threads,
                             uint64_t seed)
    : sink_(sink),
      clock_(clock),
      check_(std::move(check)),
      thread_count_(std::max(1, threads)),
      rng_(seed) {}

HealthMonitor::~HealthMonitor() { stop(); }

double HealthMonitor::random01() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void HealthMonitor::update(const std::vector<HealthTarget>& targets) {
  std::vector<std::string> removed;
  {
    MutexLock lock(mu_);
    std::map<std::string, std::shared_ptr<Target>> old;
    for (auto& t : targets_) old[t->target.key] = t;
    std::vector<std::shared_ptr<Target>> next;
    const auto now = clock_.now();
    for (const HealthTarget& ht : targets) {
      auto it = old.find(ht.key);
      if (it != old.end()) {
        it->second->target = ht;
        it->second->tracker.setCheck(ht.check);
        next.push_back(it->second);
        old.erase(it);
        continue;
      }
      auto t = std::make_shared<Target>(ht);
      t->tracker.scheduleFirst(now, random01());
      next.push_back(std::move(t));
    }
    for (auto& [key, t] : old) {
      t->removed = true;
      removed.push_back(key);
    }
    targets_ = std::move(next);
    cv_.notifyAll();
  }
  for (const auto& key : removed) sink_.onTargetRemoved(key);
}

void HealthMonitor::start() {
  MutexLock lock(mu_);
  if (!workers_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < thread_count_; ++i) {
    workers_.emplace_back([this] {
      setThreadName("sg-health");
      workerLoop();
    });
  }
}

void HealthMonitor::stop() {
  std::vector<std::thread> workers;
  {
    MutexLock lock(mu_);
    stopping_ = true;
    workers.swap(workers_);
    cv_.notifyAll();
  }
  for (auto& w : workers) w.join();
}

std::shared_ptr<HealthMonitor::Target> HealthMonitor::takeDue(Clock::time_point now) {
  std::shared_ptr<Target> best;
  for (auto& t : targets_) {
    if (t->running || t->tracker.due() > now) continue;
    if (!best || t->tracker.due() < best->tracker.due()) best = t;
  }
  if (best) best->running = true;
  return best;
}

void HealthMonitor::runOne(const std::shared_ptr<Target>& target) {
  HealthTarget what;
  {
    MutexLock lock(mu_);
    what = target->target;
  }
  CheckResult result = check_(what.check, what.address);
  {
    MutexLock lock(mu_);
    target->running = false;
    if (target->removed) return;
    target->last_detail = result.detail;
    target->tracker.record(result);
    target->tracker.scheduleNext(clock_.now(), random01());
    // Under the lock, so a report never lands after update() removed the target and the sink
    // heard onTargetRemoved. The sink never calls back into the monitor.
    sink_.onResult(what, result);
  }
}

int HealthMonitor::runDueChecks() {
  int ran = 0;
  for (;;) {
    std::shared_ptr<Target> t;
    {
      MutexLock lock(mu_);
      t = takeDue(clock_.now());
    }
    if (!t) return ran;
    runOne(t);
    ++ran;
  }
}

void HealthMonitor::workerLoop() {
  for (;;) {
    std::shared_ptr<Target> t;
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      const auto now = clock_.now();
      t = takeDue(now);
      if (!t) {
        // Until the next target not being checked is due. A target being checked is another
        // worker's: that worker schedules it and waits for it when its check ends.
        Clock::time_point::duration left = kNoTargetWait;
        for (const auto& x : targets_) {
          if (!x->running) left = std::min(left, x->tracker.due() - now);
        }
        cv_.waitFor(lock, std::max(std::chrono::nanoseconds(std::chrono::milliseconds(1)),
                                   clock_.sleepFor(left, kRecheck)));
        continue;
      }
    }
    runOne(t);
  }
}

std::vector<HealthMonitor::TargetStatus> HealthMonitor::status() const {
  MutexLock lock(mu_);
  std::vector<TargetStatus> out;
  for (const auto& t : targets_) {
    out.push_back({t->target.key, t->tracker.consecutivePasses(), t->tracker.consecutiveFailures(),
                   t->last_detail});
  }
  return out;
}

}  // namespace shipgate::health
