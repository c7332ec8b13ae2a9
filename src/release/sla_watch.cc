// The post-bake SLA watch (see sla_watch.h).
#include "sla_watch.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "controller_impl.h"
#include "incidents.h"
#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"
#include "shipgate/metrics/telemetry_reader.h"
#include "shipgate/rum/rum_store.h"
#include "shipgate/watch/watch_config.h"

namespace shipgate::release {

using json = nlohmann::json;

LiveSlaSource::LiveSlaSource(const metrics::TelemetryReader& telemetry, const rum::RumStore* rum,
                             std::string app, std::string slot, std::string version)
    : telemetry_(telemetry),
      rum_(rum),
      app_(std::move(app)),
      slot_(std::move(slot)),
      version_(std::move(version)) {}

std::optional<double> LiveSlaSource::percentile(std::string_view metric, double p,
                                                std::chrono::milliseconds window) const {
  if (metric == watch::kApiResponseTime) {
    auto q = telemetry_.latencyQuantile(app_, slot_, p / 100.0, window);
    if (!q) return std::nullopt;
    return *q * 1000.0;
  }
  if (rum_ == nullptr) return std::nullopt;
  return rum_->percentile(metric, label(metric, window), p, window);
}

int64_t LiveSlaSource::count(std::string_view metric, std::chrono::milliseconds window) const {
  if (metric == watch::kApiResponseTime) {
    return static_cast<int64_t>(telemetry_.requests(app_, slot_, window).total);
  }
  if (rum_ == nullptr) return 0;
  return static_cast<int64_t>(rum_->count(metric, label(metric, window), window));
}

std::string LiveSlaSource::label(std::string_view metric, std::chrono::milliseconds window) const {
  std::string by_version = app_ + "@" + version_;
  if (rum_->count(metric, by_version, window) > 0) return by_version;
  return app_ + "@" + slot_;
}

SlaWatch::SlaWatch(DeployController& controller) : c_(controller) {}

SlaWatch::~SlaWatch() { stop(); }

void SlaWatch::start() {
  {
    MutexLock lock(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    setThreadName("sg-sla-watch");
    run();
  });
}

void SlaWatch::stop() {
  {
    MutexLock lock(mu_);
    stop_ = true;
    cv_.notifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

bool SlaWatch::sleepUntil(int64_t deadline_mono_ms) {
  MutexLock lock(mu_);
  // stop() notifies; nothing else ends the wait early, so on the real clock it sleeps until the
  // deadline (not every `poll`: an idle gateway does not wake 50 times a second for this).
  for (int64_t now = c_.monoMs(); !stop_ && now < deadline_mono_ms; now = c_.monoMs()) {
    cv_.waitFor(lock, c_.deps().clock.sleepFor(std::chrono::milliseconds(deadline_mono_ms - now),
                                               c_.deps().poll));
  }
  return !stop_;
}

void SlaWatch::run() {
  int64_t next = c_.monoMs() + kEveryMs;
  while (sleepUntil(next)) {
    if (c_.stopping()) return;
    pass();
    // A clock that jumped is not caught up second by second: one pass judges the latest window.
    next = std::max(next + kEveryMs, c_.monoMs());
  }
}

void SlaWatch::adopt() {
  auto open = c_.deps().store.listIncidents("", /*open_only=*/true, 0);
  if (!open) {
    log::error("SLA watch: cannot list the open incidents (retrying): " + open.status().message());
    return;
  }
  for (const auto& inc : *open) {
    json detail = json::parse(inc.detail_json, nullptr, /*allow_exceptions=*/false);
    if (!detail.is_object() || detail.value("source", "") != "sla_watch" ||
        !detail.contains("metric") || !detail["metric"].is_string()) {
      continue;
    }
    open_[{inc.app, detail["metric"].get<std::string>()}] = Open{inc.id, inc.deployment_id};
  }
  adopted_ = true;
}

void SlaWatch::pass() {
  ControllerDeps& deps = c_.deps();
  auto cfg = deps.gateway.config();
  const auto& slas = watch::watchConfigOf(*cfg).slas;
  if (slas.empty() && open_.empty() && adopted_) return;
  if (!adopted_) adopt();
  if (!adopted_) return;  // without the open incidents a breach could be opened twice
  const ReleaseConfig& rc = releaseConfigOf(*cfg);
  std::set<std::pair<std::string, std::string>> watched;
  for (const AppRelease& app : rc.apps) {
    const EnvironmentConfig* env = rc.findEnvironment(app.environment);
    if (env == nullptr || !env->triggers) continue;
    for (const auto& sla : slas) watched.insert({app.app, sla.metric});
    if (c_.activeRun(app.app)) continue;
    auto eff = deps.gateway.effective(app.app);
    if (!eff) continue;
    const std::string slot = traffic::slotName(eff->active_slot);
    std::string version;
    if (auto slots = deps.store.slotStates(app.app); slots.isOk()) {
      for (const auto& s : *slots) {
        if (s.slot == slot && s.state == store::SlotState::kLive) version = s.version;
      }
    }
    if (version.empty()) continue;
    LiveSlaSource source(deps.telemetry, deps.rum, app.app, slot, version);
    for (const auto& sla : slas) {
      const watch::SlaResult res = watch::evaluateSla(sla, source);
      const auto key = std::make_pair(app.app, sla.metric);
      IncidentContext ctx;
      ctx.env = env->name;
      ctx.version = version;
      ctx.actor = "controller";
      ctx.fields = {
          {"rule", "sla " + sla.metric},
          {"value", res.value_ms ? std::to_string(std::lround(*res.value_ms)) + "ms" : "none"},
          {"threshold", std::to_string(std::lround(sla.alert_threshold_ms)) + "ms"},
          {"window_ms", std::to_string(sla.window.count())}};
      auto it = open_.find(key);
      if (it == open_.end()) {
        if (res.verdict != watch::SlaVerdict::kAlert) continue;
        store::IncidentRecord inc;
        inc.app = app.app;
        if (auto ds = deps.store.listDeployments(app.app, 20); ds.isOk()) {
          for (const auto& d : *ds) {
            if (d.state == store::DeploymentState::kSucceeded && d.version == version) {
              inc.deployment_id = d.id;
              break;
            }
          }
        }
        inc.cause = "SLA breached after the bake: " + app.app + " " + version + ": " + res.summary;
        inc.detail_json = json{{"source", "sla_watch"},
                               {"rule", "sla " + sla.metric},
                               {"metric", sla.metric},
                               {"slot", slot},
                               {"version", version},
                               {"value", res.value_ms ? json(*res.value_ms) : json(nullptr)},
                               {"target", sla.target_ms},
                               {"threshold", sla.alert_threshold_ms},
                               {"percentile", sla.percentile},
                               {"window_ms", sla.window.count()},
                               {"samples", res.samples},
                               {"summary", res.summary}}
                              .dump();
        inc.opened_at = deps.clock.wallMillis();
        if (int64_t id = openIncident(deps, inc, ctx); id != 0) {
          open_[key] = Open{id, inc.deployment_id};
        }
      } else if (res.verdict == watch::SlaVerdict::kOk ||
                 res.verdict == watch::SlaVerdict::kOverTarget) {
        if (resolveIncident(deps, it->second.id, app.app, it->second.deployment_id,
                            "back within the alert threshold: " + res.summary, ctx)) {
          open_.erase(it);
        }
      }
    }
  }
  // An SLA (or app) no longer watched after a reload cannot recover in this watch's eyes.
  for (auto it = open_.begin(); it != open_.end();) {
    if (watched.count(it->first) != 0) {
      ++it;
      continue;
    }
    IncidentContext ctx;
    ctx.actor = "controller";
    if (resolveIncident(
            deps, it->second.id, it->first.first, it->second.deployment_id,
            "the SLA " + it->first.second + " is no longer watched for " + it->first.first, ctx)) {
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace shipgate::release
