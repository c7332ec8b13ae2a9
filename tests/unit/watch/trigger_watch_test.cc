// TriggerWatch on simulated time: every trigger kind, the window edges, minimum request counts,
// each no-data policy, a missing baseline, gaps and aggregation of samples.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/watch/triggers.h"

namespace shipgate::watch {
namespace {

using namespace std::chrono_literals;

TriggerSpec rule(const std::string& text) {
  TriggerSpec spec;
  WordingError err;
  EXPECT_TRUE(parseTriggerWording(text, spec, err)) << text << ": " << err.message;
  return spec;
}

// Feeds one sample per simulated second (or `step`), stamped from a SimulatedClock.
class Feeder {
 public:
  explicit Feeder(TriggerWatch& watch) : watch_(watch) {}
  Millis now() const { return Millis{clock_.wallMillis() - start_}; }
  Sample base() {
    clock_.advance(step_);
    Sample s;
    s.at = now();
    return s;
  }
  void traffic(int64_t requests, int64_t errors, int times = 1) {
    for (int i = 0; i < times; ++i) {
      Sample s = base();
      s.requests = requests;
      s.errors_5xx = errors;
      watch_.observe(s);
    }
  }
  void latency(double percentile, double ms, int times = 1, int64_t requests = 100) {
    for (int i = 0; i < times; ++i) {
      Sample s = base();
      s.requests = requests;
      s.latency.push_back({percentile, ms});
      watch_.observe(s);
    }
  }
  void health(std::optional<int64_t> failures) {
    Sample s = base();
    s.requests = 100;
    s.health_failures = failures;
    watch_.observe(s);
  }
  void waf(std::optional<int64_t> blocked, int times = 1) {
    for (int i = 0; i < times; ++i) {
      Sample s = base();
      s.requests = 100;
      s.waf_blocked = blocked;
      watch_.observe(s);
    }
  }
  void skip(Millis d) { clock_.advance(d); }

 private:
  TriggerWatch& watch_;
  SimulatedClock clock_;
  int64_t start_ = clock_.wallMillis();
  Millis step_ = 1s;
};

TEST(TriggerWatch, ErrorRateFiresOnTheSampleThatCompletesTheWindow) {
  TriggerWatch watch({rule("Error rate > 5% for 10 seconds")});
  Feeder f(watch);
  f.traffic(100, 10, 9);  // 10%: one sample short of a full window
  EXPECT_FALSE(watch.verdict());
  auto v = watch.values();
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].breaching, 9);
  EXPECT_EQ(v[0].needed, 10);
  EXPECT_EQ(*v[0].value, 10.0);
  EXPECT_FALSE(v[0].fired);

  f.traffic(100, 12);  // the 10th sample completes it
  ASSERT_TRUE(watch.verdict());
  const Firing& fire = *watch.verdict();
  EXPECT_EQ(fire.rule, 0u);
  EXPECT_EQ(fire.fired_at, 10s);
  EXPECT_EQ(fire.window, 10s);
  EXPECT_EQ(fire.threshold, 5);
  ASSERT_EQ(fire.points.size(), 10u);
  EXPECT_EQ(fire.points.front().at, 1s);
  EXPECT_EQ(*fire.points.front().value, 10.0);
  EXPECT_EQ(*fire.points.back().value, 12.0);
  for (const auto& p : fire.points) EXPECT_TRUE(p.breached);
  EXPECT_EQ(fire.rule_text,
            "error_rate > 5% for 10s (1s samples, min 10 requests, no data: ok)");
  EXPECT_EQ(fire.reason,
            "error_rate > 5% for 10s: every sample of the last 10s breached (10 samples, "
            "10%..12%)");
}

TEST(TriggerWatch, OneHealthySampleInTheWindowHoldsItBack) {
  TriggerWatch watch({rule("Error rate > 5% for 10 seconds")});
  Feeder f(watch);
  f.traffic(100, 10, 4);
  f.traffic(100, 1);      // 1%: breaks the run
  EXPECT_FALSE(watch.values()[0].breached);
  EXPECT_EQ(watch.values()[0].breaching, 0);
  f.traffic(100, 10, 5);  // 10 samples seen, 5 breaching in a row
  EXPECT_FALSE(watch.verdict());
  EXPECT_TRUE(watch.values()[0].breached);
  EXPECT_EQ(watch.values()[0].breaching, 5);
  f.traffic(100, 10, 4);  // 9 in a row
  EXPECT_FALSE(watch.verdict());
  f.traffic(100, 10);     // 10 in a row: at 15s
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->fired_at, 15s);
}

