#include "shipgate/traffic/endpoint_health.h"

#include <algorithm>

#include "shipgate/common/log.h"

namespace shipgate::traffic {

EndpointHealth::EndpointHealth(HealthRegistry& registry, metrics::Registry& metrics)
    : registry_(registry), metrics_(metrics) {}

void EndpointHealth::onResult(const health::HealthTarget& target,
                              const health::CheckResult& result) {
  bool changed = false;
  bool healthy = true;
  {
    MutexLock lock(mu_);
    auto it = streaks_.find(target.key);
    if (it == streaks_.end()) {
      Streak s;
      s.state = registry_.stateFor(target.key);
      s.healthy = s.state->active_healthy.load(std::memory_order_relaxed);
      it = streaks_.emplace(target.key, std::move(s)).first;
    }
    Streak& s = it->second;
    s.state->last_check_latency_us.store(result.latency.count(), std::memory_order_relaxed);
    s.state->last_check_wall_ms.store(registry_.clock().wallMillis(), std::memory_order_relaxed);
    if (result.ok) {
      ++s.passes;
      s.failures = 0;
      if (!s.healthy && s.passes >= std::max(1, target.check.rise)) {
        s.healthy = true;
        changed = true;
      }
    } else {
      ++s.failures;
      s.passes = 0;
      if (s.healthy && s.failures >= std::max(1, target.check.fall)) {
        s.healthy = false;
        changed = true;
      }
    }
    s.state->active_healthy.store(s.healthy, std::memory_order_relaxed);
    healthy = s.healthy;
  }
  if (!changed) return;
  {
    // The key is "app/slot/host:port" (health::endpointKey); the registry labels app and slot too.
    std::string_view key = target.key;
    size_t a = key.find('/');
    size_t b = a == std::string_view::npos ? a : key.find('/', a + 1);
    std::string_view app = a == std::string_view::npos ? std::string_view() : key.substr(0, a);
    std::string_view slot =
        b == std::string_view::npos ? std::string_view() : key.substr(a + 1, b - a - 1);
    metrics_.recordHealthTransition(app, slot, key, healthy ? "healthy" : "unhealthy");
  }
  if (healthy) {
    log::info("endpoint " + target.key + " healthy again: " + result.detail);
  } else {
    log::warn("endpoint " + target.key + " unhealthy: " + result.detail);
  }
}

void EndpointHealth::onTargetRemoved(const std::string& key) {
  std::shared_ptr<EndpointState> state;
  {
    MutexLock lock(mu_);
    auto it = streaks_.find(key);
    if (it != streaks_.end()) {
      state = it->second.state;
      streaks_.erase(it);
    }
  }
  if (!state) state = registry_.stateFor(key);
  state->active_healthy.store(true, std::memory_order_relaxed);  // not checked: not held down
}

}  // namespace shipgate::traffic
