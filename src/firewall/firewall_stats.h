// Private to the firewall: per-rule runtime state, and the firewall's counters. The counters are
// cells of a metrics::Registry (the gateway's, given to Firewall::build, else one the firewall
// owns and hands from the previous Firewall to the next), incremented with relaxed atomics on the
// request path. A series is its rule name and action, so a reloaded rule with the same name and
// action keeps counting in the same series.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/rule_specs.h"
#include "shipgate/metrics/registry.h"

namespace shipgate::firewall {

// One rule's counters: shipgate_waf_rule_*{rule, action}.
struct RuleStats {
  std::atomic<uint64_t>& evaluations;
  std::atomic<uint64_t>& matches;
  std::atomic<uint64_t>& nanos;    // rendered as seconds
  std::atomic<uint64_t>& blocked;  // requests answered because of this rule
};

enum class ActionLabel : uint8_t {
  kBlock,
  kChallenge,
  kRateLimited,
  kLog,
  kAllow,
  kSkip,
  kPass,
  kCount
};

// The firewall's counters in one registry: per action shipgate_waf_decisions_total{action},
// shipgate_waf_blocked_requests_total, and the per-rule series made by rule().
class GlobalStats {
 public:
  // Counts into `shared` when given; else into the registry `previous` counted into when that
  // was one of its own; else into a new registry of its own.
  static std::shared_ptr<GlobalStats> create(metrics::Registry* shared,
                                             const GlobalStats* previous);
  GlobalStats(const GlobalStats&) = delete;
  GlobalStats& operator=(const GlobalStats&) = delete;

  void add(ActionLabel a) {
    decisions_[static_cast<size_t>(a)]->fetch_add(1, std::memory_order_relaxed);
  }
  // The counters of rule `name` with action `action` (created at 0 on first use).
  std::shared_ptr<RuleStats> rule(std::string_view name, std::string_view action);
  metrics::Registry& registry() const { return *registry_; }

  std::atomic<uint64_t>& blocked;

 private:
  GlobalStats(std::shared_ptr<metrics::Registry> own, metrics::Registry& registry);

  std::shared_ptr<metrics::Registry> own_;  // null when counting into a shared registry
  metrics::Registry* registry_;
  std::atomic<uint64_t>* decisions_[static_cast<size_t>(ActionLabel::kCount)] = {};
};

// The managed rules' counters (managed.cc), in `registry`; the rules-loaded gauge set from `e`.
std::shared_ptr<ManagedStats> createManagedStats(metrics::Registry& registry,
                                                 const managed::Engine& e);

// One rule's runtime state next to its compiled form.
struct Firewall::RuleRuntime {
  std::shared_ptr<RuleStats> stats;
  // rate_limit rules only:
  std::shared_ptr<shield::RateLimiter> limiter;
  std::vector<Characteristic> characteristics;
  waf::ActionKind limit_action = waf::ActionKind::kBlock;
  bool count_on_response = false;  // counting_expression reads http.response.code
  // block rules: the effective response.
  config::WafBlockResponse block;
};

}  // namespace shipgate::firewall