TEST(TriggerWatch, ThresholdEdgeDependsOnTheOperator) {
  TriggerWatch above({rule("Error rate > 5%")});
  TriggerWatch at_least({rule("Error rate >= 5%")});
  Feeder fa(above), fb(at_least);
  fa.traffic(100, 5);
  fb.traffic(100, 5);
  EXPECT_FALSE(above.verdict());
  ASSERT_TRUE(at_least.verdict());
  EXPECT_EQ(at_least.verdict()->reason, "error_rate >= 5%: 5% (one 1s sample)");
  TriggerWatch below({rule("error rate < 1% for 3 seconds")});
  Feeder fc(below);
  fc.traffic(100, 0, 3);
  EXPECT_TRUE(below.verdict());
}

TEST(TriggerWatch, TooFewRequestsIsNoDataAndOkByDefault) {
  TriggerWatch watch({rule("Error rate > 5% for 5 seconds")});
  Feeder f(watch);
  f.traffic(9, 9, 20);  // 100% errors but under min 10 requests
  EXPECT_FALSE(watch.verdict());
  auto v = watch.values();
  EXPECT_FALSE(v[0].value);
  EXPECT_EQ(v[0].note, "no data (counted as ok)");
  EXPECT_EQ(v[0].breaching, 0);
  f.traffic(10, 9, 5);  // exactly min_requests counts
  EXPECT_TRUE(watch.verdict());
}

TEST(TriggerWatch, NoDataBreachCountsSilenceAsBreaching) {
  TriggerWatch watch({rule("Error rate > 5% for 5 seconds (no data: breach)")});
  Feeder f(watch);
  f.traffic(0, 0, 4);
  EXPECT_FALSE(watch.verdict());
  f.traffic(0, 0);
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->reason,
            "error_rate > 5% for 5s: every sample of the last 5s breached (5 samples, no data, "
            "5 samples without data counted as breach)");
  for (const auto& p : watch.verdict()->points) EXPECT_TRUE(p.no_data);
}

TEST(TriggerWatch, NoDataHoldKeepsThePreviousJudgement) {
  // Breaching, then silence: the silence holds the breach and the window completes.
  TriggerWatch a({rule("Error rate > 5% for 5 seconds (no data: hold)")});
  Feeder fa(a);
  fa.traffic(100, 50, 2);
  fa.traffic(0, 0, 2);
  EXPECT_FALSE(a.verdict());
  fa.traffic(0, 0);
  ASSERT_TRUE(a.verdict());
  EXPECT_EQ(a.verdict()->reason,
            "error_rate > 5% for 5s: every sample of the last 5s breached (5 samples, 50%, "
            "3 samples without data counted as hold)");

  // Healthy, then silence: the silence holds the healthy judgement.
  TriggerWatch b({rule("Error rate > 5% for 5 seconds (no data: hold)")});
  Feeder fb(b);
  fb.traffic(100, 0);
  fb.traffic(0, 0, 10);
  EXPECT_FALSE(b.verdict());

  // Silence from the start: nothing to hold, so ok.
  TriggerWatch c({rule("Error rate > 5% for 5 seconds (no data: hold)")});
  Feeder fc(c);
  fc.traffic(0, 0, 10);
  EXPECT_FALSE(c.verdict());
}

TEST(TriggerWatch, MinRequestsFromTheRule) {
  TriggerWatch watch({rule("Error rate > 5% for 3 seconds (1s samples, min 50 requests, no data: ok)")});
  Feeder f(watch);
  f.traffic(49, 49, 5);
  EXPECT_FALSE(watch.verdict());
  f.traffic(50, 3, 3);
  EXPECT_TRUE(watch.verdict());
}

