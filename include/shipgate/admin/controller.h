// Controller: what the admin API calls to change or inspect the running gateway. Reloads (from
// the config file) go to Gateway::apply(), which rebuilds only the parts whose config section
// changed; runtime routing changes (slot switches, weights, failover approvals) go to
// traffic::TrafficControl, a RoutingOverlay pointer swap that does no DNS, TLS, file or WAF work.
// A failed reload leaves the old snapshot serving.
//
// Runtime slot changes outlive reloads: a switch made through the API stays in effect on top of
// every reloaded file until the file itself changes that app's active_slot or weights. With a
// state store (Options::audit) every switch, weight change, failover approval and reload is
// appended to the audit log with its actor (after the change: a failed audit write is logged and
// does not undo a change already serving).
// Thread-safety: every method is thread-safe (reloads are serialised by one mutex).
// REQUIRES: gateway, monitor, traffic and registry outlive the controller.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
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
namespace shipgate::store {
class StateStore;
}

namespace shipgate::admin {

// What a Controller is given besides the running parts.
struct ControllerOptions {
  // The validators a reload loads the file with (the composition root's cli::configSections());
  // empty: health, traffic, firewall.
  std::vector<const config::SectionValidator*> sections;
  // Where changes are audited; null: not audited.
  store::StateStore* audit = nullptr;
  // Applies a config that loaded instead of the controller's own Gateway::apply +
  // TrafficControl::setConfig + HealthMonitor::update (the release controller's, which first
  // fills managed apps' slots with their replicas). An error keeps the old config serving.
  std::function<Status(std::shared_ptr<const config::Config>)> apply;
};

class Controller {
 public:
  using Options = ControllerOptions;

  Controller(std::string config_path, server::Gateway& gateway, health::HealthMonitor& monitor,
             traffic::TrafficControl& traffic, traffic::HealthRegistry& registry,
             Options options = {});

  // Re-reads the config file; on any error the old config keeps serving and the Status carries
  // every diagnostic. `actor` is recorded in the audit log.
  Status reload(const std::string& actor = "admin-api");
  Status switchSlot(const std::string& app, traffic::Slot slot,
                    const std::string& actor = "admin-api");
  Status setWeights(const std::string& app, int blue, int green,
                    const std::string& actor = "admin-api");
  Status approveFailover(const std::string& app, const std::string& region,
                         const std::string& actor = "admin-api");
  Status revokeFailover(const std::string& app, const std::string& region,
                        const std::string& actor = "admin-api");

  // The loaded config (as in the file; runtime switches are in the routing overlay).
  std::shared_ptr<const config::Config> config() const;
  nlohmann::json status() const;

 private:
  void audit(const std::string& actor, const std::string& action, const std::string& subject,
             const nlohmann::json& detail);

  const std::string config_path_;
  server::Gateway& gateway_;
  health::HealthMonitor& monitor_;
  traffic::TrafficControl& traffic_;
  traffic::HealthRegistry& registry_;
  const Options options_;
  Mutex reload_mu_;  // serialises reload()
};

}  // namespace shipgate::admin
