#include "shipgate/traffic/health_targets.h"

namespace shipgate::traffic {

std::string endpointKey(const std::string& app, Slot slot, const config::HostPort& address) {
  return app + "/" + slotName(slot) + "/" + address.toString();
}

std::vector<health::HealthTarget> appTargets(const config::Config& config) {
  std::vector<health::HealthTarget> out;
  for (const auto& app : trafficConfigOf(config).apps) {
    if (!app.health) continue;
    for (int s = 0; s < 2; ++s) {
      const auto slot = static_cast<Slot>(s);
      for (const auto& ec : app.slots[s].endpoints) {
        out.push_back({endpointKey(app.name, slot, ec.address), ec.address, *app.health});
      }
    }
  }
  return out;
}

}  // namespace shipgate::traffic