TEST(TriggerWatch, LatencyAbsoluteAtTheRulesPercentile) {
  TriggerWatch watch({rule("p99 latency > 800ms for 5 seconds")});
  Feeder f(watch);
  f.latency(95, 5000, 10);  // only p95 measured: no data for a p99 rule
  EXPECT_FALSE(watch.verdict());
  f.latency(99, 800, 5);  // at the threshold: not above
  EXPECT_FALSE(watch.verdict());
  f.latency(99, 900, 4);
  EXPECT_FALSE(watch.verdict());
  f.latency(99, 1200);
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->reason,
            "latency p99 > 800ms for 5s: every sample of the last 5s breached (5 samples, "
            "900ms..1200ms)");
  EXPECT_EQ(latencyPercentiles(watch.specs()), std::vector<double>{99});
}

TEST(TriggerWatch, LatencyAgainstTheBaseline) {
  TriggerSpec spec = rule("Response time > 200% of baseline for 10 seconds");
  Baseline baseline;
  baseline.latency.push_back({95, 120});
  TriggerWatch watch({spec}, baseline);
  auto v = watch.values();
  ASSERT_TRUE(v[0].threshold);
  EXPECT_EQ(*v[0].threshold, 240);
  Feeder f(watch);
  f.latency(95, 239, 20);  // twice the baseline is 240ms
  EXPECT_FALSE(watch.verdict());
  f.latency(95, 300, 9);
  EXPECT_FALSE(watch.verdict());
  f.latency(95, 310);
  ASSERT_TRUE(watch.verdict());
  const Firing& fire = *watch.verdict();
  EXPECT_EQ(fire.threshold, 240);
  ASSERT_TRUE(fire.baseline_ms);
  EXPECT_EQ(*fire.baseline_ms, 120);
  EXPECT_EQ(fire.reason,
            "latency p95 > 200% of baseline for 10s (baseline 120ms, threshold 240ms): every "
            "sample of the last 10s breached (10 samples, 300ms..310ms)");
}

TEST(TriggerWatch, LatencyWithoutBaselineFollowsTheNoDataPolicyAndSaysSo) {
  TriggerWatch ok_policy({rule("Response time > 200% of baseline for 5 seconds")});
  Feeder f(ok_policy);
  f.latency(95, 100000, 30);
  EXPECT_FALSE(ok_policy.verdict());
  auto v = ok_policy.values();
  EXPECT_FALSE(v[0].threshold);
  EXPECT_FALSE(v[0].value);
  EXPECT_EQ(v[0].note, "no baseline: no data policy ok");

  Baseline other;  // a baseline at another percentile does not count
  other.latency.push_back({50, 10});
  TriggerWatch breach({rule("Response time > 200% of baseline for 5 seconds (no data: breach)")},
                      other);
  Feeder g(breach);
  g.latency(95, 1, 5);
  ASSERT_TRUE(breach.verdict());
  EXPECT_EQ(breach.verdict()->reason,
            "latency p95 > 200% of baseline for 5s (no baseline): every sample of the last 5s "
            "breached (5 samples, no data, 5 samples without data counted as breach)");
}

TEST(TriggerWatch, HealthFailuresFireOnMoreThanNConsecutive) {
  TriggerWatch watch({rule("Health check failures > 3 consecutive")});
  Feeder f(watch);
  for (int64_t n : {1, 2, 3, 0, 1, 2, 3}) f.health(n);
  EXPECT_FALSE(watch.verdict());
  f.health(std::nullopt);  // no checks ran: no data, ok
  EXPECT_FALSE(watch.verdict());
  f.health(4);
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->reason, "health_failures > 3 consecutive: 4 failures (one 1s sample)");
  EXPECT_EQ(watch.verdict()->fired_at, 9s);
}

TEST(TriggerWatch, WafBlocksPerMinuteOverTheWindow) {
  TriggerWatch watch({rule("Security alert (WAF blocking > 1000 requests/minute)")});
  Feeder f(watch);
  f.waf(20, 59);  // 1180 blocked, but the minute is not full yet
  EXPECT_FALSE(watch.verdict());
  auto v = watch.values();
  EXPECT_EQ(v[0].unit, "/min");
  EXPECT_EQ(*v[0].value, 1200);  // the rate so far
  EXPECT_TRUE(v[0].breached);
  EXPECT_EQ(v[0].breaching, 59);
  EXPECT_EQ(v[0].needed, 60);
  f.waf(20);  // 1200 in the full minute
  ASSERT_TRUE(watch.verdict());
  const Firing& fire = *watch.verdict();
  EXPECT_EQ(*fire.value, 1200);
  EXPECT_EQ(fire.points.size(), 60u);
  EXPECT_EQ(fire.fired_at, 60s);
  EXPECT_EQ(fire.reason, "waf_blocks > 1000/min over 1m: 1200/min (1200 blocked in 1m)");
}

