#include "shipgate/admin/controller.h"

#include <chrono>

#include "shipgate/common/log.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/health/health_config.h"
#include "shipgate/health/monitor.h"
#include "shipgate/server/gateway.h"
#include "shipgate/store/state_store.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/plan.h"
#include "shipgate/traffic/traffic_config.h"
#include "shipgate/traffic/traffic_control.h"

namespace shipgate::admin {

using config::Config;
using traffic::Slot;

Controller::Controller(std::string config_path, server::Gateway& gateway,
                       health::HealthMonitor& monitor, traffic::TrafficControl& traffic,
                       traffic::HealthRegistry& registry, Options options)
    : config_path_(std::move(config_path)),
      gateway_(gateway),
      monitor_(monitor),
      traffic_(traffic),
      registry_(registry),
      options_(std::move(options)) {}

void Controller::audit(const std::string& actor, const std::string& action,
                       const std::string& subject, const nlohmann::json& detail) {
  if (options_.audit == nullptr) return;
  store::AuditEntry e;
  e.at = registry_.clock().wallMillis();
  e.actor = actor;
  e.action = action;
  e.subject = subject;
  e.detail_json = detail.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  auto id = options_.audit->appendAudit(e);
  if (!id) {
    log::error("audit log: " + action + " of " + subject + " by " + actor +
               " not recorded: " + id.status().message());
  }
}

std::shared_ptr<const Config> Controller::config() const { return traffic_.config(); }

Status Controller::reload(const std::string& actor) {
  config::LoadResult loaded = config::loadFile(
      config_path_,
      options_.sections.empty()
          ? std::vector<const config::SectionValidator*>{&health::healthSection(),
                                                         &traffic::trafficSection(),
                                                         &firewall::firewallSection()}
          : options_.sections);
  if (!loaded.ok()) {
    std::string msg = "config " + config_path_ + " refused; the old config keeps serving:";
    for (const auto& d : loaded.diagnostics) {
      if (d.severity == config::Diagnostic::Severity::kError) msg += "\n  " + d.toString();
    }
    log::error(msg);
    audit(actor, "reload", config_path_, {{"result", "refused"}, {"error", msg}});
    return Status::invalidArgument(msg);
  }
  MutexLock lock(reload_mu_);
  if (options_.apply) {
    Status st = options_.apply(loaded.config);
    if (!st.isOk()) {
      log::error("reload of " + config_path_ + " failed; the old config keeps serving: " +
                 st.message());
      audit(actor, "reload", config_path_, {{"result", "failed"}, {"error", st.message()}});
      return st;
    }
    log::info("config reloaded from " + config_path_);
    audit(actor, "reload", config_path_, {{"result", "ok"}});
    return Status::success();
  }
  Status st = gateway_.apply(loaded.config);
  if (!st.isOk()) {
    log::error("reload of " + config_path_ + " failed; the old config keeps serving: " +
               st.message());
    audit(actor, "reload", config_path_, {{"result", "failed"}, {"error", st.message()}});
    return st;
  }
  traffic_.setConfig(loaded.config);
  monitor_.update(traffic::appTargets(*loaded.config));
  log::info("config reloaded from " + config_path_);
  audit(actor, "reload", config_path_, {{"result", "ok"}});
  return Status::success();
}

Status Controller::switchSlot(const std::string& app, Slot slot, const std::string& actor) {
  SG_RETURN_IF_ERROR(traffic_.switchSlot(app, slot));
  audit(actor, "switch", app, {{"slot", traffic::slotName(slot)}});
  return Status::success();
}

Status Controller::setWeights(const std::string& app, int blue, int green,
                              const std::string& actor) {
  SG_RETURN_IF_ERROR(traffic_.setWeights(app, blue, green));
  audit(actor, "switch", app, {{"weights", {{"blue", blue}, {"green", green}}}});
  return Status::success();
}

Status Controller::approveFailover(const std::string& app, const std::string& region,
                                   const std::string& actor) {
  SG_RETURN_IF_ERROR(traffic_.approveFailover(app, region));
  audit(actor, "failover_approve", app, {{"region", region}});
  return Status::success();
}

Status Controller::revokeFailover(const std::string& app, const std::string& region,
                                  const std::string& actor) {
  SG_RETURN_IF_ERROR(traffic_.revokeFailover(app, region));
  audit(actor, "failover_revoke", app, {{"region", region}});
  return Status::success();
}

nlohmann::json Controller::status() const {
  using nlohmann::json;
  const std::shared_ptr<const Config> cfg = traffic_.config();
  const auto overlay = traffic_.overlay();
  auto plan = gateway_.plan();
  const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             registry_.clock().now().time_since_epoch())
                             .count();
  json out;
  out["config"] = config_path_;
  out["apps"] = json::array();
  const traffic::TrafficConfig& routing_config = traffic::trafficConfigOf(*cfg);
  for (const auto& app : routing_config.apps) {
    json a;
    a["name"] = app.name;
    const traffic::EffectiveSlot routing = traffic::effectiveSlot(app, overlay->find(app.name));
    a["active_slot"] = traffic::slotName(routing.active_slot);
    a["weights"] = routing.weights
                       ? json{{"blue", (*routing.weights)[0]}, {"green", (*routing.weights)[1]}}
                       : json(nullptr);
    a["switched_at_runtime"] = routing.runtime;
    a["balance"] = app.balance == traffic::Balance::kRoundRobin ? "round_robin" : "least_request";
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
                         {"approved", overlay->approved(app.name, r.name)},
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
        slots[traffic::slotName(ep.slot)].push_back(
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
  for (const auto& s : routing_config.sites) {
    out["sites"].push_back({{"name", s.name},
                            {"hosts", s.hosts},
                            {"path_prefix", s.path_prefix},
                            {"kind", s.kind == traffic::SiteKind::kStatic ? "static" : "app"},
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
