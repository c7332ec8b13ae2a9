// Private to the loader: one function per top-level section, each reading its YNode into the Config
// and reporting located diagnostics. Called by loader.cc in dependency order: server, listeners,
// admin, health_checks, apps, checks, sites, and the remaining seed blocks.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "reader.h"
#include "yaml_tree.h"

namespace shipgate::config::internal {

// Names of sites, apps, listeners, checks, regions: letters, digits, '-', '_', '.'.
bool validName(std::string_view name);
// " (did you mean \"x\"?)" when a candidate is close to `name`, else "".
std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates);
// Warns when a file the gateway reads at serve time does not exist yet.
void warnIfMissing(const Location& where, const std::string& what, const std::string& path,
                   Diags& d);

void loadServer(const YNode& n, Config& c, Diags& d);
void loadListeners(const YNode& n, Config& c, Diags& d);
void loadAdmin(const YNode* n, Config& c, Diags& d);
void loadApps(const YNode& n, Config& c, Diags& d);  // after health_checks (region policies)
void loadChecks(const YNode& n, Config& c, Diags& d);
void loadSites(const YNode& n, Config& c, Diags& d);  // after apps and listeners

// The health-check settings shared by apps.<name>.health and checks[]: reads the keys of `m`
// (which the caller may also read for its own keys) into `out`.
void readHealthCheck(MapView& m, HealthCheckConfig& out);

// The seed's blocks. `root` is the whole merged document (for cross-references into server:).
void loadSecurityRules(const YEntry& e, Config& c, Diags& d);
void loadHealthChecks(const YEntry& e, Config& c, Diags& d);
void loadQualityGates(const YEntry& e, Config& c, Diags& d);
void loadContainerSecurity(const YEntry& e, const YNode& root, Config& c, Diags& d);
// waf: (the firewall's section validator compiles the rules with it; firewall_config.h).
void loadWaf(const YNode& n, Config& c, Diags& d);
// Warnings for health_checks regions that no app declares; run after loadApps.
void checkHealthCheckRegions(const YEntry& e, const Config& c, Diags& d);

}  // namespace shipgate::config::internal
