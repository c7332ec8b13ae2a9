// The firewall's section of the config: security_rules and waf:. validateFirewallConfig() checks
// what the loader cannot check alone (it knows no rules engine): it compiles every rule and
// counting expression once, parses the rate_limit shorthand and the rate-limit characteristics,
// and reports each finding at its file line:column (inside the expression, with the engine's caret
// rendering and, for the seed's tolerated quirks, the canonical Cloudflare rewrite). Its result,
// FirewallConfig, is what Firewall::build() builds from, so a reload compiles each rule once.
// With waf.managed_rules.crs it also loads the CRS engine (a load error is a config error at
// waf.managed_rules.crs naming the rule file:line), and a rule reading cf.waf.* without it is an
// error at the field.
//
// Use: pass &firewallSection() to config::loadFile(); the settings land in
// Config::sections["firewall"] and firewallConfigOf() finds them there.
//
// Thread: everything here is a pure function of its arguments; a FirewallConfig is immutable and
// shared read-only (shared_ptr<const>) between the Config copies and the Firewalls built from it.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/config/diagnostics.h"
#include "shipgate/config/section.h"
#include "shipgate/firewall/rule_specs.h"
#include "shipgate/managed/engine.h"
#include "shipgate/shield/redis_url.h"
#include "shipgate/waf/ruleset.h"

namespace shipgate::firewall {

// What a rule needs beyond its compiled spec.
struct RuleSettings {
  std::vector<Characteristic> characteristics;  // rate_limit rules: the counter key, parsed
};

class FirewallConfig : public config::SectionSettings {
 public:
  std::shared_ptr<const waf::RuleSet> rules;  // every security rule, compiled once, in order
  std::vector<RuleSettings> rule_settings;    // one per rule, in rule order
  std::optional<shield::RedisUrl> store;      // waf.rate_limit.store, parsed; nullopt = per node
  // waf.managed_rules.crs: the CRS engine, loaded once per config load (and shared with the
  // previous load when its settings are the same); null when not configured. crs_report: the
  // engine's report lines (what it read but does not evaluate, and its summary).
  std::shared_ptr<const managed::Engine> crs;
  std::vector<std::string> crs_report;
};

// The engine's settings for waf.managed_rules.crs: exclusions parsed (ids, targets), each bad
// one reported at its place. Nullopt when one is bad.
std::optional<managed::CrsSettings> crsSettingsOf(const config::WafCrsConfig& crs,
                                                  config::Diagnostics& diags);

// Engine::load with a process-wide cache: the same settings (and unchanged rule files: same
// sizes and modification times) give the same engine, so a reload that keeps them shares it.
Result<std::shared_ptr<const managed::Engine>> loadCrsEngine(const managed::CrsSettings& settings,
                                                             std::vector<std::string>* report);

// The key of Config::sections that holds the FirewallConfig.
inline constexpr std::string_view kFirewallSection = "firewall";

// Validates the firewall's section of `config`, reporting located errors and warnings to `diags`
// (without the file's text, positions fall back to the start of the expression). Returns null
// when the section has errors.
std::shared_ptr<const FirewallConfig> validateFirewallConfig(const config::Config& config,
                                                             config::Diagnostics& diags);

// The validator to give config::loadFile() (stateless; lives for the whole process).
const config::SectionValidator& firewallSection();

// The FirewallConfig the loader stored in `config`, or (for a Config loaded without
// firewallSection(), or built by hand) one validated now: invalidArgument listing every error.
Result<std::shared_ptr<const FirewallConfig>> firewallConfigOf(const config::Config& config);

}  // namespace shipgate::firewall
