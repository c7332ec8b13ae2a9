// RuleSet: compile all rules, evaluate in order.
#include "shipgate/waf/ruleset.h"

#include <utility>

namespace shipgate::waf {

namespace {

std::string ruleLabel(const RuleSpec& spec, size_t index) {
  return spec.name.empty() ? "rule #" + std::to_string(index + 1) : "rule \"" + spec.name + "\"";
}

}  // namespace

Result<std::shared_ptr<const RuleSet>> RuleSet::compile(std::vector<RuleSpec> specs,
                                                        const RuleSetOptions& options,
                                                        std::vector<RuleDiagnostic>* diagnostics) {
  std::shared_ptr<RuleSet> set(new RuleSet());
  set->scheme_ = Scheme::http();
  std::string errors;
  auto report = [&](size_t i, const std::string& source, const Diagnostic& d, bool is_error,
                    std::string_view what) {
    RuleDiagnostic rd;
    rd.rule_index = i;
    rd.rule_name = specs[i].name;
    rd.is_error = is_error;
    rd.in_counting_expression = !what.empty();
    rd.diagnostic = d;
    rd.rendered = ruleLabel(specs[i], i) + std::string(what) + ": " +
                  d.render(source, is_error ? "error" : "warning");
    if (is_error) errors += rd.rendered + "\n";
    if (diagnostics != nullptr) diagnostics->push_back(std::move(rd));
  };
  for (size_t i = 0; i < specs.size(); ++i) {
    RuleSpec& spec = specs[i];
    CompileOptions opts = options.compile;
    if (spec.normalize) opts.normalize = *spec.normalize;
    CompileOutput out = compileExpression(spec.expression, set->scheme_, opts);
    for (const Diagnostic& w : out.warnings) report(i, spec.expression, w, false, "");
    if (!out.ok()) report(i, spec.expression, *out.error, true, "");
    Rule rule;
    rule.filter = std::move(out.filter);
    if (out.ast) {
      rule.field_ids = fieldsUsed(*out.ast);
      const FieldDef* response = set->scheme_.find("http.response.code");
      for (uint32_t id : rule.field_ids) {
        if (response != nullptr && id == response->id) {
          report(i, spec.expression,
                 makeDiagnostic(spec.expression, 0, 1,
                                "http.response.code is only set in the response phase (use it in "
                                "a rate limit's counting_expression); here it is missing and "
                                "compares false"),
                 false, "");
        }
      }
    }
    if (spec.action == ActionKind::kRateLimit) {
      const RateLimitSpec& rl = spec.params.rate_limit;
      if (rl.requests_per_period <= 0 || rl.period_seconds <= 0) {
        report(i, spec.expression,
               makeDiagnostic(spec.expression, 0, 1,
                              "rate_limit needs requests_per_period > 0 and "
                              "period > 0"),
               true, "");
      }
      if (!rl.counting_expression.empty()) {
        CompileOutput c = compileExpression(rl.counting_expression, set->scheme_, opts);
        for (const Diagnostic& w : c.warnings) {
          report(i, rl.counting_expression, w, false, " counting_expression");
        }
        if (!c.ok()) report(i, rl.counting_expression, *c.error, true, " counting_expression");
        rule.counting_filter = std::move(c.filter);
      }
    }
    rule.spec = std::move(spec);
    set->rules_.push_back(std::move(rule));
  }
  // Resolve skip targets once all names are known.
  for (size_t i = 0; i < set->rules_.size(); ++i) {
    Rule& rule = set->rules_[i];
    if (rule.spec.action != ActionKind::kSkip || rule.spec.params.skip_rest) continue;
    for (const std::string& name : rule.spec.params.skip_rules) {
      int target = set->findRule(name);
      if (target < 0) {
        errors += ruleLabel(rule.spec, i) + ": skip names unknown rule \"" + name + "\"\n";
        continue;
      }
      rule.skip_indexes.push_back(static_cast<size_t>(target));
    }
  }
  if (!errors.empty()) {
    errors.pop_back();
    return Status::invalidArgument(errors);
  }
  return std::shared_ptr<const RuleSet>(std::move(set));
}

Result<RuleSpec> makeRuleSpec(std::string name, std::string expression, std::string_view action,
                              std::string_view rate_limit) {
  auto kind = parseAction(action);
  if (!kind) {
    return Status::invalidArgument("unknown action \"" + std::string(action) +
                                   "\" (block, challenge, log, skip, allow, rate_limit)");
  }
  RuleSpec spec;
  spec.name = std::move(name);
  spec.expression = std::move(expression);
  spec.action = *kind;
  if (*kind == ActionKind::kRateLimit) {
    if (rate_limit.empty())
      return Status::invalidArgument("rate_limit needs a rate, e.g. 100req/min");
    auto rl = parseRateLimitShorthand(rate_limit);
    if (!rl.isOk()) return rl.status();
    spec.params.rate_limit = std::move(rl.value());
  } else if (!rate_limit.empty()) {
    return Status::invalidArgument("rate_limit is only for action rate_limit");
  }
  return spec;
}

std::string RuleSet::describeMatch(size_t index, EvalContext& ctx, size_t max_bytes) const {
  std::string out;
  if (index >= rules_.size()) return out;
  for (uint32_t id : rules_[index].field_ids) {
    const FieldDef& f = scheme_.fields()[id];
    if (!out.empty()) out.push_back(' ');
    out += f.name + "=" + describeValue(f.get(ctx), max_bytes);
  }
  return out;
}

int RuleSet::findRule(std::string_view name) const {
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].spec.name == name) return static_cast<int>(i);
  }
  return -1;
}

