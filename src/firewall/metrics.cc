// The firewall's Prometheus metrics (see firewall.h for the families).
#include <cstdio>
#include <string>

#include "firewall_stats.h"
#include "shipgate/firewall/firewall.h"

namespace shipgate::firewall {
namespace {

// A label value in the Prometheus text format: backslash, double quote and newline escaped.
std::string labelValue(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void family(std::string& out, std::string_view name, std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += " counter\n";
}

constexpr std::string_view kActionNames[] = {"block", "challenge", "rate_limited", "log",
                                             "allow", "skip",      "pass"};

}  // namespace

void Firewall::renderMetrics(std::string& out) const {
  const auto& rules = rules_->rules();
  auto per_rule = [&](std::string_view name, std::string_view help, auto value) {
    if (rules.empty()) return;
    family(out, name, help);
    for (size_t i = 0; i < rules.size(); ++i) {
      out += name;
      out += "{rule=\"" + labelValue(rules[i].spec.name) + "\",action=\"";
      out += waf::actionName(rules[i].spec.action);
      out += "\"} " + value(*runtime_[i].stats) + "\n";
    }
  };
  per_rule("shipgate_waf_rule_matches_total", "Requests that matched the WAF rule.",
           [](const RuleStats& s) { return std::to_string(s.matches.load()); });
  per_rule("shipgate_waf_rule_evaluations_total", "Times the WAF rule was evaluated.",
           [](const RuleStats& s) { return std::to_string(s.evaluations.load()); });
  per_rule("shipgate_waf_rule_evaluation_seconds_total",
           "Time spent evaluating the WAF rule, in seconds.", [](const RuleStats& s) {
             char buf[32];
             std::snprintf(buf, sizeof buf, "%.9f", static_cast<double>(s.nanos.load()) / 1e9);
             return std::string(buf);
           });
  family(out, "shipgate_waf_decisions_total",
         "WAF decisions by action (rate-limit and log matches included).");
  for (size_t a = 0; a < static_cast<size_t>(ActionLabel::kCount); ++a) {
    out += "shipgate_waf_decisions_total{action=\"";
    out += kActionNames[a];
    out += "\"} " + std::to_string(stats_->decisions[a].load()) + "\n";
  }
  family(out, "shipgate_waf_blocked_requests_total",
         "Requests the WAF answered itself: blocked, challenged or rate limited.");
  out += "shipgate_waf_blocked_requests_total " + std::to_string(stats_->blocked.load()) + "\n";
}

void addFirewallCollector(metrics::Registry& registry,
                          std::function<std::shared_ptr<const Firewall>()> current) {
  registry.addCollector([current = std::move(current)](std::string& out) {
    std::shared_ptr<const Firewall> fw = current();
    if (fw != nullptr) fw->renderMetrics(out);
  });
}

}  // namespace shipgate::firewall
