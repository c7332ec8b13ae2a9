#include "shipgate/health/monitor.h"

#include <algorithm>
#include <map>

#include "shipgate/common/log.h"

namespace shipgate::health {

struct HealthMonitor::Target {
  std::string key;
  config::HostPort address;
  HealthTracker tracker;
  bool running = false;  // GUARDED_BY(mu_)
  bool removed = false;  // GUARDED_BY(mu_)
  std::string last_detail;

  Target(std::string k, config::HostPort a, HealthTracker t)
      : key(std::move(k)), address(std::move(a)), tracker(std::move(t)) {}
};

namespace {
constexpr auto kMaxIdleWait = std::chrono::milliseconds(50);
}  // namespace

HealthMonitor::HealthMonitor(traffic::HealthRegistry& registry, Clock& clock, CheckFn check,
                             int threads, uint64_t seed)
    : registry_(registry),
      clock_(clock),
      check_(std::move(check)),
      thread_count_(std::max(1, threads)),
      rng_(seed) {}

HealthMonitor::~HealthMonitor() { stop(); }

double HealthMonitor::random01() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }

void HealthMonitor::update(const std::shared_ptr<const traffic::TrafficPlan>& plan) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::shared_ptr<Target>> old;
  for (auto& t : targets_) old[t->key] = t;
  std::vector<std::shared_ptr<Target>> next;
  const auto now = clock_.now();
  if (plan) {
    const auto& apps = plan->config().apps;
    for (int a = 0; a < static_cast<int>(apps.size()); ++a) {
      if (!apps[a].health) continue;
      for (const traffic::Endpoint& e : plan->endpoints(a)) {
        auto it = old.find(e.key);
        if (it != old.end()) {
          it->second->tracker.setCheck(*apps[a].health);
          it->second->address = e.address;
          next.push_back(it->second);
          old.erase(it);
          continue;
        }
        auto t = std::make_shared<Target>(
            e.key, e.address, HealthTracker(*apps[a].health, registry_.stateFor(e.key)));
        t->tracker.scheduleFirst(now, random01());
        next.push_back(std::move(t));
      }
    }
  }
  for (auto& [key, t] : old) {
    t->removed = true;
    t->tracker.state()->active_healthy.store(true);  // no longer checked: not held unhealthy
  }
  targets_ = std::move(next);
  cv_.notify_all();
}

void HealthMonitor::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!workers_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < thread_count_; ++i) workers_.emplace_back([this] { workerLoop(); });
}

void HealthMonitor::stop() {
  std::vector<std::thread> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    workers.swap(workers_);
    cv_.notify_all();
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
  config::HealthCheckConfig check;
  config::HostPort address;
  {
    std::lock_guard<std::mutex> lock(mu_);
    check = target->tracker.check();
    address = target->address;
  }
  CheckResult result = check_(check, address);
  std::lock_guard<std::mutex> lock(mu_);
  target->running = false;
  if (target->removed) return;
  target->last_detail = result.detail;
  const auto transition = target->tracker.record(result, clock_.wallMillis());
  target->tracker.scheduleNext(clock_.now(), random01());
  if (transition == HealthTracker::Transition::kBecameUnhealthy) {
    log::warn("endpoint " + target->key + " unhealthy: " + result.detail);
  } else if (transition == HealthTracker::Transition::kBecameHealthy) {
    log::info("endpoint " + target->key + " healthy again: " + result.detail);
  }
}

int HealthMonitor::runDueChecks() {
  int ran = 0;
  for (;;) {
    std::shared_ptr<Target> t;
    {
      std::lock_guard<std::mutex> lock(mu_);
      t = takeDue(clock_.now());
    }
    if (!t) return ran;
    runOne(t);
    ++ran;
  }
}

void HealthMonitor::workerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    const auto now = clock_.now();
    std::shared_ptr<Target> t = takeDue(now);
    if (!t) {
      auto wait = kMaxIdleWait;
      for (const auto& x : targets_) {
        if (x->running) continue;
        auto until = std::chrono::duration_cast<std::chrono::milliseconds>(x->tracker.due() - now);
        wait = std::min(wait, std::max(std::chrono::milliseconds(1), until));
      }
      cv_.wait_for(lock, wait);
      continue;
    }
    lock.unlock();
    runOne(t);
    lock.lock();
  }
}

std::vector<HealthMonitor::TargetStatus> HealthMonitor::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TargetStatus> out;
  for (const auto& t : targets_) {
    out.push_back({t->key, t->tracker.healthy(), t->tracker.consecutivePasses(),
                   t->tracker.consecutiveFailures(), t->last_detail});
  }
  return out;
}

}  // namespace shipgate::health
