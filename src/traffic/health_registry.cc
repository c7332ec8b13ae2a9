#include "shipgate/traffic/health_registry.h"

#include <algorithm>

#include "shipgate/common/log.h"

namespace shipgate::traffic {
namespace {

constexpr size_t kMaxEvents = 256;

std::string pairKey(const std::string& app, const std::string& region) {
  return app + "/" + region;
}

}  // namespace

HealthRegistry::HealthRegistry(Clock& clock) : clock_(clock) {}

std::shared_ptr<EndpointState> HealthRegistry::stateFor(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = states_[key];
  if (!slot) slot = std::make_shared<EndpointState>();
  return slot;
}

void HealthRegistry::approveFailover(const std::string& app, const std::string& region) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = pairKey(app, region);
  approved_[key] = true;
  if (waiting_.erase(key) > 0) waiting_count_.fetch_sub(1, std::memory_order_relaxed);
  events_.push_back(
      {clock_.wallMillis(), app, "app " + app + ": failover to region " + region + " approved"});
  if (events_.size() > kMaxEvents) events_.erase(events_.begin());
}

void HealthRegistry::revokeFailover(const std::string& app, const std::string& region) {
  std::lock_guard<std::mutex> lock(mu_);
  if (approved_.erase(pairKey(app, region)) > 0) {
    events_.push_back({clock_.wallMillis(), app,
                       "app " + app + ": failover approval for region " + region + " revoked"});
    if (events_.size() > kMaxEvents) events_.erase(events_.begin());
  }
}

bool HealthRegistry::failoverApproved(const std::string& app, const std::string& region) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = approved_.find(pairKey(app, region));
  return it != approved_.end() && it->second;
}

void HealthRegistry::noteWaitingForApproval(const std::string& app, const std::string& region,
                                            const std::string& message) {
  std::lock_guard<std::mutex> lock(mu_);
  const std::string key = pairKey(app, region);
  if (waiting_.count(key) > 0) return;
  waiting_[key] = message;
  waiting_count_.fetch_add(1, std::memory_order_relaxed);
  events_.push_back({clock_.wallMillis(), app, message});
  if (events_.size() > kMaxEvents) events_.erase(events_.begin());
  log::warn(message);
}

void HealthRegistry::clearWaiting(const std::string& app, const std::string& region) {
  if (waiting_count_.load(std::memory_order_relaxed) == 0) return;  // fast path: nothing waits
  std::lock_guard<std::mutex> lock(mu_);
  if (waiting_.erase(pairKey(app, region)) > 0) {
    waiting_count_.fetch_sub(1, std::memory_order_relaxed);
    events_.push_back({clock_.wallMillis(), app,
                       "app " + app + ": no longer waiting to fail over to region " + region});
    if (events_.size() > kMaxEvents) events_.erase(events_.begin());
  }
}

std::vector<std::string> HealthRegistry::waitingForApproval(const std::string& app) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  const std::string prefix = app + "/";
  for (const auto& [key, message] : waiting_) {
    if (key.compare(0, prefix.size(), prefix) == 0) out.push_back(key.substr(prefix.size()));
  }
  return out;
}

std::vector<FailoverEvent> HealthRegistry::events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return events_;
}

}  // namespace shipgate::traffic
