// Performance SLAs: the seed's `performanceSLAs` block as `performance_slas:` (SlaSpec), and their
// evaluation against a source of latency percentiles (SlaSource).
//
// Each SLA names a metric (its key: homepage_load_time, api_response_time, wallet_connection_time,
// transaction_confirmation, or any other name the RUM script reports), a target and an
// alert_threshold in milliseconds, and optionally:
//   percentile   default 95 for api_response_time (measured by the gateway), 75 for the others
//                (real-user measurements, as Web Vitals reports them)
//   window       default 5m: the span of recent measurements the percentile is taken over
//   min_samples  default 5: fewer measurements in the window = no data
// Verdict (the seed compares with `>`): value > alert_threshold -> alert; value > target ->
// over_target; else ok; fewer than min_samples measurements or no value -> no_data.
//
// The release controller adapts its sources to SlaSource: the gateway's latency histogram of the
// app's live slot for api_response_time, the RUM store (attributed to the release) for the others.
//
// Thread-safety: SlaSpec and the functions are pure; evaluate*() call the source on the caller's
// thread (a SlaSource implementation says whether it may be shared).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"

namespace shipgate::watch {

inline constexpr std::string_view kApiResponseTime = "api_response_time";

struct SlaSpec {
  std::string metric;  // the key under performance_slas
  double target_ms = 0;
  double alert_threshold_ms = 0;  // >= target_ms
  double percentile = 75;         // 0 < p < 100; see defaultSlaPercentile()
  std::chrono::milliseconds window{300'000};
  int64_t min_samples = 5;
  config::Location where;  // of the key, for diagnostics
};

// 95 for api_response_time, 75 otherwise.
double defaultSlaPercentile(std::string_view metric);

// Canonical text: "api_response_time p95 over 5m: target 500ms, alert 1000ms (min 5 samples)".
std::string describe(const SlaSpec& sla);

// The seed's four SLAs with their defaults (what performance_slas: holds when written as in the
// seed).
std::vector<SlaSpec> seedSlas();

class SlaSource {
 public:
  virtual ~SlaSource() = default;
  // The `percentile` (0 < p < 100) of `metric` over the most recent `window`, in ms; nullopt when
  // there are no measurements.
  virtual std::optional<double> percentile(std::string_view metric, double percentile,
                                           std::chrono::milliseconds window) const = 0;
  // How many measurements of `metric` the most recent `window` holds.
  virtual int64_t count(std::string_view metric, std::chrono::milliseconds window) const = 0;
};

enum class SlaVerdict { kOk, kOverTarget, kAlert, kNoData };
const char* slaVerdictName(SlaVerdict v);  // "ok", "over_target", "alert", "no_data"

struct SlaResult {
  std::string metric;
  std::optional<double> value_ms;  // the measured percentile (also when below min_samples)
  double target_ms = 0;
  double alert_threshold_ms = 0;
  double percentile = 0;
  std::chrono::milliseconds window{0};
  int64_t samples = 0;
  SlaVerdict verdict = SlaVerdict::kNoData;
  // One line, e.g. "api_response_time p95 over 5m = 1240ms > alert 1000ms (812 samples)".
  std::string summary;
};

// The verdict of a value alone (no sample count check).
SlaVerdict judgeSla(const SlaSpec& sla, std::optional<double> value_ms);
SlaResult evaluateSla(const SlaSpec& sla, const SlaSource& source);
std::vector<SlaResult> evaluateSlas(const std::vector<SlaSpec>& slas, const SlaSource& source);

// The percentile (0 < p < 100) of `values` by linear interpolation between closest ranks (as
// numpy's default and Prometheus' summaries); nullopt when empty. For sources that keep samples.
std::optional<double> percentileOf(std::vector<double> values, double percentile);

}  // namespace shipgate::watch
