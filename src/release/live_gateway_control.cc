#include "shipgate/release/live_gateway_control.h"

#include "shipgate/health/monitor.h"
#include "shipgate/server/gateway.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_control.h"

namespace shipgate::release {

LiveGatewayControl::LiveGatewayControl(const std::shared_ptr<const config::Config>& config,
                                       server::Gateway& gateway, health::HealthMonitor& monitor,
                                       traffic::TrafficControl& traffic)
    : gateway_(gateway), monitor_(monitor), traffic_(traffic), file_(config), served_(config) {}

std::shared_ptr<const config::Config> LiveGatewayControl::derive(
    const config::Config& file,
    const std::map<std::pair<std::string, int>, std::vector<config::HostPort>>& endpoints,
    const std::map<std::string, std::string>& static_roots) {
  auto out = std::make_shared<config::Config>(file);
  auto traffic = std::make_shared<traffic::TrafficConfig>(traffic::trafficConfigOf(file));
  for (auto& app : traffic->apps) {
    if (!app.managed) continue;
    for (int s = 0; s < 2; ++s) {
      auto it = endpoints.find({app.name, s});
      if (it == endpoints.end()) continue;
      app.slots[s].endpoints.clear();
      for (const auto& hp : it->second) {
        traffic::EndpointConfig ep;
        ep.address = hp;
        ep.where = app.where;
        app.slots[s].endpoints.push_back(ep);
      }
    }
    if (!app.health) {
      health::HealthCheckConfig hc;
      hc.kind = health::HealthKind::kTcp;
      hc.interval = std::chrono::seconds(1);
      hc.timeout = std::chrono::seconds(1);
      hc.rise = 2;
      hc.fall = 3;
      app.health = hc;
    }
  }
  for (auto& site : traffic->sites) {
    auto it = static_roots.find(site.name);
    if (it != static_roots.end() && site.kind == traffic::SiteKind::kStatic) {
      site.static_site.root = it->second;
    }
  }
  out->sections[std::string(traffic::kTrafficSection)] = traffic;
  return out;
}

Status LiveGatewayControl::applyLocked() {
  auto derived = derive(*file_, endpoints_, static_roots_);
  SG_RETURN_IF_ERROR(gateway_.apply(derived));
  served_ = derived;
  traffic_.setConfig(derived);
  monitor_.update(traffic::appTargets(*derived));
  return Status::success();
}

Status LiveGatewayControl::reload(std::shared_ptr<const config::Config> config) {
  MutexLock lock(mu_);
  auto old = file_;
  file_ = std::move(config);
  Status st = applyLocked();
  if (!st.isOk()) file_ = old;
  return st;
}

std::shared_ptr<const config::Config> LiveGatewayControl::served() const {
  MutexLock lock(mu_);
  return served_;
}

std::shared_ptr<const config::Config> LiveGatewayControl::config() const {
  MutexLock lock(mu_);
  return file_;
}

Status LiveGatewayControl::setSlotEndpoints(const std::string& app, traffic::Slot slot,
                                            const std::vector<config::HostPort>& endpoints) {
  MutexLock lock(mu_);
  auto key = std::make_pair(app, static_cast<int>(slot));
  auto old = endpoints_.find(key) != endpoints_.end()
                 ? std::optional<std::vector<config::HostPort>>(endpoints_[key])
                 : std::nullopt;
  endpoints_[key] = endpoints;
  Status st = applyLocked();
  if (!st.isOk()) {
    if (old) {
      endpoints_[key] = *old;
    } else {
      endpoints_.erase(key);
    }
  }
  return st;
}

Status LiveGatewayControl::setStaticRoot(const std::string& site, const std::string& root) {
  MutexLock lock(mu_);
  auto old = static_roots_;
  static_roots_[site] = root;
  Status st = applyLocked();
  if (!st.isOk()) static_roots_ = old;
  return st;
}

Status LiveGatewayControl::switchSlot(const std::string& app, traffic::Slot slot) {
  return traffic_.switchSlot(app, slot);
}

Status LiveGatewayControl::setWeights(const std::string& app, int blue, int green) {
  return traffic_.setWeights(app, blue, green);
}

Result<traffic::EffectiveSlot> LiveGatewayControl::effective(const std::string& app) const {
  auto cfg = traffic_.config();
  const traffic::AppConfig* a = traffic::trafficConfigOf(*cfg).findApp(app);
  if (a == nullptr) return Status::notFound("no app named " + app);
  return traffic_.effective(*a);
}

std::vector<EndpointHealthStatus> LiveGatewayControl::slotHealth(const std::string& app,
                                                                 traffic::Slot slot) const {
  std::vector<EndpointHealthStatus> out;
  std::shared_ptr<const config::Config> served;
  {
    MutexLock lock(mu_);
    served = served_;
  }
  const traffic::AppConfig* a = traffic::trafficConfigOf(*served).findApp(app);
  if (a == nullptr) return out;
  const int rise = a->health ? a->health->rise : 1;
  auto statuses = monitor_.status();
  for (const auto& ep : a->slots[static_cast<int>(slot)].endpoints) {
    EndpointHealthStatus h;
    h.key = traffic::endpointKey(app, slot, ep.address);
    for (const auto& s : statuses) {
      if (s.key == h.key) {
        h.consecutive_passes = s.consecutive_passes;
        h.consecutive_failures = s.consecutive_failures;
        h.detail = s.last_detail;
      }
    }
    h.healthy = h.consecutive_passes >= rise;
    out.push_back(h);
  }
  return out;
}

Status LiveGatewayControl::restoreRouting() { return traffic_.restore(); }

}  // namespace shipgate::release
