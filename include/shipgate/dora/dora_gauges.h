// DoraGauges: the DORA metrics (dora.h) of every environment as Prometheus gauges on the metrics
// registry, recomputed from the state store's records on a background thread every `interval`
// (60 s by default) and when refresh() is asked (serve asks after each finished deployment),
// never on a scrape: a scrape renders the last computation.
//
// Series, for each environment of the store and each window of the options (7d and 30d by
// default), labels {environment, window}; a series with nothing to measure is left out (no lead
// time without commit times, no time to restore without resolved incidents, no failure ratio
// without changes):
//   shipgate_dora_deployments                   succeeded deploys in the window
//   shipgate_dora_changes                       succeeded + rolled back deploys in the window
//   shipgate_dora_failed_changes                rolled back, or named by an incident
//   shipgate_dora_deployment_frequency_per_day  succeeded deploys per day of the window
//   shipgate_dora_deployment_frequency_per_week succeeded deploys per week of the window
//   shipgate_dora_lead_time_median_seconds      commit time to live, median (nearest rank)
//   shipgate_dora_lead_time_p90_seconds         the same, p90 (nearest rank)
//   shipgate_dora_time_to_restore_median_seconds  incident opened to resolved, median
//   shipgate_dora_time_to_restore_mean_seconds    the same, mean
// (plain gauges, not a summary: promtool refuses a "quantile" label on a gauge)
//   shipgate_dora_change_failure_ratio          failed changes / changes
//   shipgate_dora_last_computed_timestamp_seconds  (no labels) wall time of the last computation
// Thread-safety: every method is thread-safe. REQUIRES: store, registry and clock outlive this;
// the registry's collector keeps a shared pointer to the rendered text, so a scrape after this
// object is gone renders the last text.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/dora/dora.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/store/state_store.h"

namespace shipgate::dora {

struct GaugeWindow {
  std::string label;  // the window label, e.g. "30d"
  int64_t ms = 0;     // REQUIRES: > 0
};

struct DoraGaugeOptions {
  std::vector<GaugeWindow> windows = {{"7d", 7LL * 24 * 3600 * 1000},
                                      {"30d", 30LL * 24 * 3600 * 1000}};
  std::chrono::milliseconds interval{60'000};
  Targets targets;
};

class DoraGauges {
 public:
  DoraGauges(store::StateStore& store, metrics::Registry& registry, const Clock& clock,
             DoraGaugeOptions options = {});
  ~DoraGauges();
  DoraGauges(const DoraGauges&) = delete;
  DoraGauges& operator=(const DoraGauges&) = delete;

  // Computes once now (on the caller's thread), then every interval on the background thread.
  void start();
  void stop();
  // Asks the background thread to recompute now (returns at once; never lost: a request made
  // while it computes makes it compute again). Before start(): remembered for the first pass.
  void refresh();
  // Recomputes on the caller's thread. Errors: the store's (the last text is kept).
  Status computeNow();

  struct Text {
    Mutex mu;
    std::string prometheus GUARDED_BY(mu);
  };

 private:
  store::StateStore& store_;
  const Clock& clock_;
  const DoraGaugeOptions options_;
  std::shared_ptr<Text> text_;
  Mutex compute_mu_;  // one computation at a time
  void run();
  Mutex mu_;
  CondVar cv_;
  bool pending_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace shipgate::dora
