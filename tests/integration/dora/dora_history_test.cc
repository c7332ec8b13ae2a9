// DORA on the seeded history of scripts/dora-history.sh (its header lists the timeline). The
// script drives the real CLI against the real `shipgate serve` on the test-only clock file
// (SHIPGATE_CLOCK_FILE); then `shipgate dora --json` (same clock: "now" = base + 30 days) and the
// shipgate_dora_* gauges on /metrics are checked against the figures computed by hand below.
#include <cmath>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr int64_t kBase = 1793491200;         // 2026-11-01T00:00:00Z, the script's default
constexpr int64_t kNow = kBase + 30 * 86400;  // the last deployment (v16), "now"

// `shipgate dora --json --window W` on the clock file; the parsed answer.
json dora(Deployer& d, const std::string& window) {
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate", "dora", "-c", d.configPath(), "--json",
            "--window", window};
  o.env = {{"SHIPGATE_CLOCK_FILE", d.dir().file("clock")}};
  testsupport::Process p(o);
  EXPECT_TRUE(p.start());
  auto code = p.wait(60s);
  EXPECT_EQ(code, std::optional<int>(0)) << p.describe();
  json j = json::parse(p.stdoutText(), nullptr, false);
  EXPECT_TRUE(j.is_object()) << p.stdoutText() << p.stderrText();
  return j;
}

// The value of one series on /metrics (NaN when absent).
double gauge(Deployer& d, const std::string& series) {
  std::string line = metricLine(d, series);
  if (line.empty()) return std::nan("");
  return std::stod(line.substr(line.rfind(' ') + 1));
}

std::string series(const std::string& name, const std::string& window,
                   const std::string& extra = "") {
  return name + "{environment=\"production\",window=\"" + window + "\"" + extra + "}";
}

