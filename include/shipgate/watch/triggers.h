// Rollback triggers: what a rule is (TriggerSpec, read from the seed's wording or the structured
// form of `rollback_triggers:`), and TriggerWatch, the pure evaluation of a deployment's rules on a
// stream of one Sample per interval on simulated time.
//
// Wording (parseTriggerWording): the seed's four lines as written, and variants of their grammar,
// case-insensitive:
//   [pNN] METRIC [pNN] OP VALUE [for|over DURATION] [(OPTIONS)]
//   Security alert (WAF blocking OP N requests/minute [for DURATION]) [(OPTIONS)]
//   METRIC  error rate | response time | latency | health check failures | WAF blocking |
//           WAF blocks | the structured names (error_rate, latency, health_failures, waf_blocks)
//   OP      > >= < <= (or the words above / exceeds / below)
//   VALUE   error rate: N%      latency: N ms | N s | N% of baseline | Nx baseline
//           health: N [consecutive] [failures]   waf: N [requests|blocks] (/|per) second|minute
//   DURATION  one or more N ms|s|sec|second(s)|m|min|minute(s)|h|hr|hour(s): "1m30s", "2 hours"
//   OPTIONS   what describe() prints: "1s samples", "min 10 requests", "no data: ok|breach|hold",
//             comma-separated, any subset in any order
// A YAML plain scalar cannot hold ": ", so a rule with "(no data: ...)" is quoted in a config.
// Defaults the wording leaves open (the structured form may set them; describe() prints them):
//   error_rate       window as written (none: one sample), min_requests 10, no_data ok
//   latency          p95, window as written, min_requests 10, no_data ok
//   health_failures  no window (the consecutive count is the state), no_data ok
//   waf_blocks       window 1 minute (the span the per-minute rate is computed over), no_data ok
//   every rule       sample interval 1s
//
// Evaluation semantics (TriggerWatch):
// - Per-sample rules (error_rate, latency, health_failures): each rule sample is judged breach /
//   ok / no data. A rule with a window fires on the sample that makes every sample of its last
//   window breach, and only once window/sample samples have been judged since the watch started
//   (a window that is not full never fires). A rule without a window fires on one breaching sample.
// - No data: error_rate and latency samples with fewer than min_requests requests (at least 1),
//   latency samples without a value at the rule's percentile, a baseline rule without a baseline,
//   health samples without a count. The rule's no_data policy decides: ok = the sample does not
//   breach, breach = it does, hold = it is judged as the previous sample of the rule was (ok when
//   there is none).
// - waf_blocks is a rate over its window: the blocks of the window's samples, summed, scaled to
//   blocks per `rate_per`, compared once the window is full. No-data samples count as 0 blocks
//   (ok), as the previous sample's blocks (hold), or make the window breach (breach).
// - latency with `baseline`: the threshold is `threshold` percent of the baseline latency at the
//   rule's percentile recorded before the switch (given at construction).
// - Samples come every second (interval()); a rule with a longer sample interval aggregates them:
//   requests, 5xx and WAF blocks add up; latency and health failures take the largest value.
// - Time: samples carry their end time. A sample at or before the previous one is ignored; a gap
//   longer than one interval counts the missing intervals as samples without any data.
// - Once a rule has fired, verdict() keeps that first firing; later samples still update values().
//
// Thread-safety: TriggerSpec and the free functions are pure. A TriggerWatch belongs to one
// thread (the release controller's watch loop); copy values() out to show them elsewhere.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"

