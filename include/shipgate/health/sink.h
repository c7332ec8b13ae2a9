// HealthSink: where active health checks report. The checker only says what it saw; the sink (the
// traffic layer) decides what a result means for routing (rise/fall, endpoint state, metrics).
// HealthTarget: one thing to check, derived from typed config (see targets.h).
// Thread-safety: HealthMonitor calls a sink from its worker threads, several at once, but never
// twice at once for the same target key; implementations must be thread-safe across keys.
#pragma once

#include <string>

#include "shipgate/config/config.h"
#include "shipgate/health/checker.h"
#include "shipgate/health/health_config.h"

namespace shipgate::health {

struct HealthTarget {
  std::string key;  // stable across reloads: "app/slot/host:port" for app endpoints
  config::HostPort address;
  HealthCheckConfig check;
};

class HealthSink {
 public:
  virtual ~HealthSink() = default;
  // One check of `target` finished.
  virtual void onResult(const HealthTarget& target, const CheckResult& result) = 0;
  // `key` is no longer checked (its app lost its health config, or the endpoint is gone).
  virtual void onTargetRemoved(const std::string& key) = 0;
};

}  // namespace shipgate::health
