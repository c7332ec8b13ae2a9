#include "shipgate/gates/wording.h"

#include <gtest/gtest.h>

namespace shipgate::gates {
namespace {

GateWording parseOk(std::string_view text) {
  GateWording w;
  WordingError e;
  EXPECT_TRUE(parseGateWording(text, w, e)) << text << ": column " << e.column << ": " << e.message;
  // The canonical text reads back as the same gate.
  GateWording again;
  WordingError e2;
  EXPECT_TRUE(parseGateWording(describe(w), again, e2)) << describe(w) << ": " << e2.message;
  EXPECT_EQ(describe(again), describe(w));
  return w;
}

WordingError parseBad(std::string_view text) {
  GateWording w;
  WordingError e;
  EXPECT_FALSE(parseGateWording(text, w, e)) << text;
  return e;
}

TEST(GateWording, SeedsSixVerbatim) {
  GateWording unit = parseOk("> 80% coverage");
  EXPECT_EQ(unit.kind, GateKind::kCoverage);
  EXPECT_EQ(unit.comparison, Comparison::kGreater);
  EXPECT_EQ(unit.threshold, 80);
  EXPECT_EQ(unit.coverage_metric, CoverageMetric::kLines);
  EXPECT_EQ(describe(unit), "> 80% line coverage");

  GateWording integ = parseOk("100% pass rate");
  EXPECT_EQ(integ.kind, GateKind::kPassRate);
  EXPECT_EQ(integ.comparison, Comparison::kGreaterEqual);
  EXPECT_EQ(integ.threshold, 100);

  GateWording sec = parseOk("0 high/critical vulnerabilities");
  EXPECT_EQ(sec.kind, GateKind::kVulnerabilities);
  EXPECT_EQ(sec.comparison, Comparison::kLessEqual);
  EXPECT_EQ(sec.threshold, 0);
  EXPECT_EQ(sec.severities, (std::vector<Severity>{Severity::kHigh, Severity::kCritical}));
  EXPECT_EQ(describe(sec), "<= 0 high/critical vulnerabilities");

  GateWording perf = parseOk("< 250KB main bundle");
  EXPECT_EQ(perf.kind, GateKind::kSize);
  EXPECT_EQ(perf.comparison, Comparison::kLess);
  EXPECT_EQ(perf.threshold, 250000);  // KB = 1,000 bytes
  EXPECT_EQ(perf.unit_text, "KB");
  EXPECT_EQ(perf.label, "main bundle");

  GateWording a11y = parseOk("WCAG 2.1 AA compliance");
  EXPECT_EQ(a11y.kind, GateKind::kAccessibility);
  EXPECT_EQ(a11y.wcag_minor, 1);
  EXPECT_EQ(a11y.wcag_level, WcagLevel::kAA);

  GateWording approval = parseOk("Required for production");
  EXPECT_EQ(approval.kind, GateKind::kApproval);
  EXPECT_EQ(approval.environment, "production");
}

TEST(GateWording, Operators) {
  EXPECT_EQ(parseOk(">= 75.5% coverage").comparison, Comparison::kGreaterEqual);
  EXPECT_EQ(parseOk(">= 75.5% coverage").threshold, 75.5);
  EXPECT_EQ(parseOk("<= 2 critical vulnerabilities").comparison, Comparison::kLessEqual);
  EXPECT_EQ(parseOk("< 3 critical issues").comparison, Comparison::kLess);
  EXPECT_EQ(parseOk("> 99% pass rate").comparison, Comparison::kGreater);
  EXPECT_EQ(parseOk("= 100% pass rate").comparison, Comparison::kEqual);
  EXPECT_EQ(parseOk("  >=80%   coverage  ").threshold, 80);
}

TEST(GateWording, SizeUnitsAreStatedNotGuessed) {
  EXPECT_EQ(parseOk("< 250 KB main bundle").threshold, 250000);
  EXPECT_EQ(parseOk("< 250kB main bundle").threshold, 250000);
  EXPECT_EQ(parseOk("< 250KiB main bundle").threshold, 256000);
  EXPECT_EQ(parseOk("<= 1.5MB vendor").threshold, 1500000);
  EXPECT_EQ(parseOk("<= 2MiB").threshold, 2097152);
  EXPECT_EQ(parseOk("< 1GB").threshold, 1e9);
  EXPECT_EQ(parseOk("< 1GiB").threshold, 1073741824.0);
  EXPECT_EQ(parseOk("< 900B runtime").threshold, 900);
  EXPECT_EQ(parseOk("170 KB main bundle").comparison, Comparison::kLessEqual);

  WordingError e = parseBad("< 250kb main bundle");
  EXPECT_EQ(e.column, 6);
  EXPECT_EQ(e.message,
            "size unit \"kb\" is not one of B, KB (1,000 bytes), MB, GB, KiB (1,024 bytes), MiB, GiB");
}

TEST(GateWording, CoverageMetrics) {
  EXPECT_EQ(parseOk("> 70% branch coverage").coverage_metric, CoverageMetric::kBranches);
  EXPECT_EQ(parseOk("> 70% line coverage").coverage_metric, CoverageMetric::kLines);
  EXPECT_EQ(describe(parseOk(">= 70% branch coverage")), ">= 70% branch coverage");
}

TEST(GateWording, Severities) {
  EXPECT_EQ(parseOk("0 critical vulnerabilities").severities, (std::vector<Severity>{Severity::kCritical}));
  EXPECT_EQ(parseOk("0 medium, high or critical vulnerabilities").severities,
            (std::vector<Severity>{Severity::kMedium, Severity::kHigh, Severity::kCritical}));
  EXPECT_EQ(parseOk("0 moderate/high vulnerabilities").severities,
            (std::vector<Severity>{Severity::kMedium, Severity::kHigh}));
  EXPECT_EQ(parseOk("0 Critical/HIGH/critical vulnerabilities").severities,
            (std::vector<Severity>{Severity::kHigh, Severity::kCritical}));
}

TEST(GateWording, AccessibilityAndApproval) {
  GateWording w = parseOk("wcag 2.2 aaa");
  EXPECT_EQ(w.wcag_minor, 2);
  EXPECT_EQ(w.wcag_level, WcagLevel::kAAA);
  EXPECT_EQ(parseOk("WCAG 2.0 A compliant").wcag_level, WcagLevel::kA);
  EXPECT_EQ(parseOk("Required").environment, "");
  EXPECT_EQ(parseOk("required for staging").environment, "staging");
  EXPECT_EQ(wcagFailingTags(1, WcagLevel::kAA),
            (std::vector<std::string>{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}));
  EXPECT_EQ(wcagFailingTags(0, WcagLevel::kA), (std::vector<std::string>{"wcag2a"}));
}

TEST(GateWording, ErrorsNameTheColumn) {
  struct Case {
    const char* text;
    size_t column;
    const char* message;
  };
  const Case cases[] = {
      {"", 1, "empty gate wording"},
      {"   ", 1, "empty gate wording"},
      {"> eighty% coverage", 3, "expected a number after the operator"},
      {"lots of coverage", 1,
       "expected an operator (>, <, >=, <=) or a number, \"WCAG ...\" or \"Required ...\""},
      {"> 80 coverage", 6, "a coverage needs a percentage (e.g. 80%)"},
      {"> 180% coverage", 3, "a percentage lies between 0 and 100"},
      {"> 80% speed", 7,
       "unknown measure \"speed\" (expected coverage, pass rate, SEVERITY vulnerabilities, or a "
       "size unit such as KB)"},
      {"> 80%", 6, "expected what is measured (coverage, pass rate, SEVERITY vulnerabilities, or a size unit)"},
      {"> 80% coverage please", 16, "unexpected text after the measure"},
      {"100% pass", 10, "expected \"rate\" after \"pass\""},
      {"> 80% branch", 13, "expected \"coverage\" after \"branch\""},
      {"0 high/severe vulnerabilities", 8, "expected a severity (low, medium, high, critical)"},
      {"0 high", 7, "expected \"vulnerabilities\" after the severities"},
      {"0 high bugs", 8, "expected a severity or \"vulnerabilities\", not \"bugs\""},
      {"0.5 high vulnerabilities", 1, "a vulnerability count is a whole number"},
      {"0% high vulnerabilities", 2, "a vulnerability count takes no unit"},
      {"WCAG 3 AA", 6, "expected a WCAG version (2.0, 2.1 or 2.2) after \"WCAG\""},
      {"WCAG 2.1 AAAA", 10, "expected a WCAG level (A, AA or AAA)"},
      {"WCAG 2.1 AA everywhere", 13, "unexpected text after the WCAG level (only \"compliance\" may follow)"},
      {"Required in production", 10, "expected \"for ENVIRONMENT\" after \"Required\""},
      {"Required for", 13, "expected an environment name after \"for\""},
      {"Required for prod and staging", 19, "unexpected text after the environment name"},
      {"> 1234567890123456789% coverage", 3, "number too long (at most 15 digits)"},
      {"> 80.1234567% coverage", 3, "too many decimals (at most 6)"},
      {"> 80%\x01 coverage", 6, "control character in the wording"},
  };
  for (const Case& c : cases) {
    WordingError e = parseBad(c.text);
    EXPECT_EQ(e.column, c.column) << c.text;
    EXPECT_EQ(e.message, c.message) << c.text;
  }
  EXPECT_EQ(parseBad(std::string(201, '1')).message, "wording longer than 200 characters");
}

TEST(GateWording, Compare) {
  EXPECT_TRUE(compare(80.1, Comparison::kGreater, 80));
  EXPECT_FALSE(compare(80, Comparison::kGreater, 80));
  EXPECT_TRUE(compare(80, Comparison::kGreaterEqual, 80));
  EXPECT_TRUE(compare(0, Comparison::kLessEqual, 0));
  EXPECT_FALSE(compare(250000, Comparison::kLess, 250000));
}

}  // namespace
}  // namespace shipgate::gates
