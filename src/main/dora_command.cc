// `shipgate dora`: the DORA metrics of one environment over a window, from the state store the
// config names (state.dir / state.url), against the seed's success metrics. Exit 0 printed (the
// targets are reported, not enforced), 2 usage, config or store errors.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "shipgate/common/clock.h"
#include "shipgate/common/clock_file.h"
#include "shipgate/config/loader.h"
#include "shipgate/dora/dora.h"
#include "shipgate/release/release_config.h"
#include "shipgate/store/open_state_store.h"

namespace shipgate::cli {
namespace {

std::string duration(std::optional<int64_t> ms) {
  if (!ms) return "-";
  char buf[64];
  double v = static_cast<double>(*ms);
  if (v < 60e3) {
    std::snprintf(buf, sizeof buf, "%.1f s", v / 1e3);
  } else if (v < 3600e3) {
    std::snprintf(buf, sizeof buf, "%.1f min", v / 60e3);
  } else if (v < 86400e3) {
    std::snprintf(buf, sizeof buf, "%.1f h", v / 3600e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f d", v / 86400e3);
  }
  return buf;
}

nlohmann::json orNull(std::optional<int64_t> v) { return v ? nlohmann::json(*v) : nlohmann::json(); }

}  // namespace

CLI::App* addDoraCommand(CLI::App& app, DoraCommandOptions& options) {
  auto* dora = app.add_subcommand("dora", "DORA metrics of an environment from the state store");
  dora->add_option("-c,--config", options.config_path, "Config file (its state.dir / state.url)");
  dora->add_option("--env", options.env, "Environment")->capture_default_str();
  dora->add_option("--window", options.window, "Window ending now, e.g. 30d, 7d, 12h")
      ->capture_default_str();
  dora->add_flag("--json", options.json, "Print JSON");
  return dora;
}

int runDora(const DoraCommandOptions& options) {
  Result<Millis> window = config::parseDuration(options.window);
  if (!window.isOk() || window->count() <= 0) {
    std::cerr << "shipgate dora: --window: "
              << (window.isOk() ? std::string("must be positive") : window.status().message())
              << "\n";
    return 2;
  }
  config::LoadResult loaded = config::loadFile(options.config_path, configSections());
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::cerr << d.toString() << "\n";
    return 2;
  }
  const release::ReleaseConfig& rc = release::releaseConfigOf(*loaded.config);
  auto store = store::openStateStore(rc.state_dir, rc.state_url);
  if (!store.isOk()) {
    std::cerr << "shipgate dora: " << store.status().message() << "\n";
    return 2;
  }
  dora::DoraOptions o;
  o.environment = options.env;
  o.window_ms = window->count();
  o.now_ms = recordClock().wallMillis();  // SHIPGATE_CLOCK_FILE: test-only
  auto r = dora::computeDora(**store, o);
  if (!r.isOk()) {
    std::cerr << "shipgate dora: " << r.status().message() << "\n";
    return 2;
  }
  auto band = [](std::optional<dora::Band> b) { return b ? dora::bandName(*b) : "-"; };
  auto met = [](bool m, bool known) { return known ? (m ? "met" : "missed") : "-"; };
  if (options.json) {
    nlohmann::json j = {
        {"environment", r->environment},
        {"window_ms", o.window_ms},
        {"changes", r->changes},
        {"deployments", r->successful},
        {"failed_changes", r->failed_changes},
        {"deployments_per_week", r->deployments_per_week},
        {"lead_time_median_ms", orNull(r->lead_time_median_ms)},
        {"lead_time_p90_ms", orNull(r->lead_time_p90_ms)},
        {"time_to_restore_mean_ms", orNull(r->restore_mean_ms)},
        {"time_to_restore_median_ms", orNull(r->restore_median_ms)},
        {"incidents_resolved", r->incidents_resolved},
        {"incidents_open", r->incidents_open},
        {"change_failure_rate",
         r->change_failure_rate ? nlohmann::json(*r->change_failure_rate) : nlohmann::json()},
        {"bands",
         {{"deployment_frequency", dora::bandName(r->frequency_band)},
          {"lead_time", band(r->lead_time_band)},
          {"time_to_restore", band(r->restore_band)},
          {"change_failure_rate", band(r->failure_band)}}},
        {"targets_met",
         {{"deployment_frequency", r->frequency_met},
          {"lead_time", r->lead_time_met},
          {"time_to_restore", r->restore_met},
          {"change_failure_rate", r->failure_met}}}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }
  char line[256];
  std::cout << "environment " << r->environment << ", window " << options.window << "\n";
  std::printf("%-22s %-28s %-8s %-10s %s\n", "METRIC", "VALUE", "BAND", "TARGET", "");
  std::snprintf(line, sizeof line, "%.2f/week (%d deployments)", r->deployments_per_week,
                r->successful);
  std::printf("%-22s %-28s %-8s %-10s %s\n", "deployment frequency", line,
              dora::bandName(r->frequency_band), "5+/week", met(r->frequency_met, true));
  std::string lt = "median " + duration(r->lead_time_median_ms) + ", p90 " +
                   duration(r->lead_time_p90_ms);
  std::printf("%-22s %-28s %-8s %-10s %s\n", "lead time", lt.c_str(), band(r->lead_time_band),
              "< 2 h", met(r->lead_time_met, r->lead_time_median_ms.has_value()));
  std::string tr = "mean " + duration(r->restore_mean_ms) + ", median " +
                   duration(r->restore_median_ms);
  std::printf("%-22s %-28s %-8s %-10s %s\n", "time to restore", tr.c_str(), band(r->restore_band),
              "< 15 min", met(r->restore_met, r->restore_mean_ms.has_value()));
  if (r->change_failure_rate) {
    std::snprintf(line, sizeof line, "%.1f%% (%d of %d)", *r->change_failure_rate * 100,
                  r->failed_changes, r->changes);
  } else {
    std::snprintf(line, sizeof line, "- (no changes)");
  }
  std::printf("%-22s %-28s %-8s %-10s %s\n", "change failure rate", line, band(r->failure_band),
              "< 5%", met(r->failure_met, r->change_failure_rate.has_value()));
  std::cout << r->incidents_open << " incident(s) still open\n";
  std::fflush(stdout);
  return 0;
}

}  // namespace shipgate::cli
