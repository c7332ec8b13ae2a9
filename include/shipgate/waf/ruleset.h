// RuleSet: ordered rules {name, expression, action, params}, compiled together into one immutable
// object that evaluates a request to per-rule verdicts and the first terminating action.
//
// Evaluation order and actions: rules run in order. A matching `log` or `rate_limit` rule is
// recorded and evaluation continues; `skip` with named rules marks those later rules skipped and
// continues; `block`, `challenge`, `allow` and `skip` (rest) stop the evaluation and become the
// final action. Rate-limit matches before the terminating rule are reported in order, so the
// gateway can count them (and answer 429) before applying the final action.
//
// A compiled RuleSet is immutable: share it between worker threads through shared_ptr<const>
// (reload = swap the pointer); each thread passes its own EvalContext.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/waf/action.h"
#include "shipgate/waf/eval_context.h"
#include "shipgate/waf/filter.h"
#include "shipgate/waf/request.h"
#include "shipgate/waf/scheme.h"

namespace shipgate::waf {

struct RuleSpec {
  std::string name;
  std::string expression;
  ActionKind action = ActionKind::kBlock;
  ActionParams params;
  // Normalisers for this rule; nullopt = the rule set's default (RuleSetOptions::compile).
  std::optional<std::vector<Normalizer>> normalize;
  bool enabled = true;
};

// A RuleSpec from the seed's strings: action "block" | "challenge" | "log" | "skip" | "allow" |
// "rate_limit"; `rate_limit` is the "100req/min" shorthand (required for rate_limit, else must be
// empty).
Result<RuleSpec> makeRuleSpec(std::string name, std::string expression, std::string_view action,
                              std::string_view rate_limit = {});

struct RuleSetOptions {
  CompileOptions compile;  // settings, default normalisers, named lists
};

// One finding while compiling a rule set: an error (the set does not compile) or a warning.
struct RuleDiagnostic {
  size_t rule_index = 0;
  std::string rule_name;
  bool is_error = false;
  bool in_counting_expression = false;  // about rate_limit.counting_expression
  Diagnostic diagnostic;
  std::string rendered;  // "rule "name": 1:5: error: ...\n<line>\n    ^"
};

enum class Verdict : uint8_t { kNotEvaluated, kSkipped, kDisabled, kNoMatch, kMatch };

struct Evaluation {
  std::vector<Verdict> verdicts;           // one per rule, in rule order
  std::vector<int64_t> rule_nanos;         // per rule evaluation time, when a Clock was given
  std::optional<size_t> terminating_rule;  // index of the rule that ended the evaluation
  std::vector<size_t> log_matches;         // matching log rules
  std::vector<size_t> rate_limit_matches;  // matching rate_limit rules, in order
  // The final action: the terminating rule's action, or nullopt (the request passes, subject to
  // rate limits).
  std::optional<ActionKind> action;
};

class RuleSet {
 public:
  struct Rule {
    RuleSpec spec;
    std::unique_ptr<Filter> filter;
    std::unique_ptr<Filter> counting_filter;  // rate_limit.counting_expression, when set
    std::vector<size_t> skip_indexes;         // resolved skip_rules
    std::vector<uint32_t> field_ids;          // fields the expression reads (for match logs)
  };

  // Compiles every rule. Errors of all rules are collected; any error fails the whole set (the
  // Status message holds every rendered error). Warnings go to `diagnostics` too.
  static Result<std::shared_ptr<const RuleSet>> compile(
      std::vector<RuleSpec> rules, const RuleSetOptions& options,
      std::vector<RuleDiagnostic>* diagnostics = nullptr);

  // REQUIRES: ctx not in use by another evaluation. `out` is reused (no allocation once warm).
  // With a clock, fills out.rule_nanos.
  void evaluate(const Request& request, EvalContext& ctx, Evaluation& out,
                const Clock* clock = nullptr) const;
  Evaluation evaluate(const Request& request) const;

  const std::vector<Rule>& rules() const { return rules_; }
  const Scheme& scheme() const { return scheme_; }
  // -1 when no rule has that name.
  int findRule(std::string_view name) const;
  // "http.request.uri.query=\"q=1%20union...\" ip.src=192.0.2.1": the values of the fields rule
  // `index` reads, for the block/challenge log line; each value cut to `max_bytes`. Evaluates the
  // fields (un-normalised) on the request bound to `ctx`.
  std::string describeMatch(size_t index, EvalContext& ctx, size_t max_bytes = 64) const;

 private:
  RuleSet() = default;
  Scheme scheme_;
  std::vector<Rule> rules_;
};

}  // namespace shipgate::waf