TEST(TriggerWatch, WafBlocksSlideOverTheWindow) {
  TriggerWatch watch({rule("WAF blocking > 1000 requests/minute")});
  Feeder f(watch);
  f.waf(16, 60);  // 960 a minute
  EXPECT_FALSE(watch.verdict());
  EXPECT_FALSE(watch.values()[0].breached);
  EXPECT_EQ(watch.values()[0].breaching, 0);
  f.waf(30, 2);  // 960 - 32 + 60 = 988
  EXPECT_FALSE(watch.verdict());
  f.waf(30);  // 1002
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(*watch.verdict()->value, 1002);
  EXPECT_EQ(watch.verdict()->fired_at, 63s);
}

TEST(TriggerWatch, WafBlocksPerSecond) {
  TriggerWatch watch({rule("WAF blocks > 20 per second for 10 seconds")});
  Feeder f(watch);
  f.waf(20, 10);
  EXPECT_FALSE(watch.verdict());
  f.waf(31);  // (9*20 + 31) / 10s = 21.1/s
  ASSERT_TRUE(watch.verdict());
  EXPECT_DOUBLE_EQ(*watch.verdict()->value, 21.1);
}

TEST(TriggerWatch, WafNoDataPolicies) {
  TriggerWatch ok_policy({rule("WAF blocks > 100/min for 10 seconds")});
  Feeder a(ok_policy);
  a.waf(std::nullopt, 30);
  EXPECT_FALSE(ok_policy.verdict());

  TriggerWatch breach({rule("WAF blocks > 100/min for 10 seconds (no data: breach)")});
  Feeder b(breach);
  b.waf(0, 9);
  b.waf(std::nullopt);
  ASSERT_TRUE(breach.verdict());
  EXPECT_EQ(breach.verdict()->reason,
            "waf_blocks > 100/min over 10s: 0/min (0 blocked in 10s, 1 samples without data "
            "counted as breach)");

  // hold: a missing sample counts as the previous sample's blocks.
  TriggerWatch hold({rule("WAF blocks > 100/min for 10 seconds (no data: hold)")});
  Feeder c(hold);
  c.waf(2, 9);  // 18 in 9s
  c.waf(std::nullopt);  // counts 2 more: 20 in 10s = 120/min
  ASSERT_TRUE(hold.verdict());
  EXPECT_EQ(*hold.verdict()->value, 120);
}

TEST(TriggerWatch, GapsCountAsSamplesWithoutData) {
  TriggerWatch watch({rule("Error rate > 5% for 5 seconds")});
  Feeder f(watch);
  f.traffic(100, 10, 4);
  f.skip(3s);             // 3 intervals without samples
  f.traffic(100, 10);     // at 8s: the missing ones were ok (no data), so the run restarts
  EXPECT_EQ(watch.observed(), 8);
  EXPECT_FALSE(watch.verdict());
  f.traffic(100, 10, 3);
  EXPECT_FALSE(watch.verdict());
  f.traffic(100, 10);
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->fired_at, 12s);

  // With no_data: breach the silence counts against the release.
  TriggerWatch strict({rule("Error rate > 5% for 5 seconds (no data: breach)")});
  Feeder g(strict);
  g.traffic(100, 10, 1);
  g.skip(3s);
  g.traffic(100, 10);
  ASSERT_TRUE(strict.verdict());
  EXPECT_EQ(strict.verdict()->fired_at, 5s);
}