TEST(DoraHistory, SeededMonthMatchesTheFiguresComputedByHand) {
  Deployer::Settings s;
  s.approval = "none";
  s.replicas = 1;
  s.bake = "1s";
  s.scale_down_delay = "1s";
  // The bad release answers /api/ with errors (its health endpoint stays up): smoke fails.
  s.smoke = {"{path: /api/health, expect_status: 200}",
             "{path: /api/properties, expect_status: 200}"};
  Deployer d(s);
  const std::string clock = d.dir().file("clock");
  d.dir().writeFile("clock", std::to_string((kBase - 86400) * 1000) + "\n");
  d.settings().serve_env = {{"SHIPGATE_CLOCK_FILE", clock},
                            {"SHIPGATE_TEST_HOLD_STEP", "switch:2000"}};
  ASSERT_TRUE(d.startServe());

  testsupport::ProcessOptions o;
  o.argv = {"sh", testsupport::sourceDir() + "/scripts/dora-history.sh",
            "--shipgate", testsupport::buildDir() + "/shipgate",
            "--config", d.configPath(),
            "--clock-file", clock,
            "--app", "api",
            "--good", d.releaseDir("good"),
            "--bad", d.releaseDir("bad", Behaviour::kErrors),
            "--work", d.dir().file("work")};
  testsupport::Process script(o);
  ASSERT_TRUE(script.start());
  auto code = script.wait(900s);
  ASSERT_EQ(code, std::optional<int>(0))
      << script.stdoutText() << script.stderrText() << d.serveLogs();

  // ---- 30 days: (day 0, day 30]. ----
  // Succeeded deploys: v2 v3 v4 v6 v7 v8 v9 v10 v11 v12 v13 v14 v15 v16 = 14. v1 finished at
  // day 0 00:00, the window's (exclusive) start: not counted. v5 failed its smoke: no change.
  // Rollbacks are not changes. So changes = 14, deployments = 14.
  // Failed changes: v6 (emergency rollback, day 12), v8 (rollback to v7, day 18), v11
  // (emergency rollback, day 25) = 3; change failure rate = 3/14 = 0.2142...
  // Frequency: 14 per 30 days = 14 * 7 / 30 = 3.2667 a week (DORA high: >= 1/week; target 5+:
  // missed).
  // Lead times (s): v2 5400, v3 2700, v4 10800, v6 1800, v7 3600, v8 1200, v9 3000, v10 2400,
  // v11 1500, v12 2100, v13 900, v14 3300, v15 600, v16 1800. Sorted: 600 900 1200 1500 1800
  // 1800 2100 2400 2700 3000 3300 3600 5400 10800. Median = rank ceil(14 * 0.5) = 7 -> 2100 s;
  // p90 = rank ceil(14 * 0.9) = ceil(12.6) = 13 -> 5400 s. Median 35 min < 2 h: met; elite
  // (< 1 day).
  // Time to restore: the two emergency incidents, 12 min (720 s) and 10 min (600 s). Sorted
  // 600 720: median = rank 1 -> 600 s; mean = 660 s = 11 min < 15 min: met; elite (< 1 h).
  // Change failure band: 21.4 % > 15 %: low; target < 5 %: missed.
  json m = dora(d, "30d");
  EXPECT_EQ(m["environment"], "production");
  EXPECT_EQ(m["window_ms"], 30LL * 86400 * 1000);
  EXPECT_EQ(m["deployments"], 14) << m.dump(2);
  EXPECT_EQ(m["changes"], 14);
  EXPECT_EQ(m["failed_changes"], 3);
  EXPECT_DOUBLE_EQ(m["deployments_per_week"].get<double>(), 14.0 * 7 / 30);
  EXPECT_EQ(m["lead_time_median_ms"], 2100 * 1000);
  EXPECT_EQ(m["lead_time_p90_ms"], 5400 * 1000);
  EXPECT_EQ(m["incidents_resolved"], 2);
  EXPECT_EQ(m["incidents_open"], 0);
  EXPECT_EQ(m["time_to_restore_median_ms"], 600 * 1000);
  EXPECT_EQ(m["time_to_restore_mean_ms"], 660 * 1000);
  EXPECT_DOUBLE_EQ(m["change_failure_rate"].get<double>(), 3.0 / 14);
  EXPECT_EQ(m["bands"]["deployment_frequency"], "high");
  EXPECT_EQ(m["bands"]["lead_time"], "elite");
  EXPECT_EQ(m["bands"]["time_to_restore"], "elite");
  EXPECT_EQ(m["bands"]["change_failure_rate"], "low");
  EXPECT_EQ(m["targets_met"]["deployment_frequency"], false);
  EXPECT_EQ(m["targets_met"]["lead_time"], true);
  EXPECT_EQ(m["targets_met"]["time_to_restore"], true);
  EXPECT_EQ(m["targets_met"]["change_failure_rate"], false);

  // ---- 7 days: (day 23, day 30]. ----
  // v9 finished at day 23 00:00, the start: out. Deploys v10..v16 = 7, changes 7; failed: v11
  // (emergency rollback) = 1, rate 1/7 = 14.3 % (medium: <= 15 %; missed).
  // Frequency 7 a week: elite (>= 7), target 5+ met.
  // Lead times (s): v10 2400, v11 1500, v12 2100, v13 900, v14 3300, v15 600, v16 1800 ->
  // sorted 600 900 1500 1800 2100 2400 3300: median rank ceil(3.5) = 4 -> 1800; p90 rank
  // ceil(6.3) = 7 -> 3300. Restore: the day-25 incident alone, 600 s (mean and median).
  json w = dora(d, "7d");
  EXPECT_EQ(w["deployments"], 7) << w.dump(2);
  EXPECT_EQ(w["changes"], 7);
  EXPECT_EQ(w["failed_changes"], 1);
  EXPECT_DOUBLE_EQ(w["deployments_per_week"].get<double>(), 7.0);
  EXPECT_EQ(w["lead_time_median_ms"], 1800 * 1000);
  EXPECT_EQ(w["lead_time_p90_ms"], 3300 * 1000);
  EXPECT_EQ(w["incidents_resolved"], 1);
  EXPECT_EQ(w["time_to_restore_median_ms"], 600 * 1000);
  EXPECT_EQ(w["time_to_restore_mean_ms"], 600 * 1000);
  EXPECT_DOUBLE_EQ(w["change_failure_rate"].get<double>(), 1.0 / 7);
  EXPECT_EQ(w["bands"]["deployment_frequency"], "elite");
  EXPECT_EQ(w["bands"]["change_failure_rate"], "medium");
  EXPECT_EQ(w["targets_met"]["deployment_frequency"], true);
  EXPECT_EQ(w["targets_met"]["change_failure_rate"], false);

  // ---- The same figures as gauges: recomputed after v16 finished, with "now" = day 30. ----
  const std::string deployments30 = series("shipgate_dora_deployments", "30d");
  for (int i = 0; i < 300 && gauge(d, deployments30) != 14; ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(gauge(d, "shipgate_dora_last_computed_timestamp_seconds"), kNow);
  EXPECT_EQ(gauge(d, deployments30), 14);
  EXPECT_EQ(gauge(d, series("shipgate_dora_changes", "30d")), 14);
  EXPECT_EQ(gauge(d, series("shipgate_dora_failed_changes", "30d")), 3);
  EXPECT_DOUBLE_EQ(gauge(d, series("shipgate_dora_deployment_frequency_per_day", "30d")),
                   14.0 / 30);
  EXPECT_DOUBLE_EQ(gauge(d, series("shipgate_dora_deployment_frequency_per_week", "30d")),
                   14.0 * 7 / 30);
  EXPECT_EQ(gauge(d, series("shipgate_dora_lead_time_median_seconds", "30d")), 2100);
  EXPECT_EQ(gauge(d, series("shipgate_dora_lead_time_p90_seconds", "30d")), 5400);
  EXPECT_EQ(gauge(d, series("shipgate_dora_time_to_restore_median_seconds", "30d")),
            600);
  EXPECT_EQ(gauge(d, series("shipgate_dora_time_to_restore_mean_seconds", "30d")), 660);
  EXPECT_DOUBLE_EQ(gauge(d, series("shipgate_dora_change_failure_ratio", "30d")), 3.0 / 14);
  EXPECT_EQ(gauge(d, series("shipgate_dora_deployments", "7d")), 7);
  EXPECT_DOUBLE_EQ(gauge(d, series("shipgate_dora_deployment_frequency_per_day", "7d")), 1.0);
  EXPECT_EQ(gauge(d, series("shipgate_dora_lead_time_median_seconds", "7d")), 1800);
  EXPECT_DOUBLE_EQ(gauge(d, series("shipgate_dora_change_failure_ratio", "7d")), 1.0 / 7);
}

}  // namespace
}  // namespace releasetest
