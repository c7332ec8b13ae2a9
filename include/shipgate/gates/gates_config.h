// GatesConfig: the seed's `quality_gates:` block (verbatim, top level) read through the wording
// parser (wording.h), with shipgate's own settings for the gates from the optional `gates:` block;
// validated by gatesSection() into settings stored under Config::sections["gates"].
//
//   quality_gates:                                   # the seed's block, one wording per gate
//     unit_tests: "> 80% coverage"
//     integration_tests: "100% pass rate"
//     security_scan: "0 high/critical vulnerabilities"
//     performance_budget: "< 250KB main bundle"
//     accessibility: "WCAG 2.1 AA compliance"
//     manual_approval: "Required for production"
//
//   gates:                                           # optional; every key has a default
//     environments: [staging, production]            # where the deploy's gates step runs;
//                                                    # default: every environment
//     unit_tests:                                    # per gate, by its quality_gates key:
//       reports: [lcov, cobertura]                   #   the report kinds that feed it
//       coverage: lines                              #   lines | branches (coverage gates;
//                                                    #   default: what the wording says, lines)
//     performance_budget:
//       files: "**/main.*js"                         #   the release files measured (glob,
//                                                    #   relative to the release directory)
//       compression: gzip                            #   raw | gzip | brotli (default gzip, as
//                                                    #   bundlesize measures)
//       kilobyte: 1000                               #   bytes in the wording's KB (1000 or 1024;
//                                                    #   MB, GB scale alike; KiB is always 1024)
//
// The gate's kind comes from its wording, not its key. Default report kinds: coverage <- lcov,
// cobertura; pass rate <- junit; vulnerabilities <- npm-audit, sarif, trivy; accessibility <- axe.
// A size gate measures files (no report); an approval gate ("Required for production") is the
// deploy's approval step of that environment and reads no report.
// Errors (file:line:col): wording the parser cannot read (the column points into the quoted
// text), a `gates.<name>` with no quality_gates.<name>, a report kind unknown or of the wrong
// family for the gate, a bad compression, glob or kilobyte.
// A config without `quality_gates:` has no GatesConfig (gatesConfigOf returns null).
// Thread-safety: immutable once loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/gates/bundle_size.h"
#include "shipgate/gates/reports.h"
#include "shipgate/gates/wording.h"

namespace shipgate::gates {

inline constexpr std::string_view kDefaultBundleGlob = "**/main.*js";

struct GateSpec {
  std::string name;  // the quality_gates key
  GateWording wording;  // thresholds already scaled (kilobyte: 1024 applied)
  config::Location where;  // of the wording
  std::vector<ReportKind> reports;  // kinds read (empty for size and approval gates)
  std::string files = std::string(kDefaultBundleGlob);  // size gates
  Compression compression = Compression::kGzip;          // size gates
  int kilobyte = 1000;                                   // size gates
};

struct GatesConfig final : config::SectionSettings {
  std::vector<GateSpec> gates;            // in file order
  std::vector<std::string> environments;  // empty: every environment
  bool appliesTo(std::string_view environment) const;
  const GateSpec* find(std::string_view name) const;
};

// The validator of `quality_gates:` and `gates:` (key "gates").
std::unique_ptr<config::SectionValidator> gatesSection();

std::shared_ptr<const GatesConfig> gatesConfigOf(const config::Config& config);

// The report kinds that feed a gate of this kind by default.
std::vector<ReportKind> defaultReportKinds(GateKind kind);

}  // namespace shipgate::gates
