// The deploy's `gates` step (see gate_step.h).
#include "gate_step.h"

#include "shipgate/gates/gates_config.h"
#include "shipgate/release/gate_check.h"

namespace shipgate::release {

using nlohmann::json;

GateStepResult runGateStep(const config::Config& config, store::StateStore& store,
                           const GateStepInput& in) {
  GateStepResult out;
  if (in.kind != store::DeploymentKind::kDeploy) {
    out.result = "rollback: quality gates are not checked";
    return out;
  }
  auto gates_config = gates::gatesConfigOf(config);
  if (gates_config == nullptr || gates_config->gates.empty()) {
    out.result = "no quality_gates configured";
    return out;
  }
  if (!gates_config->appliesTo(in.environment)) {
    std::string envs;
    for (const std::string& e : gates_config->environments) envs += (envs.empty() ? "" : ", ") + e;
    out.result = "quality gates do not apply to environment " + in.environment +
                 " (gates.environments: " + envs + ")";
    return out;
  }
  GateCheckInput check_in{in.app, in.version, in.environment, in.artifact};
  auto check = checkGates(*gates_config, store, check_in);
  if (!check) {
    out.state = store::StepState::kFailed;
    out.result = "cannot read the reports of " + in.app + " " + in.version + ": " +
                 check.status().message();
    out.evidence = json{{"error", check.status().message()}, {"override", nullptr}};
    return out;
  }
  out.evidence = check->toJson();
  out.evidence["override"] = nullptr;
  std::string failures;
  json not_passed = json::array();
  for (const GateResult& g : check->gates) {
    if (g.outcome != GateOutcome::kFail && g.outcome != GateOutcome::kMissing) continue;
    if (!failures.empty()) failures += "; ";
    failures += g.verdict.gate + " " + gateOutcomeName(g.outcome) + ": " + g.verdict.reason;
    not_passed.push_back(g.verdict.gate);
  }
  if (failures.empty()) {
    out.state = store::StepState::kSucceeded;
    out.result = "ok";
    return out;
  }
  if (in.override_gates) {
    out.state = store::StepState::kSucceeded;
    out.overridden = true;
    out.result = "overridden by " + in.actor + ": " + in.reason + " (" + failures + ")";
    out.evidence["override"] = {{"by", in.actor}, {"reason", in.reason}, {"not_passed", not_passed}};
    return out;
  }
  out.state = store::StepState::kFailed;
  out.result = failures;
  return out;
}

}  // namespace shipgate::release
