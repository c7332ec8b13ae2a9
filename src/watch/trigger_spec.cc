// Names, canonical text and checks of a TriggerSpec (see watch/triggers.h).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/watch/triggers.h"
#include "trigger_text.h"

namespace shipgate::watch {

const char* metricName(TriggerMetric m) {
  switch (m) {
    case TriggerMetric::kErrorRate:
      return "error_rate";
    case TriggerMetric::kLatency:
      return "latency";
    case TriggerMetric::kHealthFailures:
      return "health_failures";
    case TriggerMetric::kWafBlocks:
      return "waf_blocks";
  }
  return "?";
}

const char* comparisonSymbol(Comparison c) {
  switch (c) {
    case Comparison::kAbove:
      return ">";
    case Comparison::kAtLeast:
      return ">=";
    case Comparison::kBelow:
      return "<";
    case Comparison::kAtMost:
      return "<=";
  }
  return "?";
}

bool compare(double value, Comparison c, double threshold) {
  switch (c) {
    case Comparison::kAbove:
      return value > threshold;
    case Comparison::kAtLeast:
      return value >= threshold;
    case Comparison::kBelow:
      return value < threshold;
    case Comparison::kAtMost:
      return value <= threshold;
  }
  return false;
}

const char* noDataName(NoDataPolicy p) {
  switch (p) {
    case NoDataPolicy::kOk:
      return "ok";
    case NoDataPolicy::kBreach:
      return "breach";
    case NoDataPolicy::kHold:
      return "hold";
  }
  return "?";
}

int64_t TriggerSpec::windowSamples() const {
  if (sample.count() <= 0 || window.count() <= 0) return 1;
  return std::max<int64_t>(1, window.count() / sample.count());
}

std::string formatNumber(double v) {
  if (!std::isfinite(v)) return "nan";
  char buf[400];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return "?";
  return std::string(buf, end);
}

std::string formatMeasured(double v) {
  if (!std::isfinite(v)) return "nan";
  char buf[64];
  if (std::fabs(v) >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.4g", v);
  }
  return buf;
}

std::string formatDuration(Millis d) {
  int64_t ms = d.count();
  if (ms == 0) return "0s";
  std::string out;
  if (ms < 0) {
    out = "-";
    ms = -ms;
  }
  struct Unit {
    int64_t ms;
    const char* name;
  };
  for (Unit u : {Unit{3'600'000, "h"}, Unit{60'000, "m"}, Unit{1'000, "s"}, Unit{1, "ms"}}) {
    if (ms >= u.ms) {
      out += std::to_string(ms / u.ms) + u.name;
      ms %= u.ms;
    }
  }
  return out;
}

std::string ratePerName(Millis per) { return per.count() == 1'000 ? "/s" : "/min"; }

std::string thresholdText(const TriggerSpec& s) {
  std::string v = formatNumber(s.threshold);
  switch (s.metric) {
    case TriggerMetric::kErrorRate:
      return v + "%";
    case TriggerMetric::kLatency:
      return s.baseline ? v + "% of baseline" : v + "ms";
    case TriggerMetric::kHealthFailures:
      return v + " consecutive";
    case TriggerMetric::kWafBlocks:
      return v + ratePerName(s.rate_per);
  }
  return v;
}

std::string describeRule(const TriggerSpec& s) {
  std::string out = metricName(s.metric);
  if (s.metric == TriggerMetric::kLatency) out += " p" + formatNumber(s.percentile);
  out += " ";
  out += comparisonSymbol(s.comparison);
  out += " " + thresholdText(s);
  if (s.metric == TriggerMetric::kWafBlocks) {
    out += " over " + formatDuration(s.window);
  } else if (s.window.count() > 0) {
    out += " for " + formatDuration(s.window);
  }
  return out;
}

bool usesMinRequests(TriggerMetric m) {
  return m == TriggerMetric::kErrorRate || m == TriggerMetric::kLatency;
}

std::string describe(const TriggerSpec& s) {
  std::string out = describeRule(s) + " (" + formatDuration(s.sample) + " samples";
  if (usesMinRequests(s.metric)) out += ", min " + std::to_string(s.min_requests) + " requests";
  out += ", no data: ";
  out += noDataName(s.no_data);
  out += ")";
  return out;
}

const std::vector<std::string>& seedTriggerWording() {
  static const std::vector<std::string> kSeed = {
      "Error rate > 5% for 5 minutes",
      "Response time > 200% of baseline for 10 minutes",
      "Health check failures > 3 consecutive",
      "Security alert (WAF blocking > 1000 requests/minute)",
  };
  return kSeed;
}

std::string checkSpec(const TriggerSpec& s) {
  if (!std::isfinite(s.threshold) || s.threshold < 0) {
    return "the threshold must be a number of 0 or more";
  }
  switch (s.metric) {
    case TriggerMetric::kErrorRate:
      if (s.threshold > 100) return "an error rate is a percentage from 0 to 100";
      break;
    case TriggerMetric::kLatency:
      if (s.baseline && s.threshold > kMaxBaselinePercent) {
        return "a baseline percentage is at most " + formatNumber(kMaxBaselinePercent) + "%";
      }
      if (!s.baseline && s.threshold > kMaxLatencyMs) {
        return "a latency threshold is at most " + formatNumber(kMaxLatencyMs) + "ms";
      }
      break;
    case TriggerMetric::kHealthFailures:
      if (s.threshold != std::floor(s.threshold) || s.threshold > kMaxCount) {
        return "health check failures are a whole number up to " + formatNumber(kMaxCount);
      }
      break;
    case TriggerMetric::kWafBlocks:
      if (s.threshold > kMaxWafRate) {
        return "a WAF block rate is at most " + formatNumber(kMaxWafRate);
      }
      if (s.rate_per.count() != 1'000 && s.rate_per.count() != 60'000) {
        return "a WAF block rate is per second or per minute";
      }
      if (s.window.count() <= 0) return "a WAF block rate needs a window over which to count";
      break;
  }
  if (s.metric != TriggerMetric::kLatency && s.baseline) {
    return "a baseline applies to latency only";
  }
  if (s.metric == TriggerMetric::kLatency &&
      (!std::isfinite(s.percentile) || s.percentile <= 0 || s.percentile >= 100)) {
    return "a percentile is between 0 and 100 (exclusive), e.g. p95";
  }
  if (s.sample < kMinSample || s.sample > kMaxSample || s.sample.count() % 1000 != 0) {
    return "the sample interval must be a whole number of seconds from 1s to 1h";
  }
  if (s.window.count() < 0 || s.window > kMaxWindow) return "a window is at most 24h";
  if (s.window.count() % s.sample.count() != 0) {
    return "the window " + formatDuration(s.window) + " is not a whole number of " +
           formatDuration(s.sample) + " samples";
  }
  if (s.min_requests < 0 || s.min_requests > kMaxCount) {
    return "min_requests is from 0 to " + formatNumber(kMaxCount);
  }
  return "";
}

bool sameRule(const TriggerSpec& a, const TriggerSpec& b) {
  return a.metric == b.metric && a.comparison == b.comparison && a.threshold == b.threshold &&
         a.baseline == b.baseline &&
         (a.metric != TriggerMetric::kLatency || a.percentile == b.percentile) &&
         a.window == b.window && (a.metric != TriggerMetric::kWafBlocks || a.rate_per == b.rate_per) &&
         a.sample == b.sample && a.min_requests == b.min_requests && a.no_data == b.no_data;
}

std::optional<double> Sample::latencyAt(double percentile) const {
  for (const auto& l : latency) {
    if (l.percentile == percentile) return l.ms;
  }
  return std::nullopt;
}

std::optional<double> Baseline::latencyAt(double percentile) const {
  for (const auto& l : latency) {
    if (l.percentile == percentile) return l.ms;
  }
  return std::nullopt;
}

std::vector<double> latencyPercentiles(const std::vector<TriggerSpec>& specs) {
  std::vector<double> out;
  for (const auto& s : specs) {
    if (s.metric != TriggerMetric::kLatency) continue;
    if (std::find(out.begin(), out.end(), s.percentile) == out.end()) out.push_back(s.percentile);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<BaselineNeed> baselineNeeds(const std::vector<TriggerSpec>& specs) {
  std::vector<BaselineNeed> out;
  for (const auto& s : specs) {
    if (s.metric != TriggerMetric::kLatency || !s.baseline) continue;
    Millis span = s.window.count() > 0 ? s.window : s.sample;
    bool merged = false;
    for (auto& n : out) {
      if (n.percentile == s.percentile) {
        n.span = std::max(n.span, span);
        merged = true;
      }
    }
    if (!merged) out.push_back({s.percentile, span});
  }
  std::sort(out.begin(), out.end(),
            [](const BaselineNeed& a, const BaselineNeed& b) { return a.percentile < b.percentile; });
  return out;
}

}  // namespace shipgate::watch
