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

std::string approveCommand(std::string_view app, std::string_view region) {
  return "shipgate failover approve --app " + std::string(app) + " --region " +
         std::string(region);
}

HealthRegistry::HealthRegistry(Clock& clock) : clock_(clock) {}

std::shared_ptr<EndpointState> HealthRegistry::stateFor(const std::string& key) {
  MutexLock lock(mu_);
  auto& slot = states_[key];
  if (!slot) slot = std::make_shared<EndpointState>();
  return slot;
}

void HealthRegistry::addEvent(const std::string& app, std::string message) {
  events_.push_back({clock_.wallMillis(), app, std::move(message)});
  if (events_.size() > kMaxEvents) events_.erase(events_.begin());
}

void HealthRegistry::noteApproval(const std::string& app, const std::string& region,
                                  bool approved) {
  MutexLock lock(mu_);
  if (approved) {
    if (waiting_.erase(pairKey(app, region)) > 0) {
      waiting_count_.fetch_sub(1, std::memory_order_relaxed);
    }
    addEvent(app, "app " + app + ": failover to region " + region + " approved");
  } else {
    addEvent(app, "app " + app + ": failover approval for region " + region + " revoked");
  }
}

void HealthRegistry::noteWaitingForApproval(const std::string& app, Slot slot,
                                            const std::string& from_region,
                                            const std::string& region) {
  MutexLock lock(mu_);
  const std::string key = pairKey(app, region);
  if (waiting_.count(key) > 0) return;
  std::string message = "app " + app + " slot " + slotName(slot) + ": region " + from_region +
                        " unhealthy; waiting for approval to fail over to " + region + " (" +
                        approveCommand(app, region) + ")";
  waiting_[key] = message;
  waiting_count_.fetch_add(1, std::memory_order_relaxed);
  log::warn(message);
  addEvent(app, std::move(message));
}

void HealthRegistry::clearWaiting(const std::string& app, const std::string& region) {
  if (waiting_count_.load(std::memory_order_relaxed) == 0) return;  // fast path: nothing waits
  MutexLock lock(mu_);
  if (waiting_.erase(pairKey(app, region)) > 0) {
    waiting_count_.fetch_sub(1, std::memory_order_relaxed);
    addEvent(app, "app " + app + ": no longer waiting to fail over to region " + region);
  }
}

std::vector<std::string> HealthRegistry::waitingForApproval(const std::string& app) const {
  MutexLock lock(mu_);
  std::vector<std::string> out;
  const std::string prefix = app + "/";
  for (const auto& [key, message] : waiting_) {
    if (key.compare(0, prefix.size(), prefix) == 0) out.push_back(key.substr(prefix.size()));
  }
  return out;
}

std::vector<FailoverEvent> HealthRegistry::events() const {
  MutexLock lock(mu_);
  return events_;
}

}  // namespace shipgate::traffic
