// Fuzzes the watch area's readers of operator input. The first byte picks what the rest is:
//   'w'  one line of rollback trigger wording (parseTriggerWording), then a TriggerWatch fed
//        samples made from the same bytes;
//   't'  a structured threshold (parseThresholdText) for each metric;
//   else the whole input is a config file read through config::loadString with the watch section
//        (rollback_triggers:, performance_slas:).
// Invariants: an error's offset lies within the text and it has a message; an accepted rule passes
// checkSpec and its canonical text (describe) reads back as the same canonical text; a firing
// names a rule of the watch, is no longer than the rule's window and has every point breaching
// (rate rules: the window judged as a whole); an accepted config has valid rules and SLAs whose
// alert threshold is not below the target.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "trigger_text.h"  // src/watch (private): parseThresholdText
#include "shipgate/config/loader.h"
#include "shipgate/watch/triggers.h"
#include "shipgate/watch/watch_config.h"

namespace {

using namespace shipgate::watch;

void check(bool ok, const char* what, std::string_view input, const std::string& detail = {}) {
  if (ok) return;
  fprintf(stderr, "trigger_wording_fuzz invariant violated: %s\ninput:  %.*s\ndetail: %s\n", what,
          static_cast<int>(input.size()), input.data(), detail.c_str());
  abort();
}

void checkRoundTrip(const TriggerSpec& spec, std::string_view input) {
  check(checkSpec(spec).empty(), "accepted rule fails checkSpec", input, checkSpec(spec));
  std::string canonical = describe(spec);
  TriggerSpec again;
  WordingError err;
  check(parseTriggerWording(canonical, again, err), "canonical text does not parse", input,
        canonical + " -> " + err.message);
  check(describe(again) == canonical, "canonical text reads back differently", input,
        canonical + " vs " + describe(again));
}

void fuzzWording(std::string_view text) {
  TriggerSpec spec;
  WordingError err;
  if (!parseTriggerWording(text, spec, err)) {
    check(err.offset <= text.size(), "error offset past the text", text);
    check(!err.message.empty(), "error without a message", text);
    return;
  }
  check(spec.wording == text, "wording not kept", text);
  checkRoundTrip(spec, text);

  Baseline baseline;
  if (!text.empty() && (text[0] & 1)) baseline.latency.push_back({spec.percentile, 100});
  TriggerWatch watch({spec}, baseline);
  int64_t at = 0;
  for (size_t i = 0; i < text.size() && i < 400; ++i) {
    auto b = static_cast<unsigned char>(text[i]);
    Sample s;
    at += (b % 11 == 0) ? 3000 : 1000;  // now and then a gap
    s.at = Millis{at};
    s.requests = b % 64;
    s.errors_5xx = s.requests == 0 ? 0 : b % (s.requests + 1);
    if (b & 2) s.latency.push_back({spec.percentile, static_cast<double>(b) * 10});
    s.waf_blocked = (b & 4) ? std::optional<int64_t>(b * 3) : std::nullopt;
    s.health_failures = (b & 8) ? std::optional<int64_t>(b % 6) : std::nullopt;
    watch.observe(s);
  }
  if (const auto& f = watch.verdict()) {
    check(f->rule == 0, "firing names no rule of the watch", text);
    check(!f->points.empty(), "firing without points", text);
    check(static_cast<int64_t>(f->points.size()) <= spec.windowSamples(),
          "firing longer than the window", text);
    for (const auto& p : f->points) check(p.breached, "firing with a point that did not breach", text);
    check(!f->reason.empty(), "firing without a reason", text);
  }
  auto values = watch.values();
  check(values.size() == 1, "values() not one per rule", text);
}

void fuzzThreshold(std::string_view text) {
  for (auto metric : {TriggerMetric::kErrorRate, TriggerMetric::kLatency,
                      TriggerMetric::kHealthFailures, TriggerMetric::kWafBlocks}) {
    TriggerSpec spec;
    spec.metric = metric;
    WordingError err;
    if (!parseThresholdText(text, spec, err)) {
      check(err.offset <= text.size(), "threshold error offset past the text", text);
      check(!err.message.empty(), "threshold error without a message", text);
    }
  }
}

void fuzzConfig(std::string_view yaml) {
  auto section = watchSection();
  auto r = shipgate::config::loadString(yaml, "fuzz.yaml", {section.get()});
  if (!r.ok()) return;
  const WatchConfig& w = watchConfigOf(*r.config);
  for (const auto& t : w.triggers) checkRoundTrip(t, yaml);
  for (const auto& s : w.slas) {
    check(s.alert_threshold_ms >= s.target_ms, "SLA alert below target", yaml, describe(s));
    check(s.percentile > 0 && s.percentile < 100, "SLA percentile out of range", yaml, describe(s));
    check(s.window.count() > 0 && s.min_samples >= 1, "SLA window or min_samples", yaml,
          describe(s));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (!in.empty() && in[0] == 'w') {
    fuzzWording(in.substr(1));
  } else if (!in.empty() && in[0] == 't') {
    fuzzThreshold(in.substr(1));
  } else {
    fuzzConfig(in);
  }
  return 0;
}
