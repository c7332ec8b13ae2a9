// The accessibility scan: shipgate's runner (tools/axe-scan/axe-scan.js: axe-core in headless
// Chromium through playwright-core) loads each URL, runs axe-core with the WCAG 2.0/2.1 A and AA
// rules, and writes an array of axe results, which readAxe (reports.h) reads and evaluateReport
// (evaluate.h) judges against the wording (default "WCAG 2.1 AA compliance": violations tagged
// wcag2a, wcag2aa, wcag21a or wcag21aa fail).
//
// The runner is spawned as `node RUNNER --page-timeout-ms N --output FILE --user-data-dir DIR
// URL...` (runtime::runCommand) in a fresh temporary directory, removed afterwards; the whole
// scan is bounded by `timeout` and the runner's process group is killed when it passes.
//
// Where the runner is (defaultAxeRunner), first match:
//   1. $SHIPGATE_AXE_RUNNER
//   2. <directory of the shipgate binary>/../tools/axe-scan/axe-scan.js   (a build dir in the
//   source tree)
//   3. <directory of the shipgate binary>/../share/shipgate/axe-scan/axe-scan.js  (an installed
//   tree)
//   4. <the source tree shipgate was built from>/tools/axe-scan/axe-scan.js
// Its node_modules (npm ci in tools/axe-scan; scripts/install-deps.sh does it) sit beside it.
// Thread: any thread; scanAccessibility blocks it for the scan.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/gates/evaluate.h"
#include "shipgate/gates/reports.h"

namespace shipgate::gates {

struct AxeScanOptions {
  std::vector<std::string> urls;  // http(s) URLs, scanned in this order; at least one
  std::string runner;             // axe-scan.js; empty = defaultAxeRunner()
  std::string node = "node";      // the Node.js binary: a path, or a name looked up in PATH
  std::chrono::milliseconds timeout{60'000};       // the whole scan
  std::chrono::milliseconds page_timeout{30'000};  // loading one page, and axe on it
  std::string wording = "WCAG 2.1 AA compliance";  // the gate the result is judged against
};

struct AxeScanResult {
  AccessibilitySummary summary;  // every violation found, with its page url
  GateVerdict verdict;           // gate "accessibility"
  std::string report_json;       // the runner's document, as written (an axe-core report)
};

// The runner found by the rules above, or NotFound listing the places looked at.
Result<std::string> defaultAxeRunner();

// Runs the scan. A page that cannot be scanned (non-2xx, navigation timeout, refused
// connection), a missing node/runner/Chromium, a timeout or an unreadable result is an error
// whose message names the URL or the cause and carries the runner's last output line; a scan
// that ran is a result, whatever its verdict.
Result<AxeScanResult> scanAccessibility(const AxeScanOptions& options);

}  // namespace shipgate::gates