namespace shipgate::watch {

using Millis = std::chrono::milliseconds;

enum class TriggerMetric { kErrorRate, kLatency, kHealthFailures, kWafBlocks };
// "error_rate", "latency", "health_failures", "waf_blocks" (the structured form's names).
const char* metricName(TriggerMetric m);

enum class Comparison { kAbove, kAtLeast, kBelow, kAtMost };  // > >= < <=
const char* comparisonSymbol(Comparison c);                      // ">", ">=", "<", "<="
bool compare(double value, Comparison c, double threshold);

enum class NoDataPolicy { kOk, kBreach, kHold };
const char* noDataName(NoDataPolicy p);  // "ok", "breach", "hold"

struct TriggerSpec {
  TriggerMetric metric = TriggerMetric::kErrorRate;
  Comparison comparison = Comparison::kAbove;
  // In the metric's unit: error_rate percent of requests (5 = 5%); latency ms, or percent of the
  // baseline when `baseline` (200 = twice the baseline); health_failures consecutive failed checks;
  // waf_blocks blocked requests per `rate_per`.
  double threshold = 0;
  bool baseline = false;     // latency only
  double percentile = 95;    // latency only: the quantile compared (0 < p < 100)
  Millis window{0};          // 0 = one sample decides (waf_blocks: always > 0, default 1 minute)
  Millis rate_per{60'000};   // waf_blocks: the threshold's unit (1000 per second, 60000 per minute)
  Millis sample{1'000};      // the rule's sample interval: whole seconds, 1s to 1h; the window is
                             // a whole number of samples
  int64_t min_requests = 10; // error_rate and latency: fewer requests in a sample = no data
  NoDataPolicy no_data = NoDataPolicy::kOk;
  std::string wording;       // the line it was read from; "" for the structured form
  config::Location where;    // of the list item, for diagnostics

  // Samples in the window (at least 1).
  int64_t windowSamples() const;
};

// The canonical text of a rule for the terminal and the deployment record, every default spelled
// out, e.g. "error_rate > 5% for 5m (1s samples, min 10 requests, no data: ok)",
// "latency p95 > 200% of baseline for 10m (1s samples, min 10 requests, no data: ok)",
// "health_failures > 3 consecutive (no data: ok)", "waf_blocks > 1000/min over 1m (no data: ok)".
std::string describe(const TriggerSpec& spec);
// A duration as the canonical text writes it: "500ms", "5s", "5m", "1h", "1m30s".
std::string formatDuration(Millis d);

// The seed's rules as written in its "Automated Rollback Triggers" list.
const std::vector<std::string>& seedTriggerWording();

struct WordingError {
  size_t offset = 0;     // byte offset in the text of the word that could not be read
  std::string message;   // what was expected, e.g. "expected >, >=, < or <= after \"error rate\""
};

// Reads one line of trigger wording. Returns true and fills `out` (defaults above; out.wording =
// text), or returns false and fills `error`. Never throws, bounded work for any input.
bool parseTriggerWording(std::string_view text, TriggerSpec& out, WordingError& error);

// Checks the ranges and combinations of a spec (e.g. a window that is not a whole number of
// samples, a baseline on a metric other than latency). Returns "" when valid, else the message.
std::string checkSpec(const TriggerSpec& spec);

// ---- Evaluation ---------------------------------------------------------------------------

struct LatencyAt {
  double percentile = 95;  // 0 < p < 100
  double ms = 0;
};

// What the release controller measures for the new slot over one interval.
struct Sample {
  Millis at{0};            // end of the interval (simulated time, any fixed origin)
  int64_t requests = 0;    // requests answered by the slot in the interval
  int64_t errors_5xx = 0;
  // Latency of the interval's requests at the percentiles latencyPercentiles() lists; a missing
  // percentile = no latency data for rules using it.
  std::vector<LatencyAt> latency;
  std::optional<int64_t> waf_blocked = 0;     // requests the firewall blocked; nullopt = no data
  std::optional<int64_t> health_failures = 0; // consecutive failed checks now; nullopt = no data

  std::optional<double> latencyAt(double percentile) const;
};

// The previous release's latency before the switch, at the percentiles the baseline rules use
// (baselineNeeds()), recorded in the deployment.
struct Baseline {
  std::vector<LatencyAt> latency;
  std::optional<double> latencyAt(double percentile) const;
};

// The percentiles the Samples of these specs need, sorted, no duplicates.
std::vector<double> latencyPercentiles(const std::vector<TriggerSpec>& specs);
// What the baseline must hold: each baseline rule's percentile and the span to measure it over
// (the rule's window, or its sample interval when it has none); one entry per percentile, the
// longest span.
struct BaselineNeed {
  double percentile = 95;
  Millis span{0};
};
std::vector<BaselineNeed> baselineNeeds(const std::vector<TriggerSpec>& specs);

// One sample of a rule's window as judged.
struct WindowPoint {
  Millis at{0};
  std::optional<double> value;  // in the rule's unit (percent, ms, count, blocks); nullopt = no data
  int64_t requests = 0;
  bool breached = false;        // as judged, after the no_data policy
  bool no_data = false;
};

struct Firing {
  size_t rule = 0;              // index into the watch's specs
  TriggerSpec spec;
  std::string rule_text;        // describe(spec)
  double threshold = 0;         // effective, in the value's unit (baseline rules: ms)
  std::optional<double> baseline_ms;
  Millis window{0};             // the window judged (0 = one sample)
  Millis fired_at{0};           // the `at` of the sample that completed the window
  std::optional<double> value;  // waf_blocks: the rate over the window; others: the last sample's
  std::vector<WindowPoint> points;  // every sample of the window, oldest first
  // One line for the terminal, the deployment record and the incident, e.g.
  // "error_rate > 5% for 5m: every sample of the last 5m breached (300 samples, 6.2%..12.5%)".
  std::string reason;
};

// A rule's state now, for the live view and /metrics.
struct RuleValue {
  size_t rule = 0;
  std::string rule_text;
  TriggerMetric metric = TriggerMetric::kErrorRate;
  std::optional<double> value;       // latest value in the rule's unit (waf: rate over window so far)
  std::string unit;                  // "%", "ms", "failures", "/min", "/s"
  std::optional<double> threshold;  // effective; nullopt for a baseline rule without baseline
  // Of the `needed` samples, how many count toward firing now: consecutive breaching samples;
  // waf: the samples in the window when the rate so far breaches, else 0.
  int64_t breaching = 0;
  int64_t needed = 1;                // samples in a full window
  bool breached = false;             // the latest sample breaches (waf: the rate so far does)
  bool fired = false;
  std::string note;                  // e.g. "no baseline: no data policy ok", "no data"
};

class TriggerWatch {
 public:
  // REQUIRES: every spec passes checkSpec().
  explicit TriggerWatch(std::vector<TriggerSpec> specs, Baseline baseline = {});
  ~TriggerWatch();
  TriggerWatch(TriggerWatch&&) noexcept;
  TriggerWatch& operator=(TriggerWatch&&) noexcept;

  // The interval samples are expected at: always 1s (rules sample in whole seconds; a longer
  // rule interval aggregates the 1s samples).
  Millis interval() const { return interval_; }
  const std::vector<TriggerSpec>& specs() const { return specs_; }

  void observe(const Sample& sample);

  // The first rule that fired, or nullopt.
  const std::optional<Firing>& verdict() const { return firing_; }
  std::vector<RuleValue> values() const;
  // Samples observed (after gap filling) and ignored (not after the previous one).
  int64_t observed() const { return observed_; }
  int64_t ignored() const { return ignored_; }

 private:
  struct RuleState;
  void feed(const Sample& s);
  void judge(size_t i, RuleState& st, const Sample& agg);

  std::vector<TriggerSpec> specs_;
  Baseline baseline_;
  Millis interval_{1'000};
  std::vector<RuleState> states_;
  std::optional<Millis> last_at_;
  std::optional<Firing> firing_;
  int64_t observed_ = 0;
  int64_t ignored_ = 0;
};

}  // namespace shipgate::watch
