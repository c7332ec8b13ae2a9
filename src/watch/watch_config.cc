// The rollback_triggers: and performance_slas: sections and the watch area's section validator
// (see watch/watch_config.h).
#include "shipgate/watch/watch_config.h"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/config/loader.h"
#include "trigger_text.h"

namespace shipgate::watch {
namespace {

using config::childPath;
using config::itemPath;
using config::MapView;
using config::YEntry;
using config::YNode;

// "path: message", then the text with a caret under the offending byte (single-line texts).
std::string withCaret(const std::string& path, const std::string& message, std::string_view text,
                      size_t offset) {
  std::string out = path + ": " + message;
  if (text.find('\n') != std::string_view::npos || text.find('\r') != std::string_view::npos) {
    return out;
  }
  out += "\n    ";
  out += text;
  out += "\n    ";
  out += std::string(std::min(offset, text.size()), ' ');
  out += "^";
  return out;
}

void reportInScalar(const YNode& n, const std::string& path, const WordingError& e,
                    config::Diagnostics& d) {
  d.error(d.locateInScalar(n.where, e.offset), withCaret(path, e.message, n.scalar, e.offset));
}

// "p95" or 95; 0 < p < 100.
bool readPercentile(const YNode& n, const std::string& path, config::Diagnostics& d, double& out) {
  if (!n.isScalar()) {
    d.error(n.where, path + ": expected a percentile such as 95 or p95, got " + n.kindName());
    return false;
  }
  std::string_view s = n.scalar;
  if (!s.empty() && (s[0] == 'p' || s[0] == 'P')) s.remove_prefix(1);
  double p = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(p) ||
      p <= 0 || p >= 100) {
    d.error(n.where, path + ": expected a percentile between 0 and 100 (exclusive) such as 95 or "
                            "p95, got \"" +
                         n.scalar + "\"");
    return false;
  }
  out = p;
  return true;
}

// Milliseconds: a number (the seed's unit) or a duration ("2s", "500ms").
bool readMs(const YNode& n, const std::string& path, config::Diagnostics& d, double& out) {
  if (!n.isScalar()) {
    d.error(n.where, path + (n.isNull() ? ": missing value (expected milliseconds)"
                                        : ": expected milliseconds, got " +
                                              std::string(n.kindName())));
    return false;
  }
  const std::string& s = n.scalar;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (!s.empty() && ec == std::errc() && ptr == s.data() + s.size()) {
    if (!std::isfinite(v) || v <= 0 || v > kMaxLatencyMs * 24) {
      d.error(n.where, path + ": " + s + " is out of range (more than 0, at most 86400000 ms)");
      return false;
    }
    out = v;
    return true;
  }
  auto r = config::parseDuration(s);
  if (!r.isOk()) {
    d.error(n.where, path + ": expected milliseconds (e.g. 500) or a duration (e.g. 2s), got \"" +
                         s + "\"");
    return false;
  }
  if (r->count() <= 0 || *r > kMaxWindow) {
    d.error(n.where, path + ": " + s + " is out of range (more than 0, at most 24h)");
    return false;
  }
  out = static_cast<double>(r->count());
  return true;
}

constexpr std::string_view kStructuredKeys[] = {"metric",     "above",        "below",
                                                "or_equal",   "for",          "percentile",
                                                "baseline",   "min_requests", "no_data",
                                                "sample"};

std::optional<TriggerSpec> loadStructuredTrigger(const YNode& item, const std::string& path,
                                                 config::Diagnostics& d) {
  MapView m(item, path, d);
  TriggerSpec spec;
  spec.where = item.where;
  int metric = -1;
  if (!m.getChoice("metric", {"error_rate", "latency", "health_failures", "waf_blocks"}, metric)) {
    if (m.take("metric") == nullptr) {
      d.error(item.where, path + ": metric is required (error_rate, latency, health_failures or "
                                 "waf_blocks)");
    }
    // Without a metric the other keys cannot be judged; only misspelt ones are reported.
    for (std::string_view k : kStructuredKeys) m.take(k);
    m.finish();
    return std::nullopt;
  }
  bool ok = true;
  spec.metric = static_cast<TriggerMetric>(metric);
  spec.min_requests = usesMinRequests(spec.metric) ? 10 : 0;
  if (spec.metric == TriggerMetric::kWafBlocks) spec.window = Millis{60'000};
  const bool latency = spec.metric == TriggerMetric::kLatency;

  std::optional<bool> baseline_key;
  if (const YNode* b = m.take("baseline")) {
    bool v = false;
    if (config::asBool(*b, m.sub("baseline"), d, v)) {
      baseline_key = v;
      if (!latency && v) {
        d.error(b->where, m.sub("baseline") + ": a baseline applies to metric latency only");
        ok = false;
      }
      spec.baseline = v && latency;
    } else {
      ok = false;
    }
  }
  const YEntry* above = m.entry("above");
  const YEntry* below = m.entry("below");
  if (above != nullptr && below != nullptr) {
    d.error(below->key_where, path + ": give above or below, not both");
    ok = false;
  } else if (above == nullptr && below == nullptr) {
    d.error(item.where, path + ": above or below is required (the threshold, e.g. above: 5%)");
    ok = false;
  } else {
    const YEntry* e = above != nullptr ? above : below;
    std::string vpath = m.sub(e->key);
    spec.comparison = above != nullptr ? Comparison::kAbove : Comparison::kBelow;
    if (!e->value.isScalar()) {
      d.error(e->value.where, vpath + ": expected a threshold such as 5%, 800ms or 1000/min, got " +
                                  e->value.kindName());
      ok = false;
    } else {
      std::string text = e->value.scalar;
      // baseline: true with "200%": the percentage is of the baseline.
      if (spec.baseline && !text.empty() && text.back() == '%') text += " of baseline";
      WordingError err;
      if (!parseThresholdText(text, spec, err)) {
        std::string shown = e->value.scalar;
        reportInScalar(e->value, vpath, err, d);
        ok = false;
      } else if (baseline_key && !*baseline_key && spec.baseline) {
        d.error(e->value.where, vpath + ": \"" + e->value.scalar +
                                    "\" is relative to the baseline, but baseline is false");
        ok = false;
      }
    }
  }
  bool or_equal = false;
  if (m.getBool("or_equal", or_equal) && or_equal) {
    spec.comparison =
        spec.comparison == Comparison::kAbove ? Comparison::kAtLeast : Comparison::kAtMost;
  }
  if (m.getDuration("for", spec.window) && spec.window.count() <= 0) {
    d.error(m.take("for")->where, m.sub("for") + ": a window must be longer than 0");
    ok = false;
  }
  if (const YNode* p = m.take("percentile")) {
    if (!latency) {
      d.error(p->where, m.sub("percentile") + ": a percentile applies to metric latency only");
      ok = false;
    } else {
      ok = readPercentile(*p, m.sub("percentile"), d, spec.percentile) && ok;
    }
  }
  if (const YNode* mr = m.take("min_requests")) {
    if (!usesMinRequests(spec.metric)) {
      d.error(mr->where, m.sub("min_requests") + ": applies to metrics error_rate and latency only");
      ok = false;
    } else {
      ok = config::asInt(*mr, m.sub("min_requests"), d, 0, static_cast<int64_t>(kMaxCount),
                         spec.min_requests) &&
           ok;
    }
  }
  int no_data = 0;
  if (m.getChoice("no_data", {"ok", "breach", "hold"}, no_data)) {
    spec.no_data = static_cast<NoDataPolicy>(no_data);
  }
  m.getDuration("sample", spec.sample);
  m.finish();
  if (!ok) return std::nullopt;
  std::string problem = checkSpec(spec);
  if (!problem.empty()) {
    d.error(item.where, path + ": " + problem);
    return std::nullopt;
  }
  return spec;
}

// A plain scalar such as `- Error rate > 5% (no data: ok)` is a one-entry map to YAML; its key
// reads like wording, not like a structured key.
bool looksLikeSplitWording(const YNode& item) {
  if (item.entries.size() != 1) return false;
  const std::string& key = item.entries[0].key;
  for (std::string_view k : kStructuredKeys) {
    if (key == k) return false;
  }
  return key.find(' ') != std::string::npos;
}

void loadTriggers(const YEntry& entry, config::Diagnostics& d, WatchConfig& out) {
  const std::string path = "rollback_triggers";
  const YNode& n = entry.value;
  if (n.isNull()) {
    d.warning(entry.key_where, path + " is empty: no rollback triggers are watched");
    return;
  }
  if (!n.isSeq()) {
    d.error(n.where, path + ": expected a list of rules (the seed's wording, e.g. \"Error rate > "
                            "5% for 5 minutes\", or maps {metric, above, for, ...}), got " +
                         n.kindName());
    return;
  }
  for (size_t i = 0; i < n.items.size(); ++i) {
    const YNode& item = n.items[i];
    std::string ipath = itemPath(path, i);
    std::optional<TriggerSpec> spec;
    if (item.isScalar()) {
      TriggerSpec s;
      WordingError err;
      if (parseTriggerWording(item.scalar, s, err)) {
        s.where = item.where;
        spec = std::move(s);
      } else {
        reportInScalar(item, ipath, err, d);
      }
    } else if (item.isMap() && looksLikeSplitWording(item)) {
      d.error(item.where, ipath + ": YAML read this rule as a map because it contains \": \"; "
                                  "put the rule in quotes (\"" +
                              item.entries[0].key + ": ...\")");
    } else if (item.isMap()) {
      spec = loadStructuredTrigger(item, ipath, d);
    } else {
      d.error(item.where, ipath + ": expected a rule (a string such as \"Error rate > 5% for 5 "
                                  "minutes\" or a map {metric, above, for, ...}), got " +
                              item.kindName());
    }
    if (!spec) continue;
    for (size_t j = 0; j < out.triggers.size(); ++j) {
      if (sameRule(out.triggers[j], *spec)) {
        d.warning(item.where, ipath + ": the same rule as " + out.triggers[j].where.toString() +
                                  " (" + describe(*spec) + ")");
        break;
      }
    }
    out.triggers.push_back(std::move(*spec));
  }
}

void loadSlas(const YNode& n, config::Diagnostics& d, WatchConfig& out) {
  const std::string path = "performance_slas";
  if (n.isNull()) return;
  if (!n.isMap()) {
    d.error(n.where, path + ": expected a map of metric name to {target, alert_threshold}, got " +
                         n.kindName());
    return;
  }
  for (const YEntry& e : n.entries) {
    std::string spath = childPath(path, e.key);
    SlaSpec sla;
    sla.metric = e.key;
    sla.where = e.key_where;
    sla.percentile = defaultSlaPercentile(e.key);
    bool ok = true;
    if (!config::validName(e.key)) {
      d.error(e.key_where, spath + ": not a valid metric name (letters, digits, - _ .)");
      ok = false;
    }
    MapView m(e.value, spath, d);
    if (!m.isMap()) continue;
    const YNode* target = m.take("target");
    const YNode* alert = m.take("alert_threshold");
    if (target == nullptr) {
      d.error(e.value.where, spath + ": target is required (milliseconds)");
      ok = false;
    } else {
      ok = readMs(*target, m.sub("target"), d, sla.target_ms) && ok;
    }
    if (alert == nullptr) {
      d.error(e.value.where, spath + ": alert_threshold is required (milliseconds)");
      ok = false;
    } else {
      ok = readMs(*alert, m.sub("alert_threshold"), d, sla.alert_threshold_ms) && ok;
    }
    if (const YNode* p = m.take("percentile")) {
      ok = readPercentile(*p, m.sub("percentile"), d, sla.percentile) && ok;
    }
    if (m.getDuration("window", sla.window) && (sla.window.count() <= 0 || sla.window > kMaxWindow)) {
      d.error(m.take("window")->where, m.sub("window") + ": must be more than 0 and at most 24h");
      ok = false;
    }
    ok = (m.take("min_samples") == nullptr ||
          m.getInt64("min_samples", 1, static_cast<int64_t>(kMaxCount), sla.min_samples)) &&
         ok;
    m.finish();
    if (ok && sla.alert_threshold_ms < sla.target_ms) {
      d.error(alert->where, m.sub("alert_threshold") + ": " +
                                formatNumber(sla.alert_threshold_ms) + "ms is below target " +
                                formatNumber(sla.target_ms) + "ms");
      ok = false;
    }
    if (ok) out.slas.push_back(std::move(sla));
  }
}

std::vector<TriggerSpec> seedTriggers() {
  std::vector<TriggerSpec> out;
  for (const auto& line : seedTriggerWording()) {
    TriggerSpec s;
    WordingError e;
    if (parseTriggerWording(line, s, e)) out.push_back(std::move(s));
  }
  return out;
}

class WatchSection : public config::SectionValidator {
 public:
  std::string_view key() const override { return kWatchSection; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config& config, const YNode& document,
      config::Diagnostics& diags) const override {
    return validateWatchConfig(config, document, diags);
  }
};

}  // namespace

const SlaSpec* WatchConfig::findSla(std::string_view metric) const {
  for (const auto& s : slas) {
    if (s.metric == metric) return &s;
  }
  return nullptr;
}

std::vector<std::string> WatchConfig::slaMetrics() const {
  std::vector<std::string> out;
  for (const auto& s : slas) out.push_back(s.metric);
  return out;
}

std::shared_ptr<const WatchConfig> validateWatchConfig(const config::Config& /*config*/,
                                                       const YNode& document,
                                                       config::Diagnostics& d) {
  bool had_errors = d.hasErrors();
  auto out = std::make_shared<WatchConfig>();
  const YEntry* triggers = document.isMap() ? document.find("rollback_triggers") : nullptr;
  if (triggers != nullptr) {
    out->triggers_default = false;
    loadTriggers(*triggers, d, *out);
  } else {
    out->triggers = seedTriggers();
  }
  if (const YEntry* slas = document.isMap() ? document.find("performance_slas") : nullptr) {
    loadSlas(slas->value, d, *out);
  }
  if (!had_errors && d.hasErrors()) return nullptr;
  return out;
}

std::unique_ptr<config::SectionValidator> watchSection() {
  return std::make_unique<WatchSection>();
}

const WatchConfig& watchConfigOf(const config::Config& config) {
  static const WatchConfig kDefaults = [] {
    WatchConfig c;
    c.triggers = seedTriggers();
    return c;
  }();
  auto settings = config.section<WatchConfig>(kWatchSection);
  return settings != nullptr ? *settings : kDefaults;
}

}  // namespace shipgate::watch
