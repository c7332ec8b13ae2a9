// Readers of the reports a release carries (`--report KIND=FILE`), each into a typed summary.
//
// Every reader takes the report's bytes and a display name (the file name, used in messages) and
// returns the summary or Status::invalidArgument("<name>: <what is wrong>"), with a line number
// where the format has lines (LCOV, XML). Inputs larger than kMaxReportBytes are refused. Readers
// are pure functions; any thread may call them.
//
// Kinds and the files they read:
//   lcov       LCOV tracefile (`lcov.info` from jest/c8/istanbul, gcov via lcov/geninfo): LF/LH and
//              BRF/BRH per SF record, or, where a record lacks them, counted from DA/BRDA lines.
//   cobertura  Cobertura XML (coverage.py, gcovr, istanbul): the root <coverage> element's
//              lines-valid/lines-covered and branches-valid/branches-covered, or, where those are
//              absent, line-rate/branch-rate (0..1).
//   junit      JUnit XML: a <testsuites> root (jest-junit, pytest >= 5, go-junit-report) or a single
//              <testsuite> root (ctest --output-junit, older pytest), suites nested at any depth.
//              Every <testcase> counts once: with a <failure> child it failed, else with an <error>
//              child it errored, else with a <skipped> child (or ctest's status="notrun"/"disabled")
//              it was skipped, else it passed. The suites' own tests=/failures= attributes are used
//              only when a report has no <testcase> at all.
//              Skipped rule: skipped tests are shown and counted, and left out of the pass rate:
//              pass rate = passed / (tests - skipped). A report whose tests were all skipped (or
//              that has none) has no pass rate, and a pass-rate gate fails on it.
//   npm-audit  `npm audit --json` of npm 7 and later (auditReportVersion 2): the counts of
//              metadata.vulnerabilities (info, low, moderate = medium, high, critical), and the
//              vulnerable packages with their severity. An npm error object ({"error": {...}}) is
//              reported as an error with its summary.
//   sarif      SARIF 2.1.0: each result of each run, unless it has a non-empty `suppressions` or
//              baselineState "absent". Its severity is the `security-severity` property (a number
//              or numeric string) of the result, else of its rule (driver or extension rules, found
//              by ruleIndex or ruleId), mapped as GitHub code scanning does: >= 9.0 critical,
//              >= 7.0 high, >= 4.0 medium, > 0 low. Without one, the result's level (else its
//              rule's defaultConfiguration.level, else "warning") maps error -> high, warning ->
//              medium, note -> low; level "none" is not counted.
//   trivy      Trivy JSON (`trivy ... --format json`, SchemaVersion 2): Results[].Vulnerabilities[]
//              by Severity (LOW, MEDIUM, HIGH, CRITICAL, UNKNOWN).
//   axe        axe-core results JSON (axe.run() output, or @axe-core/cli's array of them, one per
//              page): the violations with id, impact, tags, node count and page url.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/gates/wording.h"

namespace shipgate::gates {

inline constexpr size_t kMaxReportBytes = 64u << 20;  // 64 MiB
// At most this many named findings / failed tests / violations are kept for display.
inline constexpr size_t kMaxListed = 50;

enum class ReportKind { kLcov, kCobertura, kJunit, kNpmAudit, kSarif, kTrivy, kAxe };

// "lcov", "cobertura", "junit", "npm-audit", "sarif", "trivy", "axe"; false for anything else.
bool parseReportKind(std::string_view name, ReportKind& out);
const char* reportKindName(ReportKind k);

struct CoverageSummary {
  std::string format;  // "lcov" or "cobertura"
  int64_t files = 0;   // SF records (lcov) or <class> elements (cobertura); informative
  int64_t lines_found = 0, lines_hit = 0;
  int64_t branches_found = 0, branches_hit = 0;
  // Set when the report gave only rates (cobertura without the counts): percent 0..100.
  double line_rate_percent = -1, branch_rate_percent = -1;
  // Percent covered, or -1 when the report has nothing of that metric.
  double linePercent() const;
  double branchPercent() const;
};

struct TestSummary {
  int64_t tests = 0, passed = 0, failures = 0, errors = 0, skipped = 0;
  std::vector<std::string> failed;  // "classname.name" of failed/errored tests, first kMaxListed
  // Percent of passed among tests that ran (tests - skipped); -1 when none ran.
  double passRatePercent() const;
};

struct Finding {
  std::string id;       // CVE/GHSA id, rule id, or npm package name
  std::string where;    // package, file or target
  Severity severity = Severity::kUnknown;
};

struct VulnerabilitySummary {
  std::string format;  // "npm-audit", "sarif", "trivy"
  // Indexed by static_cast<int>(Severity).
  std::array<int64_t, 5> counts{};
  int64_t info = 0;  // npm's "info" / SARIF results not counted as vulnerabilities
  std::vector<Finding> findings;  // first kMaxListed, most severe first
  int64_t count(Severity s) const { return counts[static_cast<int>(s)]; }
};

struct AxeViolation {
  std::string id, impact, url;
  std::vector<std::string> tags;
  int64_t nodes = 0;
};

struct AccessibilitySummary {
  int64_t pages = 0;
  std::vector<AxeViolation> violations;  // all of them (bounded by the input size)
};

using ReportSummary =
    std::variant<CoverageSummary, TestSummary, VulnerabilitySummary, AccessibilitySummary>;

Result<CoverageSummary> readLcov(std::string_view text, const std::string& name);
Result<CoverageSummary> readCobertura(std::string_view text, const std::string& name);
Result<TestSummary> readJunit(std::string_view text, const std::string& name);
Result<VulnerabilitySummary> readNpmAudit(std::string_view text, const std::string& name);
Result<VulnerabilitySummary> readSarif(std::string_view text, const std::string& name);
Result<VulnerabilitySummary> readTrivy(std::string_view text, const std::string& name);
Result<AccessibilitySummary> readAxe(std::string_view text, const std::string& name);

// Dispatches on the kind.
Result<ReportSummary> readReport(ReportKind kind, std::string_view text, const std::string& name);
// Reads the file (at most kMaxReportBytes; a larger one is an error naming its size) and its kind's
// reader; `name` in messages is the path as given.
Result<ReportSummary> readReportFile(ReportKind kind, const std::filesystem::path& path);

// The GitHub mapping of a CVSS-like security-severity score (see sarif above).
Severity severityFromScore(double score);

}  // namespace shipgate::gates
