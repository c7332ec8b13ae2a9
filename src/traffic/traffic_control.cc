#include "shipgate/traffic/traffic_control.h"

#include <algorithm>

#include "shipgate/common/log.h"

namespace shipgate::traffic {
namespace {

// Drops overrides the config made stale and entries of apps it no longer has.
RoutingOverlay prune(RoutingOverlay overlay, const config::Config& config) {
  for (auto it = overlay.apps.begin(); it != overlay.apps.end();) {
    const AppConfig* app = trafficConfigOf(config).findApp(it->first);
    if (app == nullptr) {
      it = overlay.apps.erase(it);
      continue;
    }
    if (it->second.slot && !it->second.slot->appliesTo(*app)) it->second.slot.reset();
    if (!it->second.slot && it->second.approved_regions.empty()) {
      it = overlay.apps.erase(it);
      continue;
    }
    ++it;
  }
  return overlay;
}

}  // namespace

TrafficControl::TrafficControl(HealthRegistry& registry,
                               std::shared_ptr<const config::Config> config,
                               RuntimeStateStore* store)
    : registry_(registry), store_(store), config_(std::move(config)) {}

Status TrafficControl::restore() {
  if (store_ == nullptr) return Status::success();
  MutexLock lock(mu_);
  auto saved = store_->load();
  if (!saved.isOk()) return saved.status();
  registry_.routing().publish(prune(std::move(saved).value(), *config_));
  return Status::success();
}

const AppConfig* TrafficControl::findApp(const std::string& name) const {
  return trafficConfigOf(*config_).findApp(name);
}

Status TrafficControl::publishLocked(RoutingOverlay next) {
  if (store_ != nullptr) {
    Status st = store_->save(next);
    if (!st.isOk()) {
      return Status::unavailable("runtime routing state not saved; nothing changed: " +
                                 st.message());
    }
  }
  registry_.routing().publish(std::move(next));
  return Status::success();
}

void TrafficControl::setConfig(std::shared_ptr<const config::Config> config) {
  MutexLock lock(mu_);
  config_ = std::move(config);
  const auto current = registry_.routing().load();
  RoutingOverlay next = prune(*current, *config_);
  if (next.apps.size() == current->apps.size()) {
    bool same = true;
    for (const auto& [name, entry] : next.apps) {
      const AppOverlay* before = current->find(name);
      same &= before != nullptr && before->slot.has_value() == entry.slot.has_value();
    }
    if (same) return;  // nothing lapsed
  }
  for (const auto& [name, entry] : current->apps) {
    const AppOverlay* after = next.find(name);
    if (entry.slot && (after == nullptr || !after->slot)) {
      log::info("app " + name + ": the config file changed its slot; the runtime switch lapses");
    }
  }
  Status st = publishLocked(std::move(next));
  if (!st.isOk()) log::error(st.message());
}

Status TrafficControl::switchSlot(const std::string& app_name, Slot slot) {
  MutexLock lock(mu_);
  const AppConfig* app = findApp(app_name);
  if (app == nullptr) return Status::notFound("no app named '" + app_name + "'");
  if (app->slots[static_cast<int>(slot)].endpoints.empty()) {
    return Status::failedPrecondition("app '" + app_name + "' has no endpoints in slot " +
                                      slotName(slot));
  }
  RoutingOverlay next = *registry_.routing().load();
  next.apps[app_name].slot = SlotOverride{slot, std::nullopt, app->active_slot, app->weights};
  SG_RETURN_IF_ERROR(publishLocked(std::move(next)));
  log::info("app " + app_name + ": traffic switched to slot " + slotName(slot));
  return Status::success();
}

Status TrafficControl::setWeights(const std::string& app_name, int blue, int green) {
  if (blue < 0 || green < 0 || blue > 100 || green > 100 || blue + green == 0) {
    return Status::invalidArgument("weights must be 0..100 each and not both 0 (got blue=" +
                                   std::to_string(blue) + " green=" + std::to_string(green) + ")");
  }
  MutexLock lock(mu_);
  const AppConfig* app = findApp(app_name);
  if (app == nullptr) return Status::notFound("no app named '" + app_name + "'");
  for (int s = 0; s < 2; ++s) {
    const int w = s == 0 ? blue : green;
    if (w > 0 && app->slots[s].endpoints.empty()) {
      return Status::failedPrecondition("app '" + app_name + "' has no endpoints in slot " +
                                        slotName(static_cast<Slot>(s)));
    }
  }
  RoutingOverlay next = *registry_.routing().load();
  next.apps[app_name].slot =
      SlotOverride{blue >= green ? Slot::kBlue : Slot::kGreen, std::array<int, 2>{blue, green},
                   app->active_slot, app->weights};
  SG_RETURN_IF_ERROR(publishLocked(std::move(next)));
  log::info("app " + app_name + ": weights set to blue=" + std::to_string(blue) +
            " green=" + std::to_string(green));
  return Status::success();
}

Status TrafficControl::approveFailover(const std::string& app_name, const std::string& region) {
  {
    MutexLock lock(mu_);
    const AppConfig* app = findApp(app_name);
    if (app == nullptr) return Status::notFound("no app named '" + app_name + "'");
    bool known = std::any_of(app->regions.begin(), app->regions.end(),
                             [&](const RegionConfig& r) { return r.name == region; });
    // Regions may also come from the endpoints or the seed's health_checks block.
    for (const auto& slot : app->slots) {
      for (const auto& e : slot.endpoints) known |= e.region == region;
    }
    for (const auto& hc : config_->health_checks) known |= hc.region == region;
    if (!known) return Status::notFound("app '" + app_name + "' has no region '" + region + "'");
    RoutingOverlay next = *registry_.routing().load();
    AppOverlay& entry = next.apps[app_name];
    if (!entry.approved(region)) entry.approved_regions.push_back(region);
    SG_RETURN_IF_ERROR(publishLocked(std::move(next)));
  }
  registry_.noteApproval(app_name, region, true);
  log::info("app " + app_name + ": failover to region " + region + " approved");
  return Status::success();
}

Status TrafficControl::revokeFailover(const std::string& app_name, const std::string& region) {
  {
    MutexLock lock(mu_);
    if (findApp(app_name) == nullptr) return Status::notFound("no app named '" + app_name + "'");
    RoutingOverlay next = *registry_.routing().load();
    auto it = next.apps.find(app_name);
    if (it == next.apps.end() || !it->second.approved(region)) return Status::success();
    auto& regions = it->second.approved_regions;
    regions.erase(std::remove(regions.begin(), regions.end(), region), regions.end());
    if (!it->second.slot && regions.empty()) next.apps.erase(it);
    SG_RETURN_IF_ERROR(publishLocked(std::move(next)));
  }
  registry_.noteApproval(app_name, region, false);
  return Status::success();
}

std::shared_ptr<const RoutingOverlay> TrafficControl::overlay() const {
  return registry_.routing().load();
}

std::shared_ptr<const config::Config> TrafficControl::config() const {
  MutexLock lock(mu_);
  return config_;
}

EffectiveSlot TrafficControl::effective(const AppConfig& app) const {
  return effectiveSlot(app, registry_.routing().load()->find(app.name));
}

}  // namespace shipgate::traffic
