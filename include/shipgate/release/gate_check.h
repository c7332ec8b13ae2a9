// Gate check: the configured quality gates (gates/gates_config.h) evaluated against the reports a
// release carries in the store (StateStore::listReleaseReports) and, for a size gate, the
// release's own files. What `shipgate gate check` prints and the deploy's `gates` step records.
//
// Per gate:
//   coverage, pass rate, vulnerabilities, accessibility: every stored report of the gate's kinds
//     (gates.<name>.reports) is read and judged; the gate passes when each of them passes. No
//     such report: MISSING. A report that cannot be read: MISSING, with the reader's error.
//   size: the files of the release's artifact directory matching gates.<name>.files; an artifact
//     that is not a directory (none recorded, an archive, gone): MISSING.
//   approval ("Required for production"): never judged here; it is the deploy's approval step of
//     that environment (outcome APPROVAL).
// Exit policy (GateCheck::exitCode): 2 when any gate is MISSING (the check could not judge
// everything), else 1 when any FAILs, else 0.
//
// Thread-safety: pure functions over the store (itself thread-safe) and the file system.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shipgate/gates/evaluate.h"
#include "shipgate/gates/gates_config.h"
#include "shipgate/store/state_store.h"

namespace shipgate::release {

enum class GateOutcome { kPass, kFail, kMissing, kApproval };
const char* gateOutcomeName(GateOutcome o);  // "PASS", "FAIL", "MISSING", "APPROVAL"

struct GateResult {
  gates::GateVerdict verdict;       // gate, measured_text, threshold_text, reason
  GateOutcome outcome = GateOutcome::kMissing;
  std::vector<std::string> reports;  // "kind:name" of the reports judged
};

struct GateCheck {
  std::string app, version, environment;
  std::vector<GateResult> gates;
  int exitCode() const;
  // No gate FAILs or is MISSING.
  bool passed() const { return exitCode() == 0; }
  // {"app", "version", "environment", "passed": bool, "gates": [{"gate", "outcome": "pass" |
  //  "fail" | "missing" | "approval", "measured": text | null, "threshold", "reason",
  //  "reports": ["junit:report.xml"]}]}
  nlohmann::json toJson() const;
  // One line per gate: "unit_tests  83.4% of lines (834/1000)  threshold >= 80%  PASS  reason".
  std::string toText() const;
};

struct GateCheckInput {
  std::string app, version;
  std::string environment;  // for the approval gate's note
  std::string artifact;     // the release's directory (size gates)
};

// The threshold as gate check prints it: "< 250.00 KB (250,000 bytes)" for a size, else
// gates::describe ("> 80% line coverage", "Required for production").
std::string gateThresholdText(const gates::GateWording& w);

// Errors: only the store's (listing the reports); everything about a gate is in its result.
Result<GateCheck> checkGates(const gates::GatesConfig& config, store::StateStore& store,
                             const GateCheckInput& input);

}  // namespace shipgate::release
