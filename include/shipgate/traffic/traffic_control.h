// TrafficControl: the one interface for runtime routing changes (slot switch, weighted split,
// failover approval and revocation). Each change validates against the loaded config, builds a
// new RoutingOverlay, saves it to the RuntimeStateStore (when one is given) and publishes it in the
// HealthRegistry's RoutingOverlayCell: a pointer swap that does no DNS, TLS, file or WAF work, so
// it cannot fail for their reasons. TrafficPlan::pick sees it on its next call.
//
// Runtime slot changes outlive reloads: setConfig() (after a reload) keeps an override until the
// file changes that app's active_slot or weights (SlotOverride::appliesTo) or drops the app.
// Clients: admin::Controller (the admin API) now, the release controller later.
// Thread-safety: every method is thread-safe (one mutex serialises changes).
#pragma once

#include <memory>
#include <string>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/routing_overlay.h"
#include "shipgate/traffic/runtime_state_store.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::traffic {

class TrafficControl {
 public:
  // REQUIRES: registry, and store when not null, outlive this; config is the loaded config.
  TrafficControl(HealthRegistry& registry, std::shared_ptr<const config::Config> config,
                 RuntimeStateStore* store = nullptr);
  TrafficControl(const TrafficControl&) = delete;
  TrafficControl& operator=(const TrafficControl&) = delete;

  // Publishes the store's saved overlay (what setConfig keeps of it). No-op without a store.
  Status restore();
  // A new loaded config is serving: overrides it made stale lapse (and the change is saved).
  void setConfig(std::shared_ptr<const config::Config> config);

  // NotFound for an unknown app; FailedPrecondition when the slot has no endpoints.
  Status switchSlot(const std::string& app, Slot slot);
  // InvalidArgument unless each weight is 0..100 and not both 0; the heavier side is active.
  Status setWeights(const std::string& app, int blue, int green);
  // NotFound for an unknown app or region.
  Status approveFailover(const std::string& app, const std::string& region);
  Status revokeFailover(const std::string& app, const std::string& region);

  std::shared_ptr<const RoutingOverlay> overlay() const;
  std::shared_ptr<const config::Config> config() const;
  // The slot choice in effect for `app` of the loaded config.
  EffectiveSlot effective(const AppConfig& app) const;

 private:
  Status publishLocked(RoutingOverlay next) REQUIRES(mu_);
  const AppConfig* findApp(const std::string& name) const REQUIRES(mu_);

  HealthRegistry& registry_;
  RuntimeStateStore* const store_;
  mutable Mutex mu_;
  std::shared_ptr<const config::Config> config_ GUARDED_BY(mu_);
};

}  // namespace shipgate::traffic
