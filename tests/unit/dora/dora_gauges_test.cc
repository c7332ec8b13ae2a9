// The DORA gauges on the registry's Prometheus text, after known records in a SqliteStateStore.
// Every expected value is computed by hand below (times in ms; "now" is day 100, so the 7d window
// is (93d, 100d] and the 30d one (70d, 100d]).
#include "shipgate/dora/dora_gauges.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "shipgate/store/sqlite_state_store.h"
#include "support/paths.h"
#include "support/process.h"

namespace shipgate::dora {
namespace {

constexpr int64_t kMin = 60LL * 1000;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;

// "name{labels}" -> value, for every sample line of a Prometheus text.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto sp = line.rfind(' ');
    out[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return out;
}

std::string series(const std::string& name, const std::string& window,
                   const std::string& extra = "") {
  return name + "{environment=\"production\",window=\"" + window + "\"" + extra + "}";
}

class DoraGaugesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    auto s = store::SqliteStateStore::open(dir_.path());
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    store_ = std::move(s).value();
    ASSERT_TRUE(store_->upsertEnvironment({"production", false, 0, true, 0, 1}).isOk());
    ASSERT_TRUE(store_->upsertApp({"web", "production", "process", 1}).isOk());
  }

  void change(const std::string& id, const std::string& version, int64_t commit_time,
              store::DeploymentState state, int64_t finished_at) {
    store::ReleaseRecord r;
    r.app = "web";
    r.version = version;
    r.artifact = "/tmp/a";
    r.commit_time = commit_time;
    r.created_at = 1;
    ASSERT_TRUE(store_->createRelease(r).isOk());
    store::DeploymentRecord d;
    d.id = id;
    d.app = "web";
    d.environment = "production";
    d.version = version;
    d.kind = store::DeploymentKind::kDeploy;
    d.state = state;
    d.created_at = finished_at - 10 * kMin;
    d.updated_at = finished_at;
    d.finished_at = finished_at;
    ASSERT_TRUE(store_->createDeployment(d).isOk());
  }

  void seed() {
    using S = store::DeploymentState;
    change("d0", "v0", 70 * kDay - kHour, S::kSucceeded, 70 * kDay);    // on the 30d edge: out
    change("d1", "v1", 80 * kDay - kHour, S::kSucceeded, 80 * kDay);    // lead 3600 s
    change("d2", "v2", 95 * kDay - 30 * kMin, S::kSucceeded, 95 * kDay);  // lead 1800 s
    change("d3", "v3", 96 * kDay - 2 * kHour, S::kRolledBack, 96 * kDay);  // failed change
    change("d4", "v4", 97 * kDay - 10 * kMin, S::kSucceeded, 97 * kDay);   // lead 600 s
    store::IncidentRecord i;  // names d4: a failed change; restored in 20 min
    i.app = "web";
    i.deployment_id = "d4";
    i.cause = "error_rate";
    i.opened_at = 97 * kDay + 5 * kMin;
    auto id = store_->openIncident(i);
    ASSERT_TRUE(id.isOk());
    ASSERT_TRUE(store_->resolveIncident(*id, 97 * kDay + 25 * kMin).isOk());
  }

  testsupport::TempDir dir_{"dora-gauges-test"};
  std::unique_ptr<store::SqliteStateStore> store_;
  SimulatedClock clock_{100 * kDay};
  metrics::Registry registry_;
};

