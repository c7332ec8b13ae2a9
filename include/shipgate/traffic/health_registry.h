// HealthRegistry: the process-wide, long-lived store of endpoint state and failover approvals,
// outliving every TrafficPlan. Keyed by Endpoint::key.
// Thread-safety: all methods are thread-safe (internal mutex for the maps; states are atomics).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/traffic/endpoint.h"

namespace shipgate::traffic {

struct FailoverEvent {
  int64_t wall_ms = 0;
  std::string app;
  std::string message;  // e.g. "app api: region us-east-1 unhealthy; waiting for approval to fail
                        // over to eu-west-1 (shipgate failover approve --app api --region eu-west-1)"
};

class HealthRegistry {
 public:
  explicit HealthRegistry(Clock& clock);

  Clock& clock() const { return clock_; }
  // Returns the state for key, creating it (healthy) on first use.
  std::shared_ptr<EndpointState> stateFor(const std::string& key);

  // Manual-approval failover: traffic may move into `region` of `app` only once approved.
  void approveFailover(const std::string& app, const std::string& region);
  void revokeFailover(const std::string& app, const std::string& region);
  bool failoverApproved(const std::string& app, const std::string& region) const;

  // A region waiting for approval; recorded once per (app, region) until approved or recovered.
  void noteWaitingForApproval(const std::string& app, const std::string& region,
                              const std::string& message);
  void clearWaiting(const std::string& app, const std::string& region);
  std::vector<std::string> waitingForApproval(const std::string& app) const;  // region names
  std::vector<FailoverEvent> events() const;  // newest last, bounded (last 256)

 private:
  Clock& clock_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<EndpointState>> states_;  // GUARDED_BY(mu_)
  std::map<std::string, bool> approved_;                          // GUARDED_BY(mu_) "app/region"
  std::map<std::string, std::string> waiting_;                    // GUARDED_BY(mu_) "app/region"
  std::vector<FailoverEvent> events_;                             // GUARDED_BY(mu_)
  std::atomic<size_t> waiting_count_{0};  // waiting_.size(), read without the lock (fast path)
};

}  // namespace shipgate::traffic
