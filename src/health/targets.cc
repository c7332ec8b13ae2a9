#include "shipgate/health/targets.h"

namespace shipgate::health {

std::string endpointKey(const std::string& app, config::Slot slot,
                        const config::HostPort& address) {
  return app + "/" + config::slotName(slot) + "/" + address.toString();
}

std::vector<HealthTarget> appTargets(const config::Config& config) {
  std::vector<HealthTarget> out;
  for (const auto& app : config.apps) {
    if (!app.health) continue;
    for (int s = 0; s < 2; ++s) {
      const auto slot = static_cast<config::Slot>(s);
      for (const auto& ec : app.slots[s].endpoints) {
        out.push_back({endpointKey(app.name, slot, ec.address), ec.address, *app.health});
      }
    }
  }
  return out;
}

}  // namespace shipgate::health