TEST_F(DoraGaugesTest, ExactValuesPerWindow) {
  seed();
  DoraGauges gauges(*store_, registry_, clock_);
  ASSERT_TRUE(gauges.computeNow().isOk());
  const std::string text = registry_.renderPrometheus();
  auto s = samples(text);
  EXPECT_NE(text.find("# TYPE shipgate_dora_change_failure_ratio gauge"), std::string::npos);

  // 30d: d1 d2 d4 succeeded (d0 finished exactly at the window's start: out), d3 rolled back.
  EXPECT_EQ(s[series("shipgate_dora_deployments", "30d")], 3);
  EXPECT_EQ(s[series("shipgate_dora_changes", "30d")], 4);
  EXPECT_EQ(s[series("shipgate_dora_failed_changes", "30d")], 2);        // d3, d4 (incident)
  EXPECT_DOUBLE_EQ(s[series("shipgate_dora_deployment_frequency_per_day", "30d")], 3.0 / 30);
  EXPECT_DOUBLE_EQ(s[series("shipgate_dora_deployment_frequency_per_week", "30d")], 3.0 * 7 / 30);
  // lead times {600, 1800, 3600}: median rank ceil(1.5) = 2 -> 1800, p90 rank ceil(2.7) = 3.
  EXPECT_EQ(s[series("shipgate_dora_lead_time_median_seconds", "30d")], 1800);
  EXPECT_EQ(s[series("shipgate_dora_lead_time_p90_seconds", "30d")], 3600);
  EXPECT_EQ(s[series("shipgate_dora_time_to_restore_median_seconds", "30d")], 1200);
  EXPECT_EQ(s[series("shipgate_dora_time_to_restore_mean_seconds", "30d")], 1200);
  EXPECT_DOUBLE_EQ(s[series("shipgate_dora_change_failure_ratio", "30d")], 0.5);  // 2 / 4

  // 7d: d2 d4 succeeded, d3 rolled back; lead times {600, 1800}: median rank 1 -> 600, p90 rank 2.
  EXPECT_EQ(s[series("shipgate_dora_deployments", "7d")], 2);
  EXPECT_EQ(s[series("shipgate_dora_changes", "7d")], 3);
  EXPECT_DOUBLE_EQ(s[series("shipgate_dora_deployment_frequency_per_day", "7d")], 2.0 / 7);
  EXPECT_DOUBLE_EQ(s[series("shipgate_dora_deployment_frequency_per_week", "7d")], 2.0);
  EXPECT_EQ(s[series("shipgate_dora_lead_time_median_seconds", "7d")], 600);
  EXPECT_EQ(s[series("shipgate_dora_lead_time_p90_seconds", "7d")], 1800);
  EXPECT_DOUBLE_EQ(s[series("shipgate_dora_change_failure_ratio", "7d")], 2.0 / 3);
  EXPECT_EQ(s["shipgate_dora_last_computed_timestamp_seconds"], 100.0 * 86400);

  // The text is valid exposition format (promtool, from scripts/install-deps.sh's prometheus).
  const std::string file = dir_.writeFile("metrics.txt", text);
  testsupport::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "promtool check metrics < '" + file + "'"};
  testsupport::Process promtool(o);
  ASSERT_TRUE(promtool.start());
  auto code = promtool.wait(std::chrono::seconds(30));
  EXPECT_EQ(code, std::optional<int>(0)) << promtool.stdoutText() << promtool.stderrText();
}

TEST_F(DoraGaugesTest, SeriesWithoutDataAreLeftOut) {
  DoraGauges gauges(*store_, registry_, clock_);
  ASSERT_TRUE(gauges.computeNow().isOk());
  auto s = samples(registry_.renderPrometheus());
  EXPECT_EQ(s.count(series("shipgate_dora_deployments", "30d")), 1u);
  EXPECT_EQ(s[series("shipgate_dora_deployments", "30d")], 0);
  EXPECT_EQ(s.count(series("shipgate_dora_change_failure_ratio", "30d")), 0u);
  EXPECT_EQ(s.count(series("shipgate_dora_lead_time_median_seconds", "30d")), 0u);
  EXPECT_EQ(s.count(series("shipgate_dora_time_to_restore_median_seconds", "30d")), 0u);
}

// A scrape renders the last computation; refresh() recomputes on the background thread.
TEST_F(DoraGaugesTest, RecomputedOnRefreshNotOnScrape) {
  DoraGaugeOptions o;
  o.interval = std::chrono::hours(1);  // the periodic pass never comes during the test
  DoraGauges gauges(*store_, registry_, clock_, o);
  gauges.start();
  const std::string key = series("shipgate_dora_deployments", "30d");
  EXPECT_EQ(samples(registry_.renderPrometheus())[key], 0);
  change("d1", "v1", 99 * kDay - kHour, store::DeploymentState::kSucceeded, 99 * kDay);
  EXPECT_EQ(samples(registry_.renderPrometheus())[key], 0);  // not recomputed by the scrape
  gauges.refresh();
  double seen = 0;
  for (int i = 0; i < 500 && seen != 1; ++i) {  // up to 5 s for the background thread
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = samples(registry_.renderPrometheus())[key];
  }
  EXPECT_EQ(seen, 1);
  gauges.stop();
}

}  // namespace
}  // namespace shipgate::dora
