// `shipgate check` and `shipgate health`.
#include <iostream>

#include "commands.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/gates/gates_config.h"
#include "shipgate/release/gate_check.h"
#include "shipgate/health/health_config.h"
#include "shipgate/health/report.h"
#include "shipgate/flags/flags_config.h"
#include "shipgate/migrate/migrate_config.h"
#include "shipgate/notify/notify_config.h"
#include "shipgate/release/release_config.h"
#include "shipgate/rum/rum_config.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/watch/watch_config.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::cli {

std::vector<const config::SectionValidator*> configSections() {
  // The validators that own a factory are stateless: one instance each for the process.
  static const std::unique_ptr<config::SectionValidator> watch = watch::watchSection();
  static const std::unique_ptr<config::SectionValidator> rum = rum::rumSection();
  static const std::unique_ptr<config::SectionValidator> notify = notify::notifySection();
  static const std::unique_ptr<config::SectionValidator> release = release::releaseSection();
  static const std::unique_ptr<config::SectionValidator> secrets = secrets::secretsSection();
  static const std::unique_ptr<config::SectionValidator> database = migrate::databaseSection();
  static const std::unique_ptr<config::SectionValidator> quality = gates::gatesSection();
  static const std::unique_ptr<config::SectionValidator> flags = flags::flagsSection();
  // health before traffic: an app's health block is read with health's reader, and traffic reads
  // config.health_checks, which health's section also turns into component checks. release after
  // traffic: it reads the apps traffic validated (their environment and release keys).
  return {&health::healthSection(), &traffic::trafficSection(), &firewall::firewallSection(),
          watch.get(),  rum.get(), notify.get(), release.get(), secrets.get(),
          database.get(), quality.get(), flags.get()};
}

bool printDiagnostics(const std::string& config_path, bool quiet_warnings) {
  config::LoadResult loaded = config::loadFile(config_path, configSections());
  size_t errors = 0;
  for (const auto& d : loaded.diagnostics) {
    bool is_error = d.severity == config::Diagnostic::Severity::kError;
    errors += is_error;
    if (is_error || !quiet_warnings) std::cerr << d.toString() << "\n";
  }
  return errors == 0 && loaded.config != nullptr;
}

