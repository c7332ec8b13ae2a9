// The `quality_gates:` + `gates:` section: the seed's block read through the wording parser at
// load, shipgate's own settings with their defaults, and located errors.
#include <gtest/gtest.h>

#include "shipgate/config/loader.h"
#include "shipgate/gates/gates_config.h"

namespace shipgate::gates {
namespace {

constexpr char kListeners[] = "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n";

// The seed's block, verbatim.
constexpr char kSeedBlock[] =
    "quality_gates:\n"
    "  unit_tests: \"> 80% coverage\"\n"
    "  integration_tests: \"100% pass rate\"\n"
    "  security_scan: \"0 high/critical vulnerabilities\"\n"
    "  performance_budget: \"< 250KB main bundle\"\n"
    "  accessibility: \"WCAG 2.1 AA compliance\"\n"
    "  manual_approval: \"Required for production\"\n";

config::LoadResult load(const std::string& yaml) {
  static const auto section = gatesSection();
  return config::loadString(std::string(kListeners) + yaml, "/etc/shipgate/shipgate.yaml",
                            {section.get()});
}

std::string all(const config::LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.toString() + "\n";
  return out;
}

TEST(GatesConfig, TheSeedBlockIsReadWithDefaultsAndNoWarnings) {
  auto r = load(kSeedBlock);
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(r.diagnostics.size(), 0u) << all(r);  // no "not enforced yet" any more
  auto g = gatesConfigOf(*r.config);
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->gates.size(), 6u);
  EXPECT_TRUE(g->environments.empty());
  EXPECT_TRUE(g->appliesTo("staging"));
  EXPECT_TRUE(g->appliesTo("production"));

  const GateSpec* unit = g->find("unit_tests");
  ASSERT_NE(unit, nullptr);
  EXPECT_EQ(unit->wording.kind, GateKind::kCoverage);
  EXPECT_EQ(unit->wording.comparison, Comparison::kGreater);
  EXPECT_EQ(unit->wording.threshold, 80);
  EXPECT_EQ(unit->wording.coverage_metric, CoverageMetric::kLines);
  EXPECT_EQ(unit->reports, (std::vector<ReportKind>{ReportKind::kLcov, ReportKind::kCobertura}));
  EXPECT_EQ(unit->where.line, 3);

  EXPECT_EQ(g->find("integration_tests")->reports, std::vector<ReportKind>{ReportKind::kJunit});
  EXPECT_EQ(g->find("security_scan")->reports,
            (std::vector<ReportKind>{ReportKind::kNpmAudit, ReportKind::kSarif,
                                     ReportKind::kTrivy}));
  EXPECT_EQ(g->find("accessibility")->reports, std::vector<ReportKind>{ReportKind::kAxe});

