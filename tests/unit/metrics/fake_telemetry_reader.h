// FakeTelemetryReader: a TelemetryReader whose answers a test sets directly, for code that
// depends on the interface (the release controller's triggers) and must be tested without a
// registry, a clock or traffic. Spans are recorded, not interpreted: a value set for (app, slot)
// is the answer for every span. Not thread-safe: set values before handing it over.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "shipgate/metrics/telemetry_reader.h"

namespace shipgate::metrics::testing {

class FakeTelemetryReader final : public TelemetryReader {
 public:
  void setRequests(std::string app, std::string slot, RequestCounts counts) {
    requests_[{std::move(app), std::move(slot)}] = counts;
  }
  void setLatency(std::string app, std::string slot, double q, double seconds) {
    latency_[{std::move(app), std::move(slot)}][q] = seconds;
  }
  void setRule(std::string rule, RuleCounts counts) { rules_[std::move(rule)] = counts; }
  void setWafBlocked(uint64_t n) { waf_blocked_ = n; }
  void setHealthTransitions(std::string endpoint, std::string to, uint64_t n) {
    transitions_[{std::move(endpoint), std::move(to)}] = n;
  }
  Millis lastSpan() const { return last_span_; }

  RequestCounts requests(std::string_view app, std::string_view slot, Millis span) const override {
    last_span_ = span;
    auto it = requests_.find({std::string(app), std::string(slot)});
    return it == requests_.end() ? RequestCounts{} : it->second;
  }
  std::optional<double> latencyQuantile(std::string_view app, std::string_view slot, double q,
                                        Millis span) const override {
    last_span_ = span;
    auto it = latency_.find({std::string(app), std::string(slot)});
    if (it == latency_.end()) return std::nullopt;
    auto v = it->second.find(q);
    if (v == it->second.end()) return std::nullopt;
    return v->second;
  }
  RuleCounts wafRule(std::string_view rule, Millis span) const override {
    last_span_ = span;
    auto it = rules_.find(std::string(rule));
    return it == rules_.end() ? RuleCounts{} : it->second;
  }
  uint64_t wafBlocked(Millis span) const override {
    last_span_ = span;
    return waf_blocked_;
  }
  uint64_t healthTransitions(std::string_view endpoint, std::string_view to,
                             Millis span) const override {
    last_span_ = span;
    uint64_t n = 0;
    for (const auto& [key, count] : transitions_) {
      if (key.first == endpoint && (to.empty() || key.second == to)) n += count;
    }
    return n;
  }

 private:
  using AppSlot = std::pair<std::string, std::string>;
  std::map<AppSlot, RequestCounts> requests_;
  std::map<AppSlot, std::map<double, double>> latency_;
  std::map<std::string, RuleCounts> rules_;
  uint64_t waf_blocked_ = 0;
  std::map<std::pair<std::string, std::string>, uint64_t> transitions_;
  mutable Millis last_span_{0};
};

}  // namespace shipgate::metrics::testing
