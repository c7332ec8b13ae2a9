// TriggerWatch: windowed evaluation of a deployment's rollback rules (see watch/triggers.h).
#include <algorithm>
#include <cmath>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/watch/triggers.h"
#include "trigger_text.h"

namespace shipgate::watch {

struct TriggerWatch::RuleState {
  int64_t per_sample = 1;  // fed samples per rule sample
  int64_t pending = 0;     // fed samples aggregated so far
  Sample agg;              // their aggregate
  std::deque<WindowPoint> window;  // the last windowSamples() judged points
  int64_t consecutive = 0;         // consecutive breaching points
  int64_t judged = 0;
  std::optional<bool> prev_breached;
  std::optional<double> prev_value;  // waf: the last sample's block count, for hold
  std::optional<double> threshold;   // effective
  std::string note;
  bool fired = false;
  std::optional<double> waf_rate;    // over the window so far
  bool waf_window_breached = false;
};

namespace {

void accumulate(Sample& agg, const Sample& s, bool first) {
  if (first) {
    agg = s;
    return;
  }
  agg.at = s.at;
  agg.requests += s.requests;
  agg.errors_5xx += s.errors_5xx;
  for (const auto& l : s.latency) {
    bool merged = false;
    for (auto& a : agg.latency) {
      if (a.percentile == l.percentile) {
        a.ms = std::max(a.ms, l.ms);
        merged = true;
      }
    }
    if (!merged) agg.latency.push_back(l);
  }
  if (s.waf_blocked) agg.waf_blocked = agg.waf_blocked.value_or(0) + *s.waf_blocked;
  if (s.health_failures) {
    agg.health_failures = std::max(agg.health_failures.value_or(0), *s.health_failures);
  }
}

std::string unitOf(const TriggerSpec& s) {
  switch (s.metric) {
    case TriggerMetric::kErrorRate:
      return "%";
    case TriggerMetric::kLatency:
      return "ms";
    case TriggerMetric::kHealthFailures:
      return "failures";
    case TriggerMetric::kWafBlocks:
      return ratePerName(s.rate_per);
  }
  return "";
}

std::string withUnit(double v, const TriggerSpec& s) {
  std::string u = unitOf(s);
  if (u == "failures") return formatMeasured(v) + (v == 1 ? " failure" : " failures");
  return formatMeasured(v) + u;
}

}  // namespace

TriggerWatch::TriggerWatch(std::vector<TriggerSpec> specs, Baseline baseline)
    : specs_(std::move(specs)), baseline_(std::move(baseline)) {
  states_.resize(specs_.size());
  for (size_t i = 0; i < specs_.size(); ++i) {
    const TriggerSpec& s = specs_[i];
    RuleState& st = states_[i];
    st.per_sample = std::max<int64_t>(1, s.sample.count() / interval_.count());
    if (s.metric == TriggerMetric::kLatency && s.baseline) {
      if (auto b = baseline_.latencyAt(s.percentile)) {
        st.threshold = *b * s.threshold / 100.0;
      } else {
        st.note = std::string("no baseline: no data policy ") + noDataName(s.no_data);
      }
    } else {
      st.threshold = s.threshold;
    }
  }
}

TriggerWatch::~TriggerWatch() = default;
TriggerWatch::TriggerWatch(TriggerWatch&&) noexcept = default;
TriggerWatch& TriggerWatch::operator=(TriggerWatch&&) noexcept = default;

void TriggerWatch::observe(const Sample& sample) {
  if (last_at_ && sample.at <= *last_at_) {
    ++ignored_;
    return;
  }
  if (last_at_) {
    // Missing intervals count as samples without data; past the longest window they change
    // nothing more, so at most that many are filled in.
    int64_t gap = (sample.at - *last_at_).count();
    int64_t missing = (gap + interval_.count() / 2) / interval_.count() - 1;
    int64_t cap = 1;
    for (size_t i = 0; i < specs_.size(); ++i) {
      cap = std::max(cap, (specs_[i].windowSamples() + 1) * states_[i].per_sample);
    }
    missing = std::min(missing, cap);
    for (int64_t k = missing; k >= 1; --k) {
      Sample empty;
      empty.at = sample.at - interval_ * k;
      empty.waf_blocked.reset();
      empty.health_failures.reset();
      feed(empty);
    }
  }
  feed(sample);
  last_at_ = sample.at;
}

void TriggerWatch::feed(const Sample& s) {
  ++observed_;
  for (size_t i = 0; i < specs_.size(); ++i) {
    RuleState& st = states_[i];
    accumulate(st.agg, s, st.pending == 0);
    if (++st.pending < st.per_sample) continue;
    st.pending = 0;
    judge(i, st, st.agg);
  }
}

void TriggerWatch::judge(size_t i, RuleState& st, const Sample& agg) {
  const TriggerSpec& spec = specs_[i];
  WindowPoint p;
  p.at = agg.at;
  p.requests = agg.requests;
  int64_t min_requests = std::max<int64_t>(1, spec.min_requests);
  switch (spec.metric) {
    case TriggerMetric::kErrorRate:
      if (agg.requests >= min_requests) {
        p.value = 100.0 * static_cast<double>(agg.errors_5xx) / static_cast<double>(agg.requests);
      }
      break;
    case TriggerMetric::kLatency:
      if (agg.requests >= min_requests && st.threshold) p.value = agg.latencyAt(spec.percentile);
      break;
    case TriggerMetric::kHealthFailures:
      if (agg.health_failures) p.value = static_cast<double>(*agg.health_failures);
      break;
    case TriggerMetric::kWafBlocks:
      if (agg.waf_blocked) p.value = static_cast<double>(*agg.waf_blocked);
      break;
  }
  p.no_data = !p.value.has_value();
  const int64_t needed = spec.windowSamples();
  ++st.judged;

  if (spec.metric == TriggerMetric::kWafBlocks) {
    // A rate over the window: no-data samples count as 0 (ok), as the previous sample (hold), or
    // make the window breach (breach).
    // The point's value is the block count the rate counts (the policy's stand-in when no_data).
    if (p.value) {
      st.prev_value = p.value;
    } else if (spec.no_data == NoDataPolicy::kHold) {
      p.value = st.prev_value.value_or(0);
    } else if (spec.no_data == NoDataPolicy::kOk) {
      p.value = 0.0;
    }
    st.window.push_back(p);
    while (static_cast<int64_t>(st.window.size()) > needed) st.window.pop_front();
    double sum = 0;
    bool any_no_data = false;
    for (const auto& w : st.window) {
      sum += w.value.value_or(0);
      any_no_data = any_no_data || (w.no_data && spec.no_data == NoDataPolicy::kBreach);
    }
    double span_ms = static_cast<double>(st.window.size()) * static_cast<double>(spec.sample.count());
    st.waf_rate = sum * static_cast<double>(spec.rate_per.count()) / span_ms;
    bool full = static_cast<int64_t>(st.window.size()) >= needed;
    st.waf_window_breached = full && (compare(*st.waf_rate, spec.comparison, spec.threshold) ||
                                      any_no_data);
    for (auto& w : st.window) w.breached = st.waf_window_breached;
    st.consecutive = static_cast<int64_t>(st.window.size());
    if (!st.waf_window_breached) return;
  } else {
    if (p.value) {
      p.breached = compare(*p.value, spec.comparison, *st.threshold);
    } else {
      switch (spec.no_data) {
        case NoDataPolicy::kOk:
          p.breached = false;
          break;
        case NoDataPolicy::kBreach:
          p.breached = true;
          break;
        case NoDataPolicy::kHold:
          p.breached = st.prev_breached.value_or(false);
          break;
      }
    }
    st.prev_breached = p.breached;
    st.consecutive = p.breached ? st.consecutive + 1 : 0;
    st.window.push_back(p);
    while (static_cast<int64_t>(st.window.size()) > needed) st.window.pop_front();
    if (st.consecutive < needed) return;
  }

  st.fired = true;
  if (firing_) return;
  Firing f;
  f.rule = i;
  f.spec = spec;
  f.rule_text = describe(spec);
  f.threshold = st.threshold.value_or(spec.threshold);
  if (spec.metric == TriggerMetric::kLatency && spec.baseline) {
    f.baseline_ms = baseline_.latencyAt(spec.percentile);
  }
  f.window = spec.window;
  f.fired_at = agg.at;
  f.points.assign(st.window.begin(), st.window.end());
  std::string rule = describeRule(spec);
  if (spec.metric == TriggerMetric::kWafBlocks) {
    f.value = st.waf_rate;
    double sum = 0;
    int64_t no_data = 0;
    for (const auto& w : f.points) {
      sum += w.value.value_or(0);
      no_data += w.no_data ? 1 : 0;
    }
    f.reason = rule + ": " + formatMeasured(*st.waf_rate) + ratePerName(spec.rate_per) + " (" +
               formatMeasured(sum) + " blocked in " + formatDuration(spec.window);
    if (no_data > 0) {
      f.reason += ", " + std::to_string(no_data) + " samples without data counted as " +
                  noDataName(spec.no_data);
    }
    f.reason += ")";
  } else {
    f.value = f.points.back().value;
    std::optional<double> lo, hi;
    int64_t no_data = 0;
    for (const auto& w : f.points) {
      if (!w.value) {
        ++no_data;
        continue;
      }
      lo = lo ? std::min(*lo, *w.value) : *w.value;
      hi = hi ? std::max(*hi, *w.value) : *w.value;
    }
    std::string measured;
    if (lo && hi && *lo != *hi) {
      measured = withUnit(*lo, spec) + ".." + withUnit(*hi, spec);
    } else if (lo) {
      measured = withUnit(*lo, spec);
    } else {
      measured = "no data";
    }
    if (spec.baseline && f.baseline_ms) {
      rule += " (baseline " + formatMeasured(*f.baseline_ms) + "ms, threshold " +
              formatMeasured(f.threshold) + "ms)";
    } else if (spec.baseline) {
      rule += " (no baseline)";
    }
    if (spec.window.count() > 0) {
      f.reason = rule + ": every sample of the last " + formatDuration(spec.window) +
                 " breached (" + std::to_string(f.points.size()) + " samples, " + measured;
    } else {
      f.reason = rule + ": " + measured + " (one " + formatDuration(spec.sample) + " sample";
    }
    if (no_data > 0) {
      f.reason += ", " + std::to_string(no_data) + (no_data == 1 ? " sample" : " samples") +
                  " without data counted as " + noDataName(spec.no_data);
    }
    f.reason += ")";
  }
  firing_ = std::move(f);
}

std::vector<RuleValue> TriggerWatch::values() const {
  std::vector<RuleValue> out;
  for (size_t i = 0; i < specs_.size(); ++i) {
    const TriggerSpec& spec = specs_[i];
    const RuleState& st = states_[i];
    RuleValue v;
    v.rule = i;
    v.rule_text = describe(spec);
    v.metric = spec.metric;
    v.unit = unitOf(spec);
    v.threshold = st.threshold;
    v.needed = spec.windowSamples();
    if (spec.metric == TriggerMetric::kWafBlocks) {
      v.breached = st.waf_rate && compare(*st.waf_rate, spec.comparison, spec.threshold);
      v.breaching = v.breached ? static_cast<int64_t>(st.window.size()) : 0;
    } else {
      v.breached = !st.window.empty() && st.window.back().breached;
      v.breaching = st.consecutive;
    }
    v.fired = st.fired;
    v.note = st.note;
    if (spec.metric == TriggerMetric::kWafBlocks) {
      v.value = st.waf_rate;
    } else if (!st.window.empty()) {
      v.value = st.window.back().value;
      if (!v.value && v.note.empty()) {
        v.note = std::string("no data (counted as ") + noDataName(spec.no_data) + ")";
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace shipgate::watch