  const GateSpec* budget = g->find("performance_budget");
  ASSERT_NE(budget, nullptr);
  EXPECT_EQ(budget->wording.kind, GateKind::kSize);
  EXPECT_EQ(budget->wording.threshold, 250'000);  // 1 KB = 1,000 bytes unless stated
  EXPECT_EQ(budget->files, "**/main.*js");
  EXPECT_EQ(budget->compression, Compression::kGzip);  // as bundlesize
  EXPECT_TRUE(budget->reports.empty());

  const GateSpec* approval = g->find("manual_approval");
  ASSERT_NE(approval, nullptr);
  EXPECT_EQ(approval->wording.kind, GateKind::kApproval);
  EXPECT_EQ(approval->wording.environment, "production");
}

TEST(GatesConfig, ShipgateSettingsOverrideTheDefaults) {
  auto r = load(std::string(kSeedBlock) +
                "gates:\n"
                "  environments: [staging, production]\n"
                "  unit_tests: {reports: [cobertura], coverage: branches}\n"
                "  security_scan: {reports: [trivy, sarif]}\n"
                "  performance_budget: {files: \"static/js/*.js\", compression: brotli, "
                "kilobyte: 1024}\n");
  ASSERT_TRUE(r.ok()) << all(r);
  auto g = gatesConfigOf(*r.config);
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->environments, (std::vector<std::string>{"staging", "production"}));
  EXPECT_FALSE(g->appliesTo("development"));
  EXPECT_EQ(g->find("unit_tests")->reports, std::vector<ReportKind>{ReportKind::kCobertura});
  EXPECT_EQ(g->find("unit_tests")->wording.coverage_metric, CoverageMetric::kBranches);
  EXPECT_EQ(g->find("security_scan")->reports,
            (std::vector<ReportKind>{ReportKind::kTrivy, ReportKind::kSarif}));
  const GateSpec* budget = g->find("performance_budget");
  EXPECT_EQ(budget->files, "static/js/*.js");
  EXPECT_EQ(budget->compression, Compression::kBrotli);
  EXPECT_EQ(budget->kilobyte, 1024);
  EXPECT_EQ(budget->wording.threshold, 256'000);  // 250 KiB
  EXPECT_EQ(budget->wording.unit_text, "KiB");
}

TEST(GatesConfig, WordingItCannotReadIsAnErrorAtTheSpotInTheFile) {
  auto r = load("quality_gates:\n  unit_tests: \"> 80 kb coverage\"\n");
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.diagnostics.size(), 1u) << all(r);
  const auto& d = r.diagnostics[0];
  EXPECT_EQ(d.severity, config::Diagnostic::Severity::kError);
  EXPECT_EQ(d.where.file, "/etc/shipgate/shipgate.yaml");
  EXPECT_EQ(d.where.line, 3);
  // The value's opening quote is column 15; "kb" starts at column 6 of the wording.
  EXPECT_EQ(d.where.column, 15 + 6);
  EXPECT_NE(d.message.find("quality_gates.unit_tests: "), std::string::npos) << d.message;
  EXPECT_NE(d.message.find("(in \"> 80 kb coverage\")"), std::string::npos) << d.message;
}

TEST(GatesConfig, BadSettingsAreLocatedErrors) {
  auto r = load(std::string(kSeedBlock) +
                "gates:\n"
                "  unit_tests: {reports: [junit]}\n"             // line 10: wrong family
                "  integration_tests: {reports: [xunit]}\n"      // line 11: unknown kind
                "  performance_budget: {compression: zstd, kilobyte: 1023}\n"  // line 12
                "  security_scan: {files: \"*.js\"}\n"           // line 13: size-only key
                "  smoke_tests: {reports: [junit]}\n");          // line 14: no such gate
  ASSERT_FALSE(r.ok());
  const std::string text = all(r);
  EXPECT_NE(text.find("shipgate.yaml:10:"), std::string::npos) << text;
  EXPECT_NE(text.find("a junit report cannot feed a coverage gate"), std::string::npos) << text;
  EXPECT_NE(text.find("shipgate.yaml:11:"), std::string::npos) << text;
  EXPECT_NE(text.find("unknown report kind \"xunit\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"zstd\" is not one of raw, gzip, brotli"), std::string::npos) << text;
  EXPECT_NE(text.find("kilobyte: 1000 or 1024, not 1023"), std::string::npos) << text;
  EXPECT_NE(text.find("gates.security_scan.files: only for a size gate"), std::string::npos)
      << text;
  EXPECT_NE(text.find("shipgate.yaml:14:"), std::string::npos) << text;
  EXPECT_NE(text.find("gates.smoke_tests: there is no quality_gates.smoke_tests"),
            std::string::npos)
      << text;
}

TEST(GatesConfig, NoQualityGatesMeansNoSettings) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << all(r);
  EXPECT_EQ(gatesConfigOf(*r.config), nullptr);
  auto orphan = load("gates: {environments: [production]}\n");
  ASSERT_FALSE(orphan.ok());
  EXPECT_NE(all(orphan).find("gates: there is no quality_gates: block"), std::string::npos)
      << all(orphan);
}

// container_security.security_scanning: true without a vulnerability gate: the deploy still
// needs a clean scan ("Security scan completed (0 critical issues)"), as an implied gate located
// at the key. With the seed's own security_scan gate, nothing is added.
TEST(GatesConfig, SecurityScanningImpliesAScanGate) {
  auto r = load("container_security:\n  security_scanning: true\n");
  ASSERT_TRUE(r.ok()) << all(r);
  auto g = gatesConfigOf(*r.config);
  ASSERT_NE(g, nullptr);
  ASSERT_EQ(g->gates.size(), 1u);
  const GateSpec& scan = g->gates[0];
  EXPECT_EQ(scan.name, "security_scan");
  EXPECT_EQ(scan.wording.kind, GateKind::kVulnerabilities);
  EXPECT_EQ(scan.wording.text, "0 critical vulnerabilities");
  EXPECT_EQ(scan.where.line, 3);
  EXPECT_EQ(scan.reports, (std::vector<ReportKind>{ReportKind::kNpmAudit, ReportKind::kSarif,
                                                    ReportKind::kTrivy}));

  auto seed = load(std::string(kSeedBlock) + "container_security:\n  security_scanning: true\n");
  ASSERT_TRUE(seed.ok()) << all(seed);
  auto sg = gatesConfigOf(*seed.config);
  ASSERT_EQ(sg->gates.size(), 6u);
  EXPECT_EQ(sg->find("security_scan")->wording.text, "0 high/critical vulnerabilities");

  auto off = load("container_security:\n  security_scanning: false\n");
  ASSERT_TRUE(off.ok()) << all(off);
  EXPECT_EQ(gatesConfigOf(*off.config), nullptr);
}

}  // namespace
}  // namespace shipgate::gates
