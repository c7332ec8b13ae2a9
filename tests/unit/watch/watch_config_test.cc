// The watch section through config::loadString: the seed's blocks verbatim, the structured
// trigger form, and located errors (inside the wording string, misspelt keys with a hint).
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "shipgate/config/loader.h"
#include "shipgate/watch/watch_config.h"

namespace shipgate::watch {
namespace {

using namespace std::chrono_literals;

config::LoadResult load(const std::string& yaml) {
  auto section = watchSection();
  return config::loadString(yaml, "test.yaml", {section.get()});
}

const WatchConfig& loaded(const config::LoadResult& r) {
  EXPECT_TRUE(r.ok()) << r.toString();
  static const WatchConfig kEmpty;
  return r.ok() ? watchConfigOf(*r.config) : kEmpty;
}

// All diagnostics, one per line, as `shipgate check` prints them.
std::string errorsOf(const std::string& yaml) {
  auto r = load(yaml);
  EXPECT_FALSE(r.ok());
  return r.toString();
}

TEST(WatchConfig, SeedBlocksVerbatim) {
  auto r = load(R"(
rollback_triggers:
  - Error rate > 5% for 5 minutes
  - Response time > 200% of baseline for 10 minutes
  - Health check failures > 3 consecutive
  - Security alert (WAF blocking > 1000 requests/minute)
performance_slas:
  homepage_load_time: { target: 2000, alert_threshold: 3000 }
  api_response_time: { target: 500, alert_threshold: 1000 }
  wallet_connection_time: { target: 3000, alert_threshold: 5000 }
  transaction_confirmation: { target: 30000, alert_threshold: 60000 }
)");
  const WatchConfig& w = loaded(r);
  EXPECT_TRUE(r.diagnostics.empty()) << r.toString();
  EXPECT_FALSE(w.triggers_default);
  ASSERT_EQ(w.triggers.size(), 4u);
  std::vector<std::string> text;
  for (const auto& t : w.triggers) text.push_back(describe(t));
  EXPECT_EQ(text, (std::vector<std::string>{
                      "error_rate > 5% for 5m (1s samples, min 10 requests, no data: ok)",
                      "latency p95 > 200% of baseline for 10m (1s samples, min 10 requests, no "
                      "data: ok)",
                      "health_failures > 3 consecutive (1s samples, no data: ok)",
                      "waf_blocks > 1000/min over 1m (1s samples, no data: ok)"}));
  EXPECT_EQ(w.triggers[0].wording, "Error rate > 5% for 5 minutes");
  EXPECT_EQ(w.triggers[2].where.toString(), "test.yaml:5:5");

  ASSERT_EQ(w.slas.size(), 4u);
  EXPECT_EQ(w.slaMetrics(), (std::vector<std::string>{"homepage_load_time", "api_response_time",
                                                       "wallet_connection_time",
                                                       "transaction_confirmation"}));
  const SlaSpec* api = w.findSla("api_response_time");
  ASSERT_NE(api, nullptr);
  EXPECT_EQ(api->target_ms, 500);
  EXPECT_EQ(api->alert_threshold_ms, 1000);
  EXPECT_EQ(api->percentile, 95);
  EXPECT_EQ(api->window, 5min);
  EXPECT_EQ(w.findSla("homepage_load_time")->percentile, 75);
  EXPECT_EQ(w.findSla("transaction_confirmation")->alert_threshold_ms, 60000);
  EXPECT_EQ(w.findSla("checkout_time"), nullptr);
}

TEST(WatchConfig, AbsentTriggersAreTheSeedsAndAnEmptyListIsNone) {
  const WatchConfig& absent = loaded(load("server: {}\n"));
  EXPECT_TRUE(absent.triggers_default);
  ASSERT_EQ(absent.triggers.size(), 4u);
  EXPECT_EQ(absent.triggers[3].metric, TriggerMetric::kWafBlocks);
  EXPECT_TRUE(absent.slas.empty());

  auto r = load("rollback_triggers: []\n");
  const WatchConfig& none = loaded(r);
  EXPECT_FALSE(none.triggers_default);
  EXPECT_TRUE(none.triggers.empty());

  auto n = load("rollback_triggers:\n");
  EXPECT_TRUE(n.ok());
  EXPECT_EQ(n.toString(),
            "test.yaml:1:1: warning: rollback_triggers is empty: no rollback triggers are "
            "watched\n");
}

TEST(WatchConfig, StructuredFormMeansTheSameAsTheWording) {
  auto r = load(R"(
rollback_triggers:
  - {metric: error_rate, above: 5%, for: 5m}
  - {metric: latency, above: 200%, baseline: true, for: 10m}
  - {metric: health_failures, above: 3}
  - {metric: waf_blocks, above: 1000/min}
  - {metric: error_rate, above: 5%, for: 5m, min_requests: 20, no_data: ok}
  - {metric: latency, percentile: p99, above: 2s, or_equal: true, for: 1m, sample: 2s, no_data: hold}
  - {metric: waf_blocks, above: 20 per second, for: 5m, no_data: breach}
  - {metric: error_rate, below: 1%, min_requests: 0}
)");
  const WatchConfig& w = loaded(r);
  ASSERT_EQ(w.triggers.size(), 8u);
  for (size_t i = 0; i < 4; ++i) {
    TriggerSpec seed;
    WordingError e;
    ASSERT_TRUE(parseTriggerWording(seedTriggerWording()[i], seed, e));
    EXPECT_EQ(describe(w.triggers[i]), describe(seed)) << i;
    EXPECT_EQ(w.triggers[i].wording, "");
  }
  EXPECT_EQ(describe(w.triggers[4]),
            "error_rate > 5% for 5m (1s samples, min 20 requests, no data: ok)");
  EXPECT_EQ(describe(w.triggers[5]),
            "latency p99 >= 2000ms for 1m (2s samples, min 10 requests, no data: hold)");
  EXPECT_EQ(describe(w.triggers[6]), "waf_blocks > 20/s over 5m (1s samples, no data: breach)");
  EXPECT_EQ(describe(w.triggers[7]),
            "error_rate < 1% (1s samples, min 0 requests, no data: ok)");
  EXPECT_TRUE(r.diagnostics.empty()) << r.toString();
}

TEST(WatchConfig, TheSameRuleTwiceIsPointedOut) {
  auto r = load(R"(
rollback_triggers:
  - Error rate > 5% for 5 minutes
  - {metric: error_rate, above: 5%, for: 5m, min_requests: 10, no_data: ok}
)");
  EXPECT_EQ(loaded(r).triggers.size(), 2u);
  EXPECT_EQ(r.toString(),
            "test.yaml:4:5: warning: rollback_triggers[1]: the same rule as test.yaml:3:5 "
            "(error_rate > 5% for 5m (1s samples, min 10 requests, no data: ok))\n");
}

TEST(WatchConfig, WordingErrorsPointIntoTheString) {
  // Plain, double-quoted (with an escape before the error) and single-quoted scalars.
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - Error rate > 5% for 5 minutes\n"
                     "  - Error rate > five% for 5 minutes\n"),
            "test.yaml:3:18: error: rollback_triggers[1]: expected a number after \">\", got "
            "\"five\"\n"
            "    Error rate > five% for 5 minutes\n"
            "                 ^\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - \"Response\\ttime > 200% of normal for 10 minutes\"\n"),
            "test.yaml:2:31: error: rollback_triggers[0]: expected \"of baseline\" after 200% (a "
            "latency percentage is relative to the baseline), got \"normal\"\n"
            "    Response\ttime > 200% of normal for 10 minutes\n"
            "                            ^\n");
  EXPECT_EQ(errorsOf("rollback_triggers: ['Health check''s failures > 3 consecutive']\n"),
            "test.yaml:1:34: error: rollback_triggers[0]: unexpected character \"'\"\n"
            "    Health check's failures > 3 consecutive\n"
            "                ^\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - Security alert (WAF blocking > 1000 requests/fortnight)\n"),
            "test.yaml:2:50: error: rollback_triggers[0]: expected minute or second after \"/\" "
            "or \"per\", got \"fortnight\"\n"
            "    Security alert (WAF blocking > 1000 requests/fortnight)\n"
            "                                                 ^\n");
}

