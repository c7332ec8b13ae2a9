// The wording of the seed's `quality_gates:` block, read into a typed gate. One gate per value:
//
//   unit_tests:         "> 80% coverage"                   coverage, line by default
//                       ">= 70% branch coverage"           coverage of branches
//   integration_tests:  "100% pass rate"                    pass rate of a JUnit report
//   security_scan:      "0 high/critical vulnerabilities"  count of findings of those severities
//   performance_budget: "< 250KB main bundle"              size of the files the config's glob matches
//   accessibility:      "WCAG 2.1 AA compliance"           axe-core violations of that level
//   manual_approval:    "Required for production"          an approval before deploying to that env
//
// Grammar (words are case-insensitive, blanks between tokens are free):
//   measured   := [op] number [unit] subject
//   op         := ">" | "<" | ">=" | "<="        (also "=", "==" for "exactly")
//   number     := digits ["." digits]
//   unit       := "%" | "B" | "KB" | "MB" | "GB" | "KiB" | "MiB" | "GiB" (units: case as written,
//                 "kB" also accepted). 1 KB = 1,000 bytes, 1 MB = 1,000,000 bytes (SI); 1 KiB =
//                 1,024 bytes, 1 MiB = 1,048,576 bytes. No other spelling is guessed ("kb", "K").
//   subject    := ["line" | "branch"] "coverage"                     (unit must be %)
//               | "pass rate"                                         (unit must be %)
//               | severity {("/" | "," | "or") severity} ("vulnerabilities" | "vulnerability"
//                 | "issues" | "issue" | "findings")                 (no unit: a count)
//               | any words, after a size unit (the label, e.g. "main bundle")
//   severity   := "low" | "medium" | "moderate" (= medium) | "high" | "critical"
//   wcag       := "WCAG" ("2.0" | "2.1" | "2.2") ("A" | "AA" | "AAA") ["compliance" | "compliant"]
//   approval   := "Required" ["for" environment]          (environment: one word, e.g. production)
//
// Without an operator a percentage (coverage, pass rate) is a minimum (>=) and a count or size a
// maximum (<=): "100% pass rate" is ">= 100%", "0 high/critical vulnerabilities" is "<= 0".
// Percentages lie in 0..100.
//
// Errors carry a 1-based column into the wording itself; the caller adds the file:line (and the
// column where the quoted value starts). Thread-safe: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace shipgate::gates {

enum class GateKind { kCoverage, kPassRate, kVulnerabilities, kSize, kAccessibility, kApproval };
enum class Comparison { kGreater, kGreaterEqual, kLess, kLessEqual, kEqual };
enum class CoverageMetric { kLines, kBranches };
// Ordered from least to most severe; kUnknown (a scanner's "UNKNOWN") sorts below low.
enum class Severity { kUnknown, kLow, kMedium, kHigh, kCritical };
enum class WcagLevel { kA, kAA, kAAA };

struct GateWording {
  std::string text;                  // the wording as given
  GateKind kind = GateKind::kCoverage;
  Comparison comparison = Comparison::kGreaterEqual;
  // kCoverage/kPassRate: percent 0..100; kVulnerabilities: a count; kSize: bytes (already scaled by
  // the unit). Unused for kAccessibility/kApproval.
  double threshold = 0;
  std::string unit_text;             // the unit as written ("%", "KB", "" for a count)
  CoverageMetric coverage_metric = CoverageMetric::kLines;  // kCoverage only
  std::vector<Severity> severities;  // kVulnerabilities: sorted, unique
  std::string label;                 // kSize: the subject words ("main bundle")
  int wcag_minor = 1;                // kAccessibility: 2.<minor>
  WcagLevel wcag_level = WcagLevel::kAA;
  std::string environment;           // kApproval: "" = every environment
};

struct WordingError {
  size_t column = 0;  // 1-based column in the wording
  std::string message;
};

// Reads one gate's wording. On failure returns false and fills `error`; `out` is then unspecified.
bool parseGateWording(std::string_view text, GateWording& out, WordingError& error);

// The canonical text of a parsed gate; parseGateWording(describe(w)) yields the same gate.
std::string describe(const GateWording& w);

const char* severityName(Severity s);       // "low", "medium", "high", "critical", "unknown"
const char* comparisonSymbol(Comparison c);  // ">", ">=", "<", "<=", "="
// True when `measured` satisfies `comparison` against `threshold`.
bool compare(double measured, Comparison comparison, double threshold);

// The axe-core tags that fail a gate of this WCAG version and level: every version up to it and
// every level up to it, e.g. 2.1 AA -> wcag2a, wcag2aa, wcag21a, wcag21aa.
std::vector<std::string> wcagFailingTags(int wcag_minor, WcagLevel level);

}  // namespace shipgate::gates
