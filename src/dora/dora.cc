#include "shipgate/dora/dora.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace shipgate::dora {
namespace {

constexpr int64_t kHour = 3600LL * 1000;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;

// DORA's bands (State of DevOps 2019-2021 wording), with our cut-offs:
// frequency: elite >= 1/day (7/week), high >= 1/week, medium >= 1/month (12/52 per week).
Band frequencyBand(double per_week) {
  if (per_week >= 7) return Band::kElite;
  if (per_week >= 1) return Band::kHigh;
  if (per_week >= 12.0 / 52.0) return Band::kMedium;
  return Band::kLow;
}
// lead time: elite < 1 day, high < 1 week, medium < 1 month (30 days).
Band leadBand(int64_t ms) {
  if (ms < kDay) return Band::kElite;
  if (ms < kWeek) return Band::kHigh;
  if (ms < 30 * kDay) return Band::kMedium;
  return Band::kLow;
}
// time to restore: elite < 1 hour, high < 1 day, medium < 1 week.
Band restoreBand(int64_t ms) {
  if (ms < kHour) return Band::kElite;
  if (ms < kDay) return Band::kHigh;
  if (ms < kWeek) return Band::kMedium;
  return Band::kLow;
}
// change failure rate: elite <= 5 %, high <= 10 %, medium <= 15 %.
Band failureBand(double rate) {
  if (rate <= 0.05) return Band::kElite;
  if (rate <= 0.10) return Band::kHigh;
  if (rate <= 0.15) return Band::kMedium;
  return Band::kLow;
}

}  // namespace

const char* bandName(Band b) {
  switch (b) {
    case Band::kElite: return "elite";
    case Band::kHigh: return "high";
    case Band::kMedium: return "medium";
    case Band::kLow: return "low";
  }
  return "low";
}

std::optional<int64_t> percentile(std::vector<int64_t> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size())));
  rank = std::clamp<size_t>(rank, 1, values.size());
  return values[rank - 1];
}

Result<DoraReport> computeDora(store::StateStore& store, const DoraOptions& options) {
  if (options.now_ms <= 0 || options.window_ms <= 0) {
    return Status::invalidArgument("dora: now and window must be positive");
  }
  DoraReport r;
  r.environment = options.environment;
  r.window_end_ms = options.now_ms;
  r.window_start_ms = options.now_ms - options.window_ms;
  auto inWindow = [&](int64_t t) { return t > r.window_start_ms && t <= r.window_end_ms; };

  auto apps = store.listApps();
  if (!apps.isOk()) return apps.status();
  std::set<std::string> env_apps;
  for (const auto& a : *apps) {
    if (a.environment == options.environment) env_apps.insert(a.name);
  }
  auto deployments = store.listDeployments("", 0);
  if (!deployments.isOk()) return deployments.status();
  auto incidents = store.listIncidents("", false, 0);
  if (!incidents.isOk()) return incidents.status();

  std::map<std::string, const store::DeploymentRecord*> by_id;
  for (const auto& d : *deployments) by_id[d.id] = &d;
  std::set<std::string> incident_deployments;
  for (const auto& i : *incidents) {
    if (!i.deployment_id.empty()) incident_deployments.insert(i.deployment_id);
  }

  // A rollback (standard or emergency) of the environment fails the change it undid: the latest
  // succeeded deploy of the app, of the version the rollback replaced (its previous_version),
  // finished before the rollback was asked for.
  for (const auto& rb : *deployments) {
    if (rb.kind == store::DeploymentKind::kDeploy || rb.environment != options.environment ||
        rb.previous_version.empty()) {
      continue;
    }
    const store::DeploymentRecord* undone = nullptr;
    for (const auto& d : *deployments) {
      if (d.kind != store::DeploymentKind::kDeploy || d.app != rb.app ||
          d.environment != rb.environment || d.version != rb.previous_version ||
          d.state != store::DeploymentState::kSucceeded || d.finished_at > rb.created_at) {
        continue;
      }
      if (undone == nullptr || d.finished_at > undone->finished_at) undone = &d;
    }
    if (undone != nullptr) incident_deployments.insert(undone->id);
  }

  std::vector<int64_t> lead_times;
  for (const auto& d : *deployments) {
    if (d.kind != store::DeploymentKind::kDeploy || d.environment != options.environment) continue;
    if (!inWindow(d.finished_at)) continue;
    bool succeeded = d.state == store::DeploymentState::kSucceeded;
    bool rolled_back = d.state == store::DeploymentState::kRolledBack;
    if (!succeeded && !rolled_back) continue;
    ++r.changes;
    if (rolled_back || incident_deployments.count(d.id)) ++r.failed_changes;
    if (!succeeded) continue;
    ++r.successful;
    auto rel = store.findRelease(d.app, d.version);
    if (rel.isOk() && rel->commit_time > 0 && d.finished_at >= rel->commit_time) {
      lead_times.push_back(d.finished_at - rel->commit_time);
    }
  }
  r.deployments_per_week =
      static_cast<double>(r.successful) * static_cast<double>(kWeek) /
      static_cast<double>(options.window_ms);
  r.lead_time_median_ms = percentile(lead_times, 50);
  r.lead_time_p90_ms = percentile(lead_times, 90);

  std::vector<int64_t> restores;
  for (const auto& i : *incidents) {
    bool in_env = env_apps.count(i.app) > 0;
    if (auto it = by_id.find(i.deployment_id); it != by_id.end()) {
      in_env = it->second->environment == options.environment;
    }
    if (!in_env || !inWindow(i.opened_at)) continue;
    if (i.resolved_at == 0) {
      ++r.incidents_open;
    } else {
      ++r.incidents_resolved;
      restores.push_back(i.resolved_at - i.opened_at);
    }
  }
  if (!restores.empty()) {
    int64_t sum = 0;
    for (int64_t v : restores) sum += v;
    r.restore_mean_ms = sum / static_cast<int64_t>(restores.size());
    r.restore_median_ms = percentile(restores, 50);
  }
  if (r.changes > 0) r.change_failure_rate = static_cast<double>(r.failed_changes) / r.changes;

  const Targets& t = options.targets;
  r.frequency_band = frequencyBand(r.deployments_per_week);
  r.frequency_met = r.deployments_per_week >= t.deployments_per_week;
  if (r.lead_time_median_ms) {
    r.lead_time_band = leadBand(*r.lead_time_median_ms);
    r.lead_time_met = *r.lead_time_median_ms < t.lead_time_ms;
  }
  if (r.restore_mean_ms) {
    r.restore_band = restoreBand(*r.restore_median_ms);
    r.restore_met = *r.restore_mean_ms < t.time_to_restore_ms;
  }
  if (r.change_failure_rate) {
    r.failure_band = failureBand(*r.change_failure_rate);
    r.failure_met = *r.change_failure_rate < t.change_failure_rate;
  }
  return r;
}

}  // namespace shipgate::dora
