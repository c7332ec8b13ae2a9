// Config model -> rules engine inputs (see rule_specs.h).
#include "shipgate/firewall/rule_specs.h"

#include <utility>

#include "shipgate/waf/action.h"

namespace shipgate::firewall {

Result<Characteristic> parseCharacteristic(std::string_view text) {
  using K = Characteristic::Kind;
  struct Simple {
    std::string_view name;
    K kind;
  };
  static constexpr Simple kSimple[] = {{"ip.src", K::kIp},
                                       {"http.host", K::kHost},
                                       {"http.request.uri.path", K::kPath},
                                       {"http.request.method", K::kMethod},
                                       {"http.request.uri.query", K::kQuery}};
  for (const auto& s : kSimple) {
    if (text == s.name) return Characteristic{s.kind, ""};
  }
  struct Indexed {
    std::string_view prefix;
    K kind;
  };
  static constexpr Indexed kIndexed[] = {{"http.request.headers[", K::kHeader},
                                         {"http.request.cookies[", K::kCookie},
                                         {"http.request.uri.args[", K::kQueryArg}};
  for (const auto& s : kIndexed) {
    if (text.substr(0, s.prefix.size()) != s.prefix) continue;
    std::string_view rest = text.substr(s.prefix.size());
    if (rest.size() < 3 || rest.front() != '"' || rest.substr(rest.size() - 2) != "\"]") break;
    std::string name(rest.substr(1, rest.size() - 3));
    if (name.empty() || name.find('"') != std::string::npos) break;
    if (s.kind == K::kHeader) {
      for (char& c : name) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return Characteristic{s.kind, std::move(name)};
  }
  return Status::invalidArgument(
      "unknown characteristic \"" + std::string(text) +
      "\" (ip.src, http.host, http.request.uri.path, http.request.method, "
      "http.request.uri.query, http.request.headers[\"name\"], http.request.cookies[\"name\"], "
      "http.request.uri.args[\"name\"])");
}

Result<std::vector<waf::Normalizer>> parseNormalizers(const std::vector<std::string>& names) {
  std::vector<waf::Normalizer> out;
  for (const auto& name : names) {
    auto n = waf::parseNormalizer(name);
    if (!n) return Status::invalidArgument("unknown normaliser \"" + name + "\"");
    out.push_back(*n);
  }
  return out;
}

waf::ListRegistry buildNamedLists(const config::WafConfig& waf) {
  waf::ListRegistry lists;
  for (const auto& [name, items] : waf.lists) {
    if (!items.empty()) {
      auto ip = waf::makeNamedList(waf::Kind::kIp, items);
      if (ip.isOk()) {
        lists[name] = std::move(ip.value());
        continue;
      }
      auto integer = waf::makeNamedList(waf::Kind::kInt, items);
      if (integer.isOk()) {
        lists[name] = std::move(integer.value());
        continue;
      }
    }
    auto bytes = waf::makeNamedList(waf::Kind::kBytes, items);
    if (bytes.isOk()) lists[name] = std::move(bytes.value());
  }
  return lists;
}

waf::CompileOptions compileOptions(const config::WafConfig& waf, const waf::ListRegistry* lists) {
  waf::CompileOptions options;
  options.settings.max_expression_length = waf.max_expression_length;
  options.settings.max_nesting_depth = waf.max_nesting_depth;
  options.settings.max_regex_length = waf.max_regex_length;
  options.settings.max_set_size = waf.max_set_size;
  auto normalize = parseNormalizers(waf.normalize);
  if (normalize.isOk()) options.normalize = std::move(normalize.value());
  options.lists = lists;
  return options;
}

waf::ActionKind actionKind(config::RuleAction action) {
  switch (action) {
    case config::RuleAction::kBlock: return waf::ActionKind::kBlock;
    case config::RuleAction::kChallenge: return waf::ActionKind::kChallenge;
    case config::RuleAction::kLog: return waf::ActionKind::kLog;
    case config::RuleAction::kSkip: return waf::ActionKind::kSkip;
    case config::RuleAction::kAllow: return waf::ActionKind::kAllow;
    case config::RuleAction::kRateLimit: return waf::ActionKind::kRateLimit;
  }
  return waf::ActionKind::kBlock;
}

waf::ActionKind actionKind(config::RateLimitAction action) {
  switch (action) {
    case config::RateLimitAction::kBlock: return waf::ActionKind::kBlock;
    case config::RateLimitAction::kChallenge: return waf::ActionKind::kChallenge;
    case config::RateLimitAction::kLog: return waf::ActionKind::kLog;
  }
  return waf::ActionKind::kBlock;
}

Result<config::WafRateLimit> rateLimitOf(const config::SecurityRule& rule) {
  if (rule.ratelimit) return *rule.ratelimit;
  if (rule.rate_limit.empty()) return Status::invalidArgument("action rate_limit needs a rate");
  auto rate = waf::parseRateLimitShorthand(rule.rate_limit);
  if (!rate.isOk()) return rate.status();
  config::WafRateLimit rl;
  rl.period_seconds = rate->period_seconds;
  rl.requests_per_period = rate->requests_per_period;
  return rl;
}

Result<waf::RuleSpec> ruleSpecFromConfig(const config::SecurityRule& rule) {
  waf::RuleSpec spec;
  spec.name = rule.name;
  spec.expression = rule.expression;
  spec.action = actionKind(rule.action);
  spec.enabled = rule.enabled;
  if (rule.normalize) {
    auto normalize = parseNormalizers(*rule.normalize);
    if (!normalize.isOk()) return normalize.status();
    spec.normalize = std::move(normalize.value());
  }
  if (rule.block) {
    spec.params.block_status = rule.block->status;
    spec.params.block_content_type = rule.block->content_type;
    spec.params.block_body = rule.block->body;
  }
  if (!rule.skip_rules.empty()) {
    spec.params.skip_rest = false;
    spec.params.skip_rules = rule.skip_rules;
  }
  if (rule.action == config::RuleAction::kRateLimit) {
    auto rate = rateLimitOf(rule);
    if (!rate.isOk()) return rate.status();
    const config::WafRateLimit& rl = rate.value();
    waf::RateLimitSpec& out = spec.params.rate_limit;
    out.characteristics = rl.characteristics;
    out.period_seconds = rl.period_seconds;
    out.requests_per_period = rl.requests_per_period;
    out.mitigation_timeout_seconds = rl.mitigation_timeout_seconds;
    out.counting_expression = rl.counting_expression;
    out.action = actionKind(rl.action);
  }
  return spec;
}

}  // namespace shipgate::firewall
