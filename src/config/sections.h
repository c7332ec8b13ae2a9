// Private to the loader: one function per config-wide top-level section, each reading its YNode
// into the Config and reporting located diagnostics. Called by loader.cc in dependency order:
// server, listeners, admin, and the seed's blocks. The areas' sections (checks, apps, sites) are
// read by their SectionValidators (section.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/yaml.h"
#include "yaml_tree.h"

namespace shipgate::config::internal {

void loadServer(const YNode& n, Config& c, Diags& d);
void loadListeners(const YNode& n, Config& c, Diags& d);
void loadAdmin(const YNode* n, Config& c, Diags& d);

// The seed's blocks. `root` is the whole merged document (for cross-references into server:).
void loadSecurityRules(const YEntry& e, Config& c, Diags& d);
void loadHealthChecks(const YEntry& e, Config& c, Diags& d);
void loadQualityGates(const YEntry& e, Config& c, Diags& d);
void loadContainerSecurity(const YEntry& e, const YNode& root, Config& c, Diags& d);
// waf: (the firewall's section validator compiles the rules with it; firewall_config.h).
void loadWaf(const YNode& n, Config& c, Diags& d);

}  // namespace shipgate::config::internal
