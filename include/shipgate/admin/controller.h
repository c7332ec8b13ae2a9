// Controller: the one place that changes what the running gateway does. It owns the current
// config, applies reloads (from the config file) and runtime changes (slot switches, weights,
// failover approvals) by building a new Config and handing it to Gateway::apply(), which swaps the
// snapshot atomically. A failed reload or switch leaves the old snapshot serving.
//
// Runtime slot changes outlive reloads: a switch made through the API is re-applied on top of every
// reloaded file until the file itself changes that app's active_slot or weights.
// Thread-safety: every method is thread-safe (one mutex serialises changes).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"

namespace shipgate::server {
class Gateway;
}
namespace shipgate::health {
class HealthMonitor;
}
namespace shipgate::traffic {
class HealthRegistry;
}

namespace shipgate::admin {

class Controller {
 public:
  Controller(std::string config_path, std::shared_ptr<const config::Config> initial,
             server::Gateway& gateway, health::HealthMonitor& monitor,
             traffic::HealthRegistry& registry);

  // Re-reads the config file; on any error the old config keeps serving and the Status carries
  // every diagnostic.
  Status reload();
  Status switchSlot(const std::string& app, config::Slot slot);
  Status setWeights(const std::string& app, int blue, int green);
  Status approveFailover(const std::string& app, const std::string& region);

  std::shared_ptr<const config::Config> config() const;
  nlohmann::json status() const;

 private:
  struct Override {
    config::Slot active_slot;
    std::optional<std::array<int, 2>> weights;
    // What the file said when the override was made; a file that changes it wins.
    config::Slot file_slot;
    std::optional<std::array<int, 2>> file_weights;
  };
  Status applyLocked(std::shared_ptr<const config::Config> file_config);

  const std::string config_path_;
  server::Gateway& gateway_;
  health::HealthMonitor& monitor_;
  traffic::HealthRegistry& registry_;
  mutable std::mutex mu_;
  std::shared_ptr<const config::Config> file_config_;  // GUARDED_BY(mu_) as loaded
  std::shared_ptr<const config::Config> current_;      // GUARDED_BY(mu_) with overrides
  std::map<std::string, Override> overrides_;          // GUARDED_BY(mu_)
};

}  // namespace shipgate::admin
