// DORA metrics from the state store's records: deployment frequency, lead time for changes,
// time to restore service and change failure rate, for one environment over a window ending at
// `now`, compared with the seed's targets ("Success Metrics") and classified into DORA bands.
//
// What counts (all times are Unix milliseconds):
// - a change: a deployment of kind deploy to the environment, finished (finished_at) inside the
//   window, in state succeeded or rolled_back (a failed or rejected one never reached traffic).
// - deployment frequency: the succeeded changes, per week of the window.
// - lead time: for each succeeded change whose release has a commit_time, finished_at minus
//   commit_time; median and p90 (nearest rank).
// - a failed change: a rolled_back change, a succeeded one an incident names (deployment_id), or
//   a succeeded one a later rollback undid (a rollback or emergency rollback deployment whose
//   previous_version is its version: the latest such deploy of the app finished before the
//   rollback was created). change failure rate = failed changes / changes.
// - time to restore: the incidents of the environment's apps (the app's environment, or the
//   deployment's the incident names) opened inside the window and resolved: resolved_at minus
//   opened_at; mean and median. Open ones are counted apart.
// Thread-compatible; computeDora only reads the store.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/store/state_store.h"

namespace shipgate::dora {

enum class Band { kElite, kHigh, kMedium, kLow };
const char* bandName(Band b);  // elite | high | medium | low

// The seed's targets: 5+ deployments/week, lead time < 2 h, mean time to recovery < 15 min,
// change failure rate < 5 %.
struct Targets {
  double deployments_per_week = 5;
  int64_t lead_time_ms = 2 * 3600 * 1000;
  int64_t time_to_restore_ms = 15 * 60 * 1000;
  double change_failure_rate = 0.05;
};

struct DoraOptions {
  std::string environment = "production";
  int64_t window_ms = 30LL * 24 * 3600 * 1000;
  int64_t now_ms = 0;  // REQUIRES: > 0
  Targets targets;
};

struct DoraReport {
  std::string environment;
  int64_t window_start_ms = 0, window_end_ms = 0;
  int changes = 0;            // succeeded + rolled back deploys in the window
  int successful = 0;         // succeeded deploys
  int failed_changes = 0;     // rolled back, or named by an incident
  double deployments_per_week = 0;
  std::optional<int64_t> lead_time_median_ms, lead_time_p90_ms;  // none without commit times
  int incidents_resolved = 0, incidents_open = 0;
  std::optional<int64_t> restore_mean_ms, restore_median_ms;     // none without resolved ones
  std::optional<double> change_failure_rate;                     // none without changes
  Band frequency_band = Band::kLow;
  std::optional<Band> lead_time_band, restore_band, failure_band;
  bool frequency_met = false, lead_time_met = false, restore_met = false, failure_met = false;
};

// Nearest-rank percentile (p in (0,100]) of `values`; none when empty.
std::optional<int64_t> percentile(std::vector<int64_t> values, double p);

// Reads apps, deployments, releases and incidents from `store`. Errors: the store's.
Result<DoraReport> computeDora(store::StateStore& store, const DoraOptions& options);

}  // namespace shipgate::dora