void RuleSet::evaluate(const Request& request, EvalContext& ctx, Evaluation& out,
                       const Clock* clock) const {
  ctx.reset(request);
  out.verdicts.assign(rules_.size(), Verdict::kNotEvaluated);
  out.rule_nanos.assign(clock != nullptr ? rules_.size() : 0, 0);
  out.terminating_rule.reset();
  out.log_matches.clear();
  out.rate_limit_matches.clear();
  out.action.reset();
  bool timing = false;
  Clock::time_point last;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (out.verdicts[i] == Verdict::kSkipped) continue;
    if (!rule.spec.enabled) {
      out.verdicts[i] = Verdict::kDisabled;
      continue;
    }
    bool matched;
    if (clock != nullptr) {
      // One clock read per rule: each rule's time runs from the previous reading.
      if (!timing) {
        last = clock->now();
        timing = true;
      }
      matched = rule.filter->matches(ctx);
      auto now = clock->now();
      out.rule_nanos[i] = std::chrono::duration_cast<std::chrono::nanoseconds>(now - last).count();
      last = now;
    } else {
      matched = rule.filter->matches(ctx);
    }
    out.verdicts[i] = matched ? Verdict::kMatch : Verdict::kNoMatch;
    if (!matched) continue;
    const ActionKind action = rule.spec.action;
    if (action == ActionKind::kLog) out.log_matches.push_back(i);
    if (action == ActionKind::kRateLimit) out.rate_limit_matches.push_back(i);
    if (action == ActionKind::kSkip && !rule.spec.params.skip_rest) {
      for (size_t target : rule.skip_indexes) {
        if (target > i) out.verdicts[target] = Verdict::kSkipped;
      }
    }
    if (isTerminating(action, rule.spec.params.skip_rest)) {
      out.terminating_rule = i;
      out.action = action;
      for (size_t j = i + 1; j < rules_.size(); ++j) {
        if (action == ActionKind::kSkip) out.verdicts[j] = Verdict::kSkipped;
      }
      return;
    }
  }
}

Evaluation RuleSet::evaluate(const Request& request) const {
  EvalContext ctx;
  Evaluation out;
  evaluate(request, ctx, out);
  return out;
}

}  // namespace shipgate::waf
