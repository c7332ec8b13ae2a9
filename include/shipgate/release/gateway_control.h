// GatewayControl: what the release controller needs of the running gateway, as one seam. The real
// one (live_gateway_control.h) derives, from the loaded config, a config whose managed slots list
// the replicas of the releases the controller runs and applies it (server::Gateway::apply, the
// HealthMonitor's targets, TrafficControl::setConfig), switches through traffic::TrafficControl and
// reads health from the HealthMonitor. Unit tests of the controller give it a fake.
//
// Thread-safety: implementations are thread-safe (the controller calls them from its worker
// threads and from API threads).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/routing_overlay.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::release {

// The active health of one endpoint of a slot, as the health monitor last saw it.
struct EndpointHealthStatus {
  std::string key;               // "app/slot/host:port"
  int consecutive_passes = 0;
  int consecutive_failures = 0;
  bool healthy = false;          // consecutive_passes >= the check's rise
  std::string detail;            // the last check's detail
};

class GatewayControl {
 public:
  virtual ~GatewayControl() = default;

  // The loaded config (as the file says; managed slots without their replicas). Never null.
  virtual std::shared_ptr<const config::Config> config() const = 0;

  // Sets the endpoints of a managed app's slot (empty: none) and applies the derived config.
  virtual Status setSlotEndpoints(const std::string& app, traffic::Slot slot,
                                  const std::vector<config::HostPort>& endpoints) = 0;
  // Points the static site `site` at `root` (a static release directory) and applies it.
  virtual Status setStaticRoot(const std::string& site, const std::string& root) = 0;

  // traffic::TrafficControl's switch and split.
  virtual Status switchSlot(const std::string& app, traffic::Slot slot) = 0;
  virtual Status setWeights(const std::string& app, int blue, int green) = 0;
  // The slot choice in effect for `app` (config + runtime overlay). NotFound for an unknown app.
  virtual Result<traffic::EffectiveSlot> effective(const std::string& app) const = 0;

  // The health of each endpoint of app/slot (the endpoints set by setSlotEndpoints) and the rise
  // a check needs.
  virtual std::vector<EndpointHealthStatus> slotHealth(const std::string& app,
                                                       traffic::Slot slot) const = 0;

  // Publishes the persisted routing overlay (runtime switches) again, at start.
  virtual Status restoreRouting() = 0;
};

}  // namespace shipgate::release