TEST(WatchConfig, StructuredErrors) {
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: error_rate, above: 5%, for: 5m, min_request: 20}\n"),
            "test.yaml:2:46: error: unknown key \"min_request\" in rollback_triggers[0] (did "
            "you mean \"min_requests\"?)\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: error_rates, above: 5%}\n"),
            "test.yaml:2:14: error: rollback_triggers[0].metric: \"error_rates\" is not one of "
            "error_rate, latency, health_failures or waf_blocks\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {above: 5%, fro: 5m}\n"),
            "test.yaml:2:5: error: rollback_triggers[0]: metric is required (error_rate, latency, "
            "health_failures or waf_blocks)\n"
            "test.yaml:2:17: error: unknown key \"fro\" in rollback_triggers[0] (did you mean "
            "\"for\"?)\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: error_rate, above: 5}\n"),
            "test.yaml:2:34: error: rollback_triggers[0].above: expected \"%\" after 5 (an error "
            "rate is a percentage of requests), got the end of the text\n"
            "    5\n"
            "     ^\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: error_rate, for: 5m}\n"),
            "test.yaml:2:5: error: rollback_triggers[0]: above or below is required (the "
            "threshold, e.g. above: 5%)\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: health_failures, above: 3, below: 1}\n"),
            "test.yaml:2:41: error: rollback_triggers[0]: give above or below, not both\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: health_failures, above: 3, percentile: 95, min_requests: 5}\n"),
            "test.yaml:2:53: error: rollback_triggers[0].percentile: a percentile applies to "
            "metric latency only\n"
            "test.yaml:2:71: error: rollback_triggers[0].min_requests: applies to metrics "
            "error_rate and latency only\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: latency, above: 200%, baseline: false}\n"),
            "test.yaml:2:34: error: rollback_triggers[0].above: expected \"of baseline\" after "
            "200% (a latency percentage is relative to the baseline), got the end of the text\n"
            "    200%\n"
            "        ^\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: error_rate, above: 5%, for: 1500ms}\n"),
            "test.yaml:2:5: error: rollback_triggers[0]: the window 1s500ms is not a whole number "
            "of 1s samples\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - {metric: error_rate, above: 5%, no_data: maybe}\n"),
            "test.yaml:2:46: error: rollback_triggers[0].no_data: \"maybe\" is not one of ok, "
            "breach or hold\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - [Error rate > 5%]\n"),
            "test.yaml:2:5: error: rollback_triggers[0]: expected a rule (a string such as \"Error "
            "rate > 5% for 5 minutes\" or a map {metric, above, for, ...}), got a list\n");
  EXPECT_EQ(errorsOf("rollback_triggers:\n"
                     "  - Error rate > 5% for 5 minutes (no data: breach)\n"),
            "test.yaml:2:5: error: rollback_triggers[0]: YAML read this rule as a map because it "
            "contains \": \"; put the rule in quotes (\"Error rate > 5% for 5 minutes (no data: "
            "...\")\n");
  auto quoted = load("rollback_triggers:\n"
                     "  - \"Error rate > 5% for 5 minutes (no data: breach)\"\n");
  ASSERT_EQ(loaded(quoted).triggers.size(), 1u);
  EXPECT_EQ(loaded(quoted).triggers[0].no_data, NoDataPolicy::kBreach);
  EXPECT_EQ(errorsOf("rollback_triggers: Error rate > 5%\n"),
            "test.yaml:1:20: error: rollback_triggers: expected a list of rules (the seed's "
            "wording, e.g. \"Error rate > 5% for 5 minutes\", or maps {metric, above, for, ...}), "
            "got a scalar\n");
}

