// Private to the firewall: per-rule runtime state, and counters shared across reloads (held by
// shared_ptr and handed from the previous Firewall to the next), updated with relaxed atomics on
// the request path.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/rule_specs.h"

namespace shipgate::firewall {

struct RuleStats {
  std::atomic<uint64_t> evaluations{0};
  std::atomic<uint64_t> matches{0};
  std::atomic<uint64_t> nanos{0};
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

struct GlobalStats {
  std::atomic<uint64_t> decisions[static_cast<size_t>(ActionLabel::kCount)] = {};
  std::atomic<uint64_t> blocked{0};
  void add(ActionLabel a) {
    decisions[static_cast<size_t>(a)].fetch_add(1, std::memory_order_relaxed);
  }
};

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
