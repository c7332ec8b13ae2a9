// waf.managed_rules.crs.confirm_matches: read from the config (default true), passed to the
// engine's settings, and a bad value is a located error.
#include <gtest/gtest.h>

#include <string>

#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"

namespace shipgate::firewall {
namespace {

config::LoadResult loadYaml(const std::string& yaml) {
  return config::loadString(yaml, "test.yaml", {&firewallSection()});
}

std::string firstErrorOf(const config::LoadResult& r) {
  for (const auto& d : r.diagnostics)
    if (d.severity == config::Diagnostic::Severity::kError) return d.toString();
  return "";
}

TEST(ManagedConfirmConfig, DefaultsToOn) {
  auto r = loadYaml("waf:\n  managed_rules:\n    crs:\n      paranoia_level: 1\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  ASSERT_TRUE(r.config->waf.crs.has_value());
  EXPECT_TRUE(r.config->waf.crs->confirm_matches);
  config::Diagnostics d;
  auto s = crsSettingsOf(*r.config->waf.crs, d);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->confirm_matches);
}

TEST(ManagedConfirmConfig, FalseReachesTheEngineSettings) {
  auto r = loadYaml("waf:\n  managed_rules:\n    crs:\n      confirm_matches: false\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  ASSERT_TRUE(r.config->waf.crs.has_value());
  EXPECT_FALSE(r.config->waf.crs->confirm_matches);
  config::Diagnostics d;
  auto s = crsSettingsOf(*r.config->waf.crs, d);
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->confirm_matches);
}

TEST(ManagedConfirmConfig, BadValueIsALocatedError) {
  auto r = loadYaml("waf:\n  managed_rules:\n    crs:\n      confirm_matches: sometimes\n");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(firstErrorOf(r).find("test.yaml:4:24: error: waf.managed_rules.crs.confirm_matches"),
            std::string::npos)
      << r.toString();
}

}  // namespace
}  // namespace shipgate::firewall
