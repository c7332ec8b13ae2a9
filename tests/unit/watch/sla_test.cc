// Performance SLAs: percentiles, verdicts at their edges, minimum samples and windows, evaluated
// over a source that keeps timestamped measurements on simulated time.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/watch/sla.h"

namespace shipgate::watch {
namespace {

using namespace std::chrono_literals;

// Measurements per metric with the simulated time they arrived; percentile() over a window.
class TimedSource : public SlaSource {
 public:
  explicit TimedSource(SimulatedClock& clock) : clock_(clock) {}
  void add(const std::string& metric, double ms) {
    samples_[metric].push_back({clock_.wallMillis(), ms});
  }
  std::optional<double> percentile(std::string_view metric, double q,
                                   std::chrono::milliseconds window) const override {
    return percentileOf(recent(metric, window), q);
  }
  int64_t count(std::string_view metric, std::chrono::milliseconds window) const override {
    return static_cast<int64_t>(recent(metric, window).size());
  }

 private:
  std::vector<double> recent(std::string_view metric, std::chrono::milliseconds window) const {
    std::vector<double> out;
    auto it = samples_.find(std::string(metric));
    if (it == samples_.end()) return out;
    for (const auto& [at, ms] : it->second) {
      if (at > clock_.wallMillis() - window.count()) out.push_back(ms);
    }
    return out;
  }
  SimulatedClock& clock_;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> samples_;
};

SlaSpec sla(const std::string& metric, double target, double alert) {
  SlaSpec s;
  s.metric = metric;
  s.target_ms = target;
  s.alert_threshold_ms = alert;
  s.percentile = defaultSlaPercentile(metric);
  return s;
}

TEST(SlaPercentile, InterpolatesBetweenClosestRanks) {
  std::vector<double> hundred;
  for (int i = 100; i >= 1; --i) hundred.push_back(i);  // unsorted on purpose
  EXPECT_DOUBLE_EQ(*percentileOf(hundred, 95), 95.05);
  EXPECT_DOUBLE_EQ(*percentileOf(hundred, 50), 50.5);
  EXPECT_DOUBLE_EQ(*percentileOf({1, 2, 3, 4}, 75), 3.25);
  EXPECT_DOUBLE_EQ(*percentileOf({42}, 99), 42);
  EXPECT_FALSE(percentileOf({}, 95));
  EXPECT_DOUBLE_EQ(*percentileOf({10, std::nan(""), 20}, 50), 15);
}

TEST(SlaVerdicts, TheSeedComparesWithGreaterThan) {
  SlaSpec api = sla("api_response_time", 500, 1000);
  EXPECT_EQ(judgeSla(api, 500), SlaVerdict::kOk);
  EXPECT_EQ(judgeSla(api, 500.5), SlaVerdict::kOverTarget);
  EXPECT_EQ(judgeSla(api, 1000), SlaVerdict::kOverTarget);
  EXPECT_EQ(judgeSla(api, 1000.5), SlaVerdict::kAlert);
  EXPECT_EQ(judgeSla(api, std::nullopt), SlaVerdict::kNoData);
  EXPECT_STREQ(slaVerdictName(SlaVerdict::kOverTarget), "over_target");
}

TEST(SlaEvaluation, PercentileOverTheWindowWithMinimumSamples) {
  SimulatedClock clock;
  TimedSource source(clock);
  SlaSpec home = sla("homepage_load_time", 2000, 3000);
  EXPECT_EQ(home.percentile, 75);

  // Four page loads: under the default 5 samples.
  for (double ms : {1000, 1200, 1400, 9000}) source.add("homepage_load_time", ms);
  SlaResult r = evaluateSla(home, source);
  EXPECT_EQ(r.verdict, SlaVerdict::kNoData);
  EXPECT_EQ(r.samples, 4);
  EXPECT_EQ(r.summary, "homepage_load_time p75 over 5m: no data (4 samples, needs 5)");

  source.add("homepage_load_time", 1600);  // 1000 1200 1400 1600 9000: p75 = 1600
  r = evaluateSla(home, source);
  EXPECT_EQ(r.verdict, SlaVerdict::kOk);
  EXPECT_DOUBLE_EQ(*r.value_ms, 1600);
  EXPECT_EQ(r.summary, "homepage_load_time p75 over 5m = 1600ms <= target 2000ms (5 samples)");

  // Slow loads arrive: p75 of 1000 1200 1400 1600 2400 2600 9000 9000 = 2600 + (9000 - 2600) * 0.25 = 4200 (alert).
  clock.advance(std::chrono::minutes(2));
  for (double ms : {2400, 2600, 9000}) source.add("homepage_load_time", ms);
  r = evaluateSla(home, source);
  EXPECT_EQ(r.samples, 8);
  EXPECT_EQ(r.verdict, SlaVerdict::kAlert);
  EXPECT_EQ(r.summary, "homepage_load_time p75 over 5m = 4200ms > alert 3000ms (8 samples)");

  // Four minutes later the first five have left the 5-minute window; three remain.
  clock.advance(std::chrono::minutes(4));
  r = evaluateSla(home, source);
  EXPECT_EQ(r.samples, 3);
  EXPECT_EQ(r.verdict, SlaVerdict::kNoData);
  home.min_samples = 3;
  r = evaluateSla(home, source);
  EXPECT_EQ(r.verdict, SlaVerdict::kAlert);  // p75 of 2400 2600 9000 = 5800
  EXPECT_DOUBLE_EQ(*r.value_ms, 5800);
}

TEST(SlaEvaluation, ApiResponseTimeUsesP95AndOverTarget) {
  SimulatedClock clock;
  TimedSource source(clock);
  std::vector<SlaSpec> slas = seedSlas();
  ASSERT_EQ(slas.size(), 4u);
  EXPECT_EQ(describe(slas[1]),
            "api_response_time p95 over 5m: target 500ms, alert 1000ms (min 5 samples)");
  EXPECT_EQ(describe(slas[3]),
            "transaction_confirmation p75 over 5m: target 30000ms, alert 60000ms (min 5 samples)");
  for (int i = 1; i <= 100; ++i) source.add("api_response_time", i * 7.0);  // p95 = 665.35
  auto results = evaluateSlas(slas, source);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].verdict, SlaVerdict::kNoData);  // no page loads reported
  EXPECT_EQ(results[1].verdict, SlaVerdict::kOverTarget);
  EXPECT_NEAR(*results[1].value_ms, 665.35, 1e-9);
  EXPECT_EQ(results[1].summary,
            "api_response_time p95 over 5m = 665.4ms > target 500ms (100 samples)");
  EXPECT_EQ(results[2].verdict, SlaVerdict::kNoData);
  EXPECT_EQ(results[2].summary, "wallet_connection_time p75 over 5m: no data (0 samples, needs 5)");
}

}  // namespace
}  // namespace shipgate::watch
