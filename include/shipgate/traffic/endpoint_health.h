// EndpointHealth: the traffic layer's HealthSink. It decides what active health-check results mean
// for routing: `fall` consecutive failures make a healthy endpoint unhealthy, `rise` consecutive
// passes make an unhealthy one healthy again (counts start from the endpoint's current
// EndpointState::active_healthy, true for a new endpoint). Every result is written to the shared
// EndpointState the data plane reads (active_healthy, last_check_latency_us, last_check_wall_ms);
// each transition is logged ("endpoint api/blue/127.0.0.1:9101 unhealthy: <detail>") and counted
// in the metrics registry as shipgate_endpoint_health_transitions_total{app,slot,endpoint="<key>",to}.
// A removed target is marked healthy again, so a dropped health config strands nothing.
// Thread-safety: all methods are thread-safe. REQUIRES: registry and metrics outlive this.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "shipgate/common/mutex.h"
#include "shipgate/health/sink.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/traffic/health_registry.h"

namespace shipgate::traffic {

class EndpointHealth final : public health::HealthSink {
 public:
  EndpointHealth(HealthRegistry& registry, metrics::Registry& metrics);

  void onResult(const health::HealthTarget& target, const health::CheckResult& result) override;
  void onTargetRemoved(const std::string& key) override;

 private:
  struct Streak {
    std::shared_ptr<EndpointState> state;
    bool healthy = true;
    int passes = 0;
    int failures = 0;
  };

  HealthRegistry& registry_;
  metrics::Registry& metrics_;
  Mutex mu_;
  std::map<std::string, Streak> streaks_ GUARDED_BY(mu_);
};

}  // namespace shipgate::traffic
