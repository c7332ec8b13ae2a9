// Private to src/release: the deploy's `gates` step (index 0): the configured quality gates
// (gates/gates_config.h) judged on the deployed release's stored reports and files
// (release/gate_check.h). The worker (deployment_run.cc) records what it returns.
//
//   skipped    a rollback (rollbacks are never blocked by gates), no quality_gates configured,
//              or gates.environments leaves the deployment's environment out
//   succeeded  every gate passes (approval gates are left to the approval step), or some do
//              not and the deploy was made with --override-gates (evidence.override records
//              who and why)
//   failed     a gate fails or its report is missing or unreadable: the deployment ends before
//              anything starts
// evidence: gate_check.h's GateCheck::toJson() plus "override": null | {"by", "reason",
// "not_passed": ["unit_tests", ...]}.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "shipgate/config/config.h"
#include "shipgate/store/state_store.h"

namespace shipgate::release {

struct GateStepInput {
  std::string app, version, environment, artifact;
  store::DeploymentKind kind = store::DeploymentKind::kDeploy;
  bool override_gates = false;
  std::string actor, reason;
};

struct GateStepResult {
  store::StepState state = store::StepState::kSkipped;
  std::string result;  // "ok", the reason skipped, or what failed
  nlohmann::json evidence;  // null when skipped
  bool overridden = false;
};

GateStepResult runGateStep(const config::Config& config, store::StateStore& store,
                           const GateStepInput& input);

}  // namespace shipgate::release
