#include "shipgate/admin/controller.h"

#include <chrono>

#include "shipgate/common/log.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/health/monitor.h"
#include "shipgate/server/gateway.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::admin {

using config::Config;
using config::Slot;

Controller::Controller(std::string config_path, std::shared_ptr<const Config> initial,
                       server::Gateway& gateway, health::HealthMonitor& monitor,
                       traffic::HealthRegistry& registry)
    : config_path_(std::move(config_path)),
      gateway_(gateway),
      monitor_(monitor),
      registry_(registry),
      file_config_(initial),
      current_(std::move(initial)) {}

std::shared_ptr<const Config> Controller::config() const {
  std::lock_guard<std::mutex> lock(mu_);
  return current_;
}

Status Controller::applyLocked(std::shared_ptr<const Config> file_config) {
  auto next = std::make_shared<Config>(*file_config);
  for (auto it = overrides_.begin(); it != overrides_.end();) {
    config::AppConfig* app = nullptr;
    for (auto& a : next->apps) {
      if (a.name == it->first) app = &a;
    }
    // The override lapses when the app is gone or the file changed what the override replaced.
    if (!app || app->active_slot != it->second.file_slot ||
        app->weights != it->second.file_weights) {
      it = overrides_.erase(it);
      continue;
    }
    app->active_slot = it->second.active_slot;
    app->weights = it->second.weights;
    ++it;
  }
  std::shared_ptr<const Config> frozen = std::move(next);
  SG_RETURN_IF_ERROR(gateway_.apply(frozen));
  file_config_ = std::move(file_config);
  current_ = frozen;
  monitor_.update(gateway_.plan());
  return Status::ok();
}

Status Controller::reload() {
  config::LoadResult loaded = config::loadFile(config_path_, {&firewall::firewallSection()});
  if (!loaded.ok()) {
    std::string msg = "config " + config_path_ + " refused; the old config keeps serving:";
    for (const auto& d : loaded.diagnostics) {
      if (d.severity == config::Diagnostic::Severity::kError) msg += "\n  " + d.toString();
    }
    log::error(msg);
    return Status::invalidArgument(msg);
  }
  std::lock_guard<std::mutex> lock(mu_);
  Status st = applyLocked(loaded.config);
  if (st.isOk()) {
    log::info("config reloaded from " + config_path_);
  } else {
    log::error("reload of " + config_path_ + " failed; the old config keeps serving: " +
               st.message());
  }
  return st;
}

namespace {
config::AppConfig* findMutableApp(Config& c, const std::string& name) {
  for (auto& a : c.apps) {
    if (a.name == name) return &a;
  }
  return nullptr;
}
}  // namespace

Status Controller::switchSlot(const std::string& app_name, Slot slot) {
  std::lock_guard<std::mutex> lock(mu_);
  const config::AppConfig* file_app = file_config_->findApp(app_name);
  if (!file_app) return Status::notFound("no app named '" + app_name + "'");
  if (file_app->slots[static_cast<int>(slot)].endpoints.empty()) {
    return Status::failedPrecondition("app '" + app_name + "' has no endpoints in slot " +
                                      config::slotName(slot));
  }
  auto& o = overrides_[app_name];
  o.active_slot = slot;
  o.weights.reset();
  o.file_slot = file_app->active_slot;
  o.file_weights = file_app->weights;
  Status st = applyLocked(file_config_);
  if (st.isOk()) {
    log::info("app " + app_name + ": traffic switched to slot " + config::slotName(slot));
  }
  return st;
}

Status Controller::setWeights(const std::string& app_name, int blue, int green) {
  if (blue < 0 || green < 0 || blue > 100 || green > 100 || blue + green == 0) {
    return Status::invalidArgument("weights must be 0..100 each and not both 0 (got blue=" +
                                   std::to_string(blue) + " green=" + std::to_string(green) + ")");
  }
  std::lock_guard<std::mutex> lock(mu_);
  const config::AppConfig* file_app = file_config_->findApp(app_name);
  if (!file_app) return Status::notFound("no app named '" + app_name + "'");
  for (int s = 0; s < 2; ++s) {
    int w = s == 0 ? blue : green;
    if (w > 0 && file_app->slots[s].endpoints.empty()) {
      return Status::failedPrecondition("app '" + app_name + "' has no endpoints in slot " +
                                        config::slotName(static_cast<Slot>(s)));
    }
  }
  auto& o = overrides_[app_name];
  o.active_slot = blue >= green ? Slot::kBlue : Slot::kGreen;
  o.weights = std::array<int, 2>{blue, green};
  o.file_slot = file_app->active_slot;
  o.file_weights = file_app->weights;
  Status st = applyLocked(file_config_);
  if (st.isOk()) {
    log::info("app " + app_name + ": weights set to blue=" + std::to_string(blue) +
              " green=" + std::to_string(green));
  }
  return st;
}

