// validateFirewallConfig and the firewall's section validator (see firewall_config.h).
#include "shipgate/firewall/firewall_config.h"

#include <string>
#include <utility>

namespace shipgate::firewall {
namespace {

std::string rulePath(size_t index) { return "security_rules[" + std::to_string(index) + "]"; }

// "<message>\n    <source line>\n    ^~~" from the engine's rendering (its first line, which has
// the position inside the expression, is replaced by the file position the caller reports).
std::string withCaret(const waf::Diagnostic& diag, std::string_view expression,
                      std::string_view severity) {
  std::string rendered = diag.render(expression, severity);
  size_t nl = rendered.find('\n');
  std::string out = diag.message;
  if (nl == std::string::npos) return out;
  std::string_view rest = std::string_view(rendered).substr(nl + 1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('\n', start);
    if (end == std::string_view::npos) end = rest.size();
    out += "\n    ";
    out.append(rest.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The engine's finding `rd` about rule `rule`, at its place in the file.
void report(const waf::RuleDiagnostic& rd, const config::SecurityRule& rule,
            config::Diagnostics& d) {
  std::string path = rulePath(rd.rule_index);
  const std::string* expression = &rule.expression;
  config::Location where = rule.expression_where;
  if (rd.in_counting_expression && rule.ratelimit) {
    expression = &rule.ratelimit->counting_expression;
    where = rule.ratelimit->counting_expression_where;
    path += ".ratelimit.counting_expression";
  } else {
    // An empty or missing expression was already reported by the loader.
    if (rule.expression.empty()) return;
    path += ".expression";
  }
  const char* severity = rd.is_error ? "error" : "warning";
  std::string message = path + ": " + withCaret(rd.diagnostic, *expression, severity);
  config::Location at = d.locateInScalar(where, rd.diagnostic.offset);
  if (rd.is_error) {
    d.error(at, std::move(message));
  } else {
    d.warning(at, std::move(message));
  }
}

class FirewallSection : public config::SectionValidator {
 public:
  std::string_view key() const override { return kFirewallSection; }
  std::shared_ptr<const config::SectionSettings> validate(
      const config::Config& config, config::Diagnostics& diags) const override {
    return validateFirewallConfig(config, diags);
  }
};

}  // namespace

std::shared_ptr<const FirewallConfig> validateFirewallConfig(const config::Config& config,
                                                             config::Diagnostics& d) {
  auto out = std::make_shared<FirewallConfig>();
  bool ok = true;
  std::vector<waf::RuleSpec> specs;
  for (size_t i = 0; i < config.security_rules.size(); ++i) {
    const config::SecurityRule& rule = config.security_rules[i];
    std::string path = rulePath(i);
    RuleSettings settings;
    if (rule.action == config::RuleAction::kRateLimit) {
      auto rate = rateLimitOf(rule);
      if (!rate.isOk()) {
        // The loader reports a rate_limit rule with neither form; only a bad shorthand is ours.
        if (!rule.rate_limit.empty()) {
          d.error(rule.rate_limit_where, path + ".rate_limit: \"" + rule.rate_limit +
                                             "\" is not a rate such as \"100req/min\" (units: s, "
                                             "min, hour, day): " +
                                             rate.status().message());
        }
        ok = false;
      } else {
        for (const auto& text : rate->characteristics) {
          auto ch = parseCharacteristic(text);
          if (!ch.isOk()) {
            d.error(rule.where, path + ".ratelimit.characteristics: " + ch.status().message());
            ok = false;
            continue;
          }
          settings.characteristics.push_back(std::move(ch.value()));
        }
      }
    }
    auto spec = ruleSpecFromConfig(rule);
    if (!spec.isOk()) {
      // Reported above (or by the loader); keep the expression so its findings are reported too.
      ok = false;
      waf::RuleSpec placeholder;
      placeholder.name = rule.name;
      placeholder.expression = rule.expression;
      placeholder.action = waf::ActionKind::kLog;
      specs.push_back(std::move(placeholder));
    } else {
      specs.push_back(std::move(spec.value()));
    }
    out->rule_settings.push_back(std::move(settings));
  }
  if (!config.waf.rate_limit_store.empty()) {
    auto url = shield::parseRedisUrl(config.waf.rate_limit_store);
    if (!url.isOk()) {
      d.error(config.waf.rate_limit_store_where, "waf.rate_limit.store: " + url.status().message());
      ok = false;
    } else {
      out->store = std::move(url.value());
    }
  }
  const waf::ListRegistry lists = buildNamedLists(config.waf);
  waf::RuleSetOptions options;
  options.compile = compileOptions(config.waf, &lists);
  std::vector<waf::RuleDiagnostic> findings;
  auto compiled = waf::RuleSet::compile(std::move(specs), options, &findings);
  bool reported_error = false;
  for (const auto& rd : findings) {
    if (rd.rule_index >= config.security_rules.size()) continue;
    report(rd, config.security_rules[rd.rule_index], d);
    reported_error = reported_error || rd.is_error;
  }
  if (!compiled.isOk()) {
    // Errors the engine found beyond expressions (the loader already checks skip targets).
    if (!reported_error && ok && !d.hasErrors()) {
      d.error(config.waf.where, "security_rules: " + compiled.status().message());
    }
    return nullptr;
  }
  // cf.waf.* fields need the managed rules: without them they would never have a value.
  if (!config.waf.crs) {
    const auto& compiled_rules = compiled.value()->rules();
    const auto& fields = compiled.value()->scheme().fields();
    for (size_t i = 0; i < compiled_rules.size() && i < config.security_rules.size(); ++i) {
      for (uint32_t id : compiled_rules[i].field_ids) {
        const std::string& name = fields[id].name;
        if (name.rfind("cf.waf.", 0) != 0) continue;
        const config::SecurityRule& rule = config.security_rules[i];
        size_t offset = rule.expression.find(name);
        config::Location at = d.locateInScalar(
            rule.expression_where, offset == std::string::npos ? 0 : offset);
        d.error(at, rulePath(i) + ".expression: " + name +
                        " needs the managed rules: configure waf.managed_rules.crs (the field "
                        "holds their result)");
        ok = false;
      }
    }
  } else {
    auto settings = crsSettingsOf(*config.waf.crs, d);
    if (!settings) {
      ok = false;
    } else {
      auto engine = loadCrsEngine(*settings, &out->crs_report);
      if (!engine.isOk()) {
        d.error(config.waf.crs->where, "waf.managed_rules.crs: " + engine.status().message());
        ok = false;
      } else {
        out->crs = std::move(engine.value());
      }
    }
  }
  if (!ok) return nullptr;
  out->rules = std::move(compiled.value());
  return out;
}

const config::SectionValidator& firewallSection() {
  static const FirewallSection section;
  return section;
}

Result<std::shared_ptr<const FirewallConfig>> firewallConfigOf(const config::Config& config) {
  auto it = config.sections.find(kFirewallSection);
  if (it != config.sections.end()) {
    auto settings = std::dynamic_pointer_cast<const FirewallConfig>(it->second);
    if (settings != nullptr) return settings;
  }
  config::Diagnostics d;
  auto settings = validateFirewallConfig(config, d);
  if (settings != nullptr) return settings;
  std::string errors;
  for (const auto& diag : d.sorted()) {
    if (diag.severity != config::Diagnostic::Severity::kError) continue;
    errors += (errors.empty() ? "" : "\n") + diag.toString();
  }
  return Status::invalidArgument(errors.empty() ? "invalid security_rules" : errors);
}

}  // namespace shipgate::firewall
