// Performance SLA evaluation (see watch/sla.h).
#include "shipgate/watch/sla.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "trigger_text.h"

namespace shipgate::watch {

double defaultSlaPercentile(std::string_view metric) {
  return metric == kApiResponseTime ? 95.0 : 75.0;
}

std::string describe(const SlaSpec& sla) {
  return sla.metric + " p" + formatNumber(sla.percentile) + " over " + formatDuration(sla.window) +
         ": target " + formatNumber(sla.target_ms) + "ms, alert " +
         formatNumber(sla.alert_threshold_ms) + "ms (min " + std::to_string(sla.min_samples) +
         " samples)";
}

std::vector<SlaSpec> seedSlas() {
  struct Seed {
    const char* metric;
    double target;
    double alert;
  };
  std::vector<SlaSpec> out;
  for (Seed s : {Seed{"homepage_load_time", 2000, 3000}, Seed{"api_response_time", 500, 1000},
                 Seed{"wallet_connection_time", 3000, 5000},
                 Seed{"transaction_confirmation", 30000, 60000}}) {
    SlaSpec spec;
    spec.metric = s.metric;
    spec.target_ms = s.target;
    spec.alert_threshold_ms = s.alert;
    spec.percentile = defaultSlaPercentile(s.metric);
    out.push_back(std::move(spec));
  }
  return out;
}

const char* slaVerdictName(SlaVerdict v) {
  switch (v) {
    case SlaVerdict::kOk:
      return "ok";
    case SlaVerdict::kOverTarget:
      return "over_target";
    case SlaVerdict::kAlert:
      return "alert";
    case SlaVerdict::kNoData:
      return "no_data";
  }
  return "?";
}

SlaVerdict judgeSla(const SlaSpec& sla, std::optional<double> value_ms) {
  if (!value_ms || !std::isfinite(*value_ms)) return SlaVerdict::kNoData;
  if (*value_ms > sla.alert_threshold_ms) return SlaVerdict::kAlert;
  if (*value_ms > sla.target_ms) return SlaVerdict::kOverTarget;
  return SlaVerdict::kOk;
}

SlaResult evaluateSla(const SlaSpec& sla, const SlaSource& source) {
  SlaResult r;
  r.metric = sla.metric;
  r.target_ms = sla.target_ms;
  r.alert_threshold_ms = sla.alert_threshold_ms;
  r.percentile = sla.percentile;
  r.window = sla.window;
  r.samples = source.count(sla.metric, sla.window);
  r.value_ms = source.percentile(sla.metric, sla.percentile, sla.window);
  if (r.value_ms && !std::isfinite(*r.value_ms)) r.value_ms.reset();
  std::string head = sla.metric + " p" + formatNumber(sla.percentile) + " over " +
                     formatDuration(sla.window);
  std::string count = std::to_string(r.samples) + (r.samples == 1 ? " sample" : " samples");
  if (r.samples < std::max<int64_t>(1, sla.min_samples) || !r.value_ms) {
    r.verdict = SlaVerdict::kNoData;
    r.summary = head + ": no data (" + count + ", needs " +
                std::to_string(std::max<int64_t>(1, sla.min_samples)) + ")";
    return r;
  }
  r.verdict = judgeSla(sla, r.value_ms);
  std::string v = formatMeasured(*r.value_ms) + "ms";
  switch (r.verdict) {
    case SlaVerdict::kAlert:
      r.summary = head + " = " + v + " > alert " + formatNumber(sla.alert_threshold_ms) + "ms";
      break;
    case SlaVerdict::kOverTarget:
      r.summary = head + " = " + v + " > target " + formatNumber(sla.target_ms) + "ms";
      break;
    default:
      r.summary = head + " = " + v + " <= target " + formatNumber(sla.target_ms) + "ms";
      break;
  }
  r.summary += " (" + count + ")";
  return r;
}

std::vector<SlaResult> evaluateSlas(const std::vector<SlaSpec>& slas, const SlaSource& source) {
  std::vector<SlaResult> out;
  out.reserve(slas.size());
  for (const auto& s : slas) out.push_back(evaluateSla(s, source));
  return out;
}

std::optional<double> percentileOf(std::vector<double> values, double percentile) {
  values.erase(std::remove_if(values.begin(), values.end(),
                              [](double v) { return !std::isfinite(v); }),
               values.end());
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  double p = std::clamp(percentile, 0.0, 100.0);
  double rank = p / 100.0 * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(values.size() - 1, lo + 1);
  double frac = rank - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

}  // namespace shipgate::watch
