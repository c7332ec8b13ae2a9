// Helpers for the config loader tests: load as the binary does (with the health, traffic and
// firewall section validators), read the areas' typed sections, and find a diagnostic by exact
// location and message substring.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/health/health_config.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::config {

// The areas' section types, by the names the loader tests have always used.
using health::HealthKind;
using traffic::AppConfig;
using traffic::Balance;
using traffic::SiteKind;
using traffic::Slot;

namespace testing {

// The validators `shipgate check` and `serve` pass (cli::configSections()).
inline std::vector<const SectionValidator*> allSections() {
  return {&health::healthSection(), &traffic::trafficSection(), &firewall::firewallSection()};
}
// The sections health and traffic read.
inline const traffic::TrafficConfig& trafficOf(const Config& c) {
  return traffic::trafficConfigOf(c);
}
inline const health::HealthConfig& healthOf(const Config& c) { return health::healthConfigOf(c); }
inline LoadResult load(const std::string& yaml) {
  return loadString(yaml, "test.yaml", allSections());
}
inline LoadResult loadAll(const std::string& path) { return loadFile(path, allSections()); }

// True when `r` has a diagnostic of `severity` at exactly `where` ("file:line:col") whose
// message contains `text`.
inline ::testing::AssertionResult hasDiag(
    const LoadResult& r, const std::string& where, const std::string& text,
    Diagnostic::Severity severity = Diagnostic::Severity::kError) {
  for (const auto& d : r.diagnostics) {
    if (d.severity == severity && d.where.toString() == where &&
        d.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure()
         << "no " << (severity == Diagnostic::Severity::kError ? "error" : "warning") << " at "
         << where << " containing \"" << text << "\"; diagnostics:\n"
         << r.toString();
}

inline ::testing::AssertionResult hasWarning(const LoadResult& r, const std::string& where,
                                             const std::string& text) {
  return hasDiag(r, where, text, Diagnostic::Severity::kWarning);
}

inline int countErrors(const LoadResult& r) {
  int n = 0;
  for (const auto& d : r.diagnostics) n += d.severity == Diagnostic::Severity::kError;
  return n;
}

}  // namespace testing
}  // namespace shipgate::config