namespace {

// What each quality gate is read as, and where it is enforced.
void printGates(const config::Config& config) {
  auto gc = gates::gatesConfigOf(config);
  if (gc == nullptr || gc->gates.empty()) return;
  const release::ReleaseConfig& rc = release::releaseConfigOf(config);
  std::string envs;
  for (const auto& e : gc->environments) envs += (envs.empty() ? "" : ", ") + e;
  std::cout << "quality gates (deploy step `gates`, "
            << (envs.empty() ? std::string("every environment") : "environments " + envs)
            << "; `shipgate gate check`):\n";
  for (const gates::GateSpec& g : gc->gates) {
    std::cout << "  " << g.name << ": " << release::gateThresholdText(g.wording);
    switch (g.wording.kind) {
      case gates::GateKind::kSize:
        std::cout << " for each file matching " << g.files << ", "
                  << gates::compressionName(g.compression) << " size";
        break;
      case gates::GateKind::kApproval: {
        const std::string& env = g.wording.environment;
        const release::EnvironmentConfig* e = env.empty() ? nullptr : rc.findEnvironment(env);
        if (env.empty()) {
          std::cout << " -> the approval step of each environment";
        } else if (e == nullptr) {
          std::cout << " -> no environment named " << env << " is configured";
        } else {
          std::cout << " -> the approval step of environment " << env << " (approval "
                    << (e->approval_required ? "required" : "none: the gate is NOT met") << ")";
        }
        break;
      }
      default: {
        std::string kinds;
        for (auto k : g.reports) kinds += (kinds.empty() ? "" : ", ") + std::string(gates::reportKindName(k));
        std::cout << " from the release's " << kinds << " report(s)";
      }
    }
    std::cout << "\n";
  }
}

// Where each container_security key takes effect.
void printContainerPolicy(const config::Config& config) {
  const auto& cs = config.container_security;
  if (cs.empty()) return;
  std::cout << "container policy (container_security):\n";
  auto value = [&](const char* key) {
    auto it = cs.find(key);
    return it == cs.end() ? std::string() : it->second;
  };
  if (auto v = value("base_image"); !v.empty()) {
    std::cout << "  base_image: " << v << " -> `shipgate policy check` (SG3001, SG3002)\n";
  }
  if (value("minimal_packages") == "true") {
    std::cout << "  minimal_packages -> `shipgate policy check` (SG3004, SG3005)\n";
  }
  if (value("non_root_user") == "true") {
    std::cout << "  non_root_user -> releases run as release.runtime.user, never root; "
                 "`shipgate policy check` (SG3003, SG3006, SG3007)\n";
  }
  if (value("security_scanning") == "true") {
    auto gc = gates::gatesConfigOf(config);
    const gates::GateSpec* g = nullptr;
    if (gc != nullptr) {
      for (const auto& s : gc->gates) {
        if (s.wording.kind == gates::GateKind::kVulnerabilities) g = &s;
      }
    }
    if (g != nullptr) {
      std::cout << "  security_scanning -> the gates step's " << g->name << " gate ("
                << g->wording.text << ")\n";
    }
  }
}

// The managed rules the firewall's section loaded: count, version, the engine's report lines.
void printManagedRules(const config::Config& c) {
  auto fw = c.section<firewall::FirewallConfig>(firewall::kFirewallSection);
  if (fw == nullptr || fw->crs == nullptr || !c.waf.crs) return;
  const config::WafCrsConfig& crs = *c.waf.crs;
  std::cout << "managed rules: " << fw->crs->version() << ", " << fw->crs->ruleCount()
            << " rules from " << crs.rules_dir << " (paranoia_level " << crs.paranoia_level
            << ", inbound_threshold " << crs.inbound_threshold << ", action "
            << (crs.action == config::CrsAction::kBlock ? "block" : "log") << ", "
            << crs.exclusions.size() << " exclusion(s))\n";
  for (const auto& line : fw->crs_report) std::cout << "  " << line << "\n";
}

}  // namespace

int runCheck(const std::string& config_path) {
  config::LoadResult loaded = config::loadFile(config_path, configSections());
  size_t errors = 0, warnings = 0;
  for (const auto& d : loaded.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) {
      ++errors;
    } else {
      ++warnings;
    }
    std::cerr << d.toString() << "\n";
  }
  if (loaded.config) {
    if (auto w = fileLimitWarning(*loaded.config, /*hard=*/true)) {
      ++warnings;
      std::cerr << w->toString() << "\n";
    }
  }
  if (errors > 0 || !loaded.config) {
    std::cerr << config_path << ": invalid: " << errors << " error(s), " << warnings
              << " warning(s)\n";
    return 1;
  }
  std::cout << config_path << ": OK (" << warnings << " warning(s))\n";
  printGates(*loaded.config);
  printContainerPolicy(*loaded.config);
  printManagedRules(*loaded.config);
  return 0;
}

int runHealth(const std::string& config_path, bool json) {
  if (!printDiagnostics(config_path, /*quiet_warnings=*/true)) return 2;
  config::LoadResult loaded = config::loadFile(config_path, configSections());
  std::vector<health::CheckRow> rows =
      health::runAllChecks(*loaded.config, traffic::appTargets(*loaded.config));
  if (json) {
    std::cout << health::renderJson(rows).dump(2) << "\n";
  } else {
    std::cout << health::renderTable(rows);
  }
  size_t failed = 0;
  for (const auto& r : rows) failed += !r.ok;
  if (!json) {
    if (rows.empty()) {
      std::cout << "no health checks configured\n";
    } else if (failed == 0) {
      std::cout << "all " << rows.size() << " checks healthy\n";
    } else {
      std::cout << failed << " of " << rows.size() << " checks failing\n";
    }
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace shipgate::cli
