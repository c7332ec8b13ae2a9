// The firewall's counters as metrics::Registry series (see firewall.h for the families).
#include <string>

#include "firewall_stats.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/metrics/names.h"
#include "shipgate/metrics/prometheus.h"

namespace shipgate::firewall {
namespace {

namespace names = metrics::names;

constexpr std::string_view kActionNames[] = {"block", "challenge", "rate_limited", "log",
                                             "allow", "skip",      "pass"};
static_assert(std::size(kActionNames) == static_cast<size_t>(ActionLabel::kCount));

constexpr std::string_view kWafPrefix = "shipgate_waf_";

void describeFamilies(metrics::Registry& r) {
  r.describe(names::kWafRuleMatches, "Requests that matched the WAF rule.");
  r.describe(names::kWafRuleEvaluations, "Times the WAF rule was evaluated.");
  r.describe(names::kWafRuleSeconds, "Time spent evaluating the WAF rule, in seconds.",
             metrics::Kind::kCounter, 1e-9);
  r.describe(names::kWafRuleBlocked,
             "Requests the WAF answered because of the rule: blocked, challenged or rate limited.");
  r.describe(names::kWafDecisions,
             "WAF decisions by action (rate-limit and log matches included).");
  r.describe(names::kWafBlocked,
             "Requests the WAF answered itself: blocked, challenged or rate limited.");
}

std::atomic<uint64_t>& cell(metrics::Registry& r, std::string_view name,
                            const metrics::Labels& labels) {
  return r.counter(name, labels).cell();
}

}  // namespace

GlobalStats::GlobalStats(std::shared_ptr<metrics::Registry> own, metrics::Registry& registry)
    : blocked(cell(registry, names::kWafBlocked, {})), own_(std::move(own)), registry_(&registry) {
  for (size_t a = 0; a < std::size(kActionNames); ++a) {
    decisions_[a] =
        &cell(registry, names::kWafDecisions, {{"action", std::string(kActionNames[a])}});
  }
}

std::shared_ptr<GlobalStats> GlobalStats::create(metrics::Registry* shared,
                                                 const GlobalStats* previous) {
  std::shared_ptr<metrics::Registry> own;
  if (shared == nullptr) {
    own = previous != nullptr && previous->own_ != nullptr ? previous->own_
                                                           : std::make_shared<metrics::Registry>();
  }
  metrics::Registry& registry = shared != nullptr ? *shared : *own;
  describeFamilies(registry);
  return std::shared_ptr<GlobalStats>(new GlobalStats(std::move(own), registry));
}

std::shared_ptr<RuleStats> GlobalStats::rule(std::string_view name, std::string_view action) {
  const metrics::Labels labels = {{"rule", std::string(name)}, {"action", std::string(action)}};
  return std::make_shared<RuleStats>(RuleStats{cell(*registry_, names::kWafRuleEvaluations, labels),
                                               cell(*registry_, names::kWafRuleMatches, labels),
                                               cell(*registry_, names::kWafRuleSeconds, labels),
                                               cell(*registry_, names::kWafRuleBlocked, labels)});
}

const metrics::Registry& Firewall::metricsRegistry() const { return stats_->registry(); }

void Firewall::renderMetrics(std::string& out) const {
  metrics::renderPrometheusText(stats_->registry().snapshot(kWafPrefix), out);
}

void addFirewallCollector(metrics::Registry& registry,
                          std::function<std::shared_ptr<const Firewall>()> current) {
  registry.addCollector([current = std::move(current), &registry](std::string& out) {
    std::shared_ptr<const Firewall> fw = current();
    // A firewall built with this registry already counts in it.
    if (fw != nullptr && &fw->metricsRegistry() != &registry) fw->renderMetrics(out);
  });
}

}  // namespace shipgate::firewall
