// Gate evaluation: a parsed wording (wording.h) against what was measured (reports.h,
// bundle_size.h) gives a verdict. Pure functions; any thread may call them.
//
// This is the library under `shipgate gate check`, `release create --report` and the deploy's gate
// step: the caller reads each configured gate's wording (parseGateWording, adding file:line), reads
// the release's reports (readReportFile), picks the report(s) for each gate, and prints or records
// the GateVerdicts. Exit-code policy (0 pass / 1 fail / 2 missing or unreadable) is the caller's:
// a report that cannot be read is a Status, never a verdict.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "shipgate/gates/bundle_size.h"
#include "shipgate/gates/reports.h"
#include "shipgate/gates/wording.h"

namespace shipgate::gates {

struct GateVerdict {
  std::string gate;       // the config key, e.g. "unit_tests"
  bool pass = false;
  double measured = -1;   // percent, count or bytes; -1 when nothing could be measured
  std::string measured_text;   // with its unit: "83.4% of lines (834/1000)", "2 high/critical", "251.2 KB gzip"
  std::string threshold_text;  // canonical: ">= 100%", "<= 0 high/critical", "< 250 KB (250,000 bytes)"
  std::string reason;          // one line a person reads: why it passed or failed
};

// Coverage, pass-rate, vulnerability and accessibility gates. A report of the wrong family for the
// gate (e.g. a JUnit report for a coverage gate) fails with a reason naming both.
// Coverage: line coverage, or branch when the wording says "branch coverage"; a report without any
// lines (or branches) fails. Pass rate: see TestSummary; a report with no test run fails.
// Vulnerabilities: the sum of the wording's severities. Accessibility: the violations carrying any
// of wcagFailingTags(version, level); measured = their count.
GateVerdict evaluateReport(const std::string& gate, const GateWording& w, const ReportSummary& report);

// Size gate: every matched file's size (per `compression`) must satisfy the wording, as bundlesize
// checks each file; measured = the largest. No matched file fails ("glob matched no file").
GateVerdict evaluateSize(const std::string& gate, const GateWording& w, std::string_view glob,
                         const std::vector<FileSize>& files, Compression compression);

// Approval gate: applies when the wording names no environment or names `environment`
// (case-insensitive); then it passes only when `approved_by` is non-empty. When it does not apply
// it passes with reason "not required for <environment>".
GateVerdict evaluateApproval(const std::string& gate, const GateWording& w,
                             std::string_view environment, std::string_view approved_by);

// "250 KB (250,000 bytes)" style text for a byte count in the wording's unit.
std::string formatBytes(double bytes, std::string_view unit_text);

}  // namespace shipgate::gates
