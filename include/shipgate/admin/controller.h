// Controller: what the admin API calls to change or inspect the running gateway. Reloads (from
// the config file) go to Gateway::apply(), which rebuilds only the parts whose config section
// changed; runtime routing changes (slot switches, weights, failover approvals) go to
// traffic::TrafficControl, a RoutingOverlay pointer swap that does no DNS, TLS, file or WAF work.
// A failed reload leaves the old snapshot serving.
//
// Runtime slot changes outlive reloads: a switch made through the API stays in effect on top of
// every reloaded file until the file itself changes that app's active_slot or weights.
// Thread-safety: every method is thread-safe (reloads are serialised by one mutex).
// REQUIRES: gateway, monitor, traffic and registry outlive the controller.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::server {
class Gateway;
}
namespace shipgate::health {
class HealthMonitor;
}
namespace shipgate::traffic {
class HealthRegistry;
class TrafficControl;
}

namespace shipgate::admin {

class Controller {
 public:
  Controller(std::string config_path, server::Gateway& gateway, health::HealthMonitor& monitor,
             traffic::TrafficControl& traffic, traffic::HealthRegistry& registry);

  // Re-reads the config file; on any error the old config keeps serving and the Status carries
  // every diagnostic.
  Status reload();
  Status switchSlot(const std::string& app, traffic::Slot slot);
  Status setWeights(const std::string& app, int blue, int green);
  Status approveFailover(const std::string& app, const std::string& region);
  Status revokeFailover(const std::string& app, const std::string& region);

  // The loaded config (as in the file; runtime switches are in the routing overlay).
  std::shared_ptr<const config::Config> config() const;
  nlohmann::json status() const;

 private:
  const std::string config_path_;
  server::Gateway& gateway_;
  health::HealthMonitor& monitor_;
  traffic::TrafficControl& traffic_;
  traffic::HealthRegistry& registry_;
  Mutex reload_mu_;  // serialises reload()
};

}  // namespace shipgate::admin