TEST(TriggerWatch, SamplesNotAfterThePreviousOneAreIgnored) {
  TriggerWatch watch({rule("Error rate > 5% for 3 seconds")});
  Sample s;
  s.requests = 100;
  s.errors_5xx = 50;
  s.at = 1s;
  watch.observe(s);
  watch.observe(s);  // same time
  s.at = 500ms;
  watch.observe(s);  // earlier
  EXPECT_EQ(watch.ignored(), 2);
  EXPECT_EQ(watch.observed(), 1);
  s.at = 2s;
  watch.observe(s);
  EXPECT_FALSE(watch.verdict());
  s.at = 3s;
  watch.observe(s);
  EXPECT_TRUE(watch.verdict());
}

TEST(TriggerWatch, LongerSampleIntervalsAggregateFedSamples) {
  // 5s samples from 1s feeds: 4 requests a second are below min 10 alone, 20 per 5s are not.
  TriggerWatch watch({rule("Error rate > 5% for 10 seconds (5s samples, min 10 requests, no data: ok)")});
  EXPECT_EQ(watch.interval(), 1s);
  Feeder f(watch);
  f.traffic(4, 1, 9);
  EXPECT_FALSE(watch.verdict());
  f.traffic(4, 1);
  ASSERT_TRUE(watch.verdict());
  const Firing& fire = *watch.verdict();
  ASSERT_EQ(fire.points.size(), 2u);
  EXPECT_EQ(fire.points[0].requests, 20);
  EXPECT_EQ(*fire.points[0].value, 25.0);
  EXPECT_EQ(fire.points[1].at, 10s);
}

TEST(TriggerWatch, SamplesComeEverySecondWhateverTheRulesIntervals) {
  TriggerWatch a({rule("error rate > 5% for 4s (2s samples)"), rule("health check failures > 3 (4s samples)")});
  EXPECT_EQ(a.interval(), 1s);
  TriggerWatch b({rule("error rate > 5% for 6s (3s samples)")});
  EXPECT_EQ(b.interval(), 1s);
}

TEST(TriggerWatch, TheFirstRuleToFireIsTheVerdictAndStays) {
  TriggerWatch watch({rule("Error rate > 5% for 5 seconds"), rule("Health check failures > 3 consecutive")});
  Feeder f(watch);
  for (int i = 1; i <= 6; ++i) {
    Sample s = f.base();
    s.requests = 100;
    s.errors_5xx = 50;
    s.health_failures = i;
    watch.observe(s);
  }
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->rule, 1u);  // 4 failures at 4s, before the 5s window filled
  EXPECT_EQ(watch.verdict()->fired_at, 4s);
  auto v = watch.values();
  EXPECT_TRUE(v[0].fired);  // the error-rate rule fired later, at 5s
  EXPECT_TRUE(v[1].fired);
  EXPECT_EQ(*v[1].value, 6);
}

TEST(TriggerWatch, SeedRulesTogether) {
  std::vector<TriggerSpec> specs;
  for (const auto& line : seedTriggerWording()) specs.push_back(rule(line));
  Baseline baseline;
  baseline.latency.push_back({95, 50});
  auto needs = baselineNeeds(specs);
  ASSERT_EQ(needs.size(), 1u);
  EXPECT_EQ(needs[0].percentile, 95);
  EXPECT_EQ(needs[0].span, 10min);
  TriggerWatch watch(specs, baseline);
  Feeder f(watch);
  // A healthy release for 15 minutes: nothing fires.
  for (int i = 0; i < 900; ++i) {
    Sample s = f.base();
    s.requests = 200;
    s.errors_5xx = 1;
    s.latency.push_back({95, 60});
    s.waf_blocked = 5;
    watch.observe(s);
  }
  EXPECT_FALSE(watch.verdict());
  // Then 6% errors: fires exactly when five minutes of it are in the window.
  for (int i = 0; i < 299; ++i) {
    Sample s = f.base();
    s.requests = 200;
    s.errors_5xx = 12;
    s.latency.push_back({95, 60});
    watch.observe(s);
  }
  EXPECT_FALSE(watch.verdict());
  f.traffic(200, 12);
  ASSERT_TRUE(watch.verdict());
  EXPECT_EQ(watch.verdict()->rule, 0u);
  EXPECT_EQ(watch.verdict()->points.size(), 300u);
  EXPECT_EQ(watch.verdict()->window, 5min);
}

}  // namespace
}  // namespace shipgate::watch
