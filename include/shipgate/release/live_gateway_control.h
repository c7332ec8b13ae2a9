// LiveGatewayControl: the real GatewayControl over the running gateway. It keeps the loaded
// config (as the file says) and the endpoints of every managed slot, and derives the config the
// gateway serves: each managed app's slots list the replicas the controller started
// (127.0.0.1:port), and a managed app without a `health:` block gets a TCP check (interval 1s,
// rise 2, fall 3) so its replicas are health-checked before traffic goes to them. Each change
// applies the derived config with server::Gateway::apply (only the routing plan is rebuilt),
// TrafficControl::setConfig and HealthMonitor::update(traffic::appTargets(derived)).
//
// Reloads: the composition root's reload must call reload(new_config) instead of applying the
// file's config directly, or the managed slots would lose their replicas.
// Thread-safety: every method is thread-safe (one mutex serialises changes).
// REQUIRES: gateway, monitor and traffic outlive this.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/release/gateway_control.h"

namespace shipgate::server {
class Gateway;
}
namespace shipgate::health {
class HealthMonitor;
}
namespace shipgate::traffic {
class TrafficControl;
}

namespace shipgate::release {

class LiveGatewayControl final : public GatewayControl {
 public:
  LiveGatewayControl(const std::shared_ptr<const config::Config>& config, server::Gateway& gateway,
                     health::HealthMonitor& monitor, traffic::TrafficControl& traffic);

  // A reloaded file config: derived again (managed endpoints kept) and applied. On error the old
  // config keeps serving.
  Status reload(std::shared_ptr<const config::Config> config);
  // The config the gateway serves now (file config + managed endpoints).
  std::shared_ptr<const config::Config> served() const;

  std::shared_ptr<const config::Config> config() const override;
  Status setSlotEndpoints(const std::string& app, traffic::Slot slot,
                          const std::vector<config::HostPort>& endpoints) override;
  Status setStaticRoot(const std::string& site, const std::string& root) override;
  Status switchSlot(const std::string& app, traffic::Slot slot) override;
  Status setWeights(const std::string& app, int blue, int green) override;
  Result<traffic::EffectiveSlot> effective(const std::string& app) const override;
  std::vector<EndpointHealthStatus> slotHealth(const std::string& app,
                                               traffic::Slot slot) const override;
  Status restoreRouting() override;

  // The derivation alone (pure), for tests and for `shipgate check`.
  static std::shared_ptr<const config::Config> derive(
      const config::Config& file,
      const std::map<std::pair<std::string, int>, std::vector<config::HostPort>>& endpoints,
      const std::map<std::string, std::string>& static_roots);

 private:
  Status applyLocked() REQUIRES(mu_);

  server::Gateway& gateway_;
  health::HealthMonitor& monitor_;
  traffic::TrafficControl& traffic_;
  mutable Mutex mu_;
  std::shared_ptr<const config::Config> file_ GUARDED_BY(mu_);
  std::shared_ptr<const config::Config> served_ GUARDED_BY(mu_);
  std::map<std::pair<std::string, int>, std::vector<config::HostPort>> endpoints_ GUARDED_BY(mu_);
  std::map<std::string, std::string> static_roots_ GUARDED_BY(mu_);
};

}  // namespace shipgate::release