TEST(WatchConfig, SlaOptionsAndErrors) {
  auto r = load(R"(
performance_slas:
  api_response_time: { target: 500, alert_threshold: 1000, percentile: 99, window: 1m, min_samples: 50 }
  homepage_load_time: { target: 2s, alert_threshold: 3s, percentile: p90 }
)");
  const WatchConfig& w = loaded(r);
  ASSERT_EQ(w.slas.size(), 2u);
  EXPECT_EQ(describe(w.slas[0]),
            "api_response_time p99 over 1m: target 500ms, alert 1000ms (min 50 samples)");
  EXPECT_EQ(describe(w.slas[1]),
            "homepage_load_time p90 over 5m: target 2000ms, alert 3000ms (min 5 samples)");

  EXPECT_EQ(errorsOf("performance_slas:\n"
                     "  api_response_time: { target: 500, alert_treshold: 1000 }\n"),
            "test.yaml:2:22: error: performance_slas.api_response_time: alert_threshold is "
            "required (milliseconds)\n"
            "test.yaml:2:37: error: unknown key \"alert_treshold\" in "
            "performance_slas.api_response_time (did you mean \"alert_threshold\"?)\n");
  EXPECT_EQ(errorsOf("performance_slas:\n"
                     "  api_response_time: { target: 500, alert_threshold: 400 }\n"),
            "test.yaml:2:54: error: performance_slas.api_response_time.alert_threshold: 400ms is "
            "below target 500ms\n");
  EXPECT_EQ(errorsOf("performance_slas:\n"
                     "  api_response_time: { target: fast, alert_threshold: 1000, percentile: 100 }\n"),
            "test.yaml:2:32: error: performance_slas.api_response_time.target: expected "
            "milliseconds (e.g. 500) or a duration (e.g. 2s), got \"fast\"\n"
            "test.yaml:2:73: error: performance_slas.api_response_time.percentile: expected a "
            "percentile between 0 and 100 (exclusive) such as 95 or p95, got \"100\"\n");
  EXPECT_EQ(errorsOf("performance_slas:\n"
                     "  - homepage_load_time\n"),
            "test.yaml:2:3: error: performance_slas: expected a map of metric name to {target, "
            "alert_threshold}, got a list\n");
  EXPECT_EQ(errorsOf("performance_slas:\n"
                     "  \"page load\": { target: 1, alert_threshold: 2 }\n"),
            "test.yaml:2:3: error: performance_slas.page load: not a valid metric name (letters, "
            "digits, - _ .)\n");
}

TEST(WatchConfig, WithoutTheValidatorTheKeysAreKnownButNotRead) {
  auto r = config::loadString("rollback_triggers: [nonsense]\nperformance_slas: 3\n", "test.yaml");
  EXPECT_TRUE(r.ok()) << r.toString();
  EXPECT_TRUE(r.diagnostics.empty()) << r.toString();
  // watchConfigOf falls back to the seed's triggers.
  EXPECT_EQ(watchConfigOf(*r.config).triggers.size(), 4u);
}

}  // namespace
}  // namespace shipgate::watch
