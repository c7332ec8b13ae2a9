// RuntimeStateStore: where TrafficControl persists the routing overlay (runtime slot switches,
// weights, failover approvals) so that a later implementation (the release controller's store)
// can keep them across restarts. TrafficControl calls save() with every overlay before it
// publishes it; an error refuses the change. load() gives the state to start from.
// Thread-safety: TrafficControl serialises its calls; implementations need no locking of their
// own for it.
#pragma once

#include "shipgate/common/status.h"
#include "shipgate/traffic/routing_overlay.h"

namespace shipgate::traffic {

class RuntimeStateStore {
 public:
  virtual ~RuntimeStateStore() = default;
  virtual Status save(const RoutingOverlay& overlay) = 0;
  // The last saved overlay (an empty one when nothing was saved).
  virtual Result<RoutingOverlay> load() = 0;
};

// Keeps the last saved overlay in memory (lost on restart).
class InMemoryRuntimeStateStore final : public RuntimeStateStore {
 public:
  Status save(const RoutingOverlay& overlay) override {
    saved_ = overlay;
    ++saves_;
    return Status::success();
  }
  Result<RoutingOverlay> load() override { return saved_; }
  int saves() const { return saves_; }

 private:
  RoutingOverlay saved_;
  int saves_ = 0;
};

}  // namespace shipgate::traffic
