// HealthRegistry: the process-wide, long-lived traffic state that outlives every TrafficPlan:
// endpoint states (keyed by Endpoint::key), the published RoutingOverlay (runtime slot switches,
// weights and failover approvals; changed through TrafficControl), and the failover events
// (regions waiting for approval, approvals, revocations).
// Thread-safety: all methods are thread-safe (internal mutex for the maps; states are atomics;
// routing() is lock-free for readers, see RoutingOverlayCell).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/traffic/endpoint.h"
#include "shipgate/traffic/routing_overlay.h"

namespace shipgate::traffic {

struct FailoverEvent {
  int64_t wall_ms = 0;
  std::string app;
  std::string message;  // e.g. "app api slot blue: region us-east-1 unhealthy; waiting for
                        // approval to fail over to eu-west-1 (shipgate failover approve ...)"
};

// The CLI command that approves failover of `app` into `region`.
std::string approveCommand(std::string_view app, std::string_view region);

class HealthRegistry {
 public:
  explicit HealthRegistry(Clock& clock);

  Clock& clock() const { return clock_; }
  // Returns the state for key, creating it (healthy) on first use.
  std::shared_ptr<EndpointState> stateFor(const std::string& key);

  // The routing overlay TrafficPlan::pick reads. Publish only through TrafficControl.
  RoutingOverlayCell& routing() { return routing_; }
  const RoutingOverlayCell& routing() const { return routing_; }

  // A region of `slot` waiting for approval while `from_region` is unhealthy; recorded (event +
  // warning) once per (app, region) until approved or no longer needed.
  void noteWaitingForApproval(const std::string& app, Slot slot, const std::string& from_region,
                              const std::string& region);
  void clearWaiting(const std::string& app, const std::string& region);
  // Records an approval or revocation made through TrafficControl; an approval ends the wait.
  void noteApproval(const std::string& app, const std::string& region, bool approved);
  std::vector<std::string> waitingForApproval(const std::string& app) const;  // region names
  std::vector<FailoverEvent> events() const;  // newest last, bounded (last 256)

 private:
  void addEvent(const std::string& app, std::string message) REQUIRES(mu_);

  Clock& clock_;
  RoutingOverlayCell routing_;
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<EndpointState>> states_ GUARDED_BY(mu_);
  std::map<std::string, std::string> waiting_ GUARDED_BY(mu_);  // "app/region" -> message
  std::vector<FailoverEvent> events_ GUARDED_BY(mu_);
  std::atomic<size_t> waiting_count_{0};  // waiting_.size(), read without the lock (fast path)
};

}  // namespace shipgate::traffic