Status Controller::approveFailover(const std::string& app_name, const std::string& region) {
  std::shared_ptr<const Config> cfg = config();
  const config::AppConfig* app = cfg->findApp(app_name);
  if (!app) return Status::notFound("no app named '" + app_name + "'");
  bool known = false;
  for (const auto& r : app->regions) known |= r.name == region;
  if (!known) return Status::notFound("app '" + app_name + "' has no region '" + region + "'");
  registry_.approveFailover(app_name, region);
  log::info("app " + app_name + ": failover to region " + region + " approved");
  return Status::ok();
}

nlohmann::json Controller::status() const {
  using nlohmann::json;
  std::shared_ptr<const Config> cfg;
  bool overridden_any = false;
  std::map<std::string, bool> overridden;
  {
    std::lock_guard<std::mutex> lock(mu_);
    cfg = current_;
    for (const auto& [name, o] : overrides_) overridden[name] = true;
    overridden_any = !overrides_.empty();
  }
  (void)overridden_any;
  auto plan = gateway_.plan();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             registry_.clock().now().time_since_epoch())
                             .count();
  json out;
  out["config"] = config_path_;
  out["apps"] = json::array();
  for (const auto& app : cfg->apps) {
    json a;
    a["name"] = app.name;
    a["active_slot"] = config::slotName(app.active_slot);
    a["weights"] = app.weights ? json{{"blue", (*app.weights)[0]}, {"green", (*app.weights)[1]}}
                               : json(nullptr);
    a["switched_at_runtime"] = overridden.count(app.name) > 0;
    a["balance"] = app.balance == config::Balance::kRoundRobin ? "round_robin" : "least_request";
    json regions = json::array();
    auto waiting = registry_.waitingForApproval(app.name);
    for (const auto& r : app.regions) {
      bool is_waiting = false;
      for (const auto& w : waiting) is_waiting |= w == r.name;
      regions.push_back({{"name", r.name},
                         {"priority", r.priority},
                         {"failover_policy", r.failover == config::FailoverPolicy::kAutomatic
                                                 ? "automatic"
                                                 : "manual_approval"},
                         {"approved", registry_.failoverApproved(app.name, r.name)},
                         {"waiting_for_approval", is_waiting}});
    }
    a["regions"] = regions;
    json slots = {{"blue", json::array()}, {"green", json::array()}};
    int idx = plan ? plan->appIndex(app.name) : -1;
    if (idx >= 0) {
      for (const auto& ep : plan->endpoints(idx)) {
        const auto& st = *ep.state;
        bool ejected = st.ejected_until_ms.load() > now_ms;
        bool healthy = st.active_healthy.load();
        int64_t lat = st.last_check_latency_us.load();
        slots[config::slotName(ep.slot)].push_back(
            {{"address", ep.address.toString()},
             {"region", ep.region},
             {"healthy", healthy && !ejected},
             {"active_check", healthy ? "passing" : "failing"},
             {"ejected", ejected},
             {"in_flight", st.in_flight.load()},
             {"requests", st.requests.load()},
             {"last_check_latency_ms", lat < 0 ? json(nullptr) : json(lat / 1000.0)}});
      }
    }
    a["slots"] = slots;
    out["apps"].push_back(a);
  }
  out["sites"] = json::array();
  for (const auto& s : cfg->sites) {
    out["sites"].push_back({{"name", s.name},
                            {"hosts", s.hosts},
                            {"path_prefix", s.path_prefix},
                            {"kind", s.kind == config::SiteKind::kStatic ? "static" : "app"},
                            {"app", s.app}});
  }
  out["events"] = json::array();
  for (const auto& e : registry_.events()) {
    out["events"].push_back({{"time_ms", e.wall_ms}, {"app", e.app}, {"message", e.message}});
  }
  out["listeners"] = json::array();
  for (const auto& [name, port] : gateway_.listenerPorts()) {
    out["listeners"].push_back({{"name", name}, {"port", port}});
  }
  return out;
}

}  // namespace shipgate::admin
