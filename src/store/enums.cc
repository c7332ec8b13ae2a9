// toString / parse for the store's enums: the lowercase names stored in the database and shown
// in the API.
#include <array>
#include <utility>

#include "shipgate/store/state_store.h"

namespace shipgate::store {
namespace {

template <typename E, size_t N>
std::string_view nameOf(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [e, name] : names) {
    if (e == value) return name;
  }
  return "unknown";
}

template <typename E, size_t N>
std::optional<E> valueOf(const std::array<std::pair<E, std::string_view>, N>& names,
                         std::string_view text) {
  for (const auto& [e, name] : names) {
    if (name == text) return e;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<DeploymentKind, std::string_view>, 3> kKinds{{
    {DeploymentKind::kDeploy, "deploy"},
    {DeploymentKind::kRollback, "rollback"},
    {DeploymentKind::kEmergencyRollback, "emergency_rollback"},
}};

constexpr std::array<std::pair<DeploymentState, std::string_view>, 9> kDeploymentStates{{
    {DeploymentState::kPending, "pending"},
    {DeploymentState::kRunning, "running"},
    {DeploymentState::kWaitingApproval, "waiting_approval"},
    {DeploymentState::kSwitching, "switching"},
    {DeploymentState::kBaking, "baking"},
    {DeploymentState::kSucceeded, "succeeded"},
    {DeploymentState::kFailed, "failed"},
    {DeploymentState::kRejected, "rejected"},
    {DeploymentState::kRolledBack, "rolled_back"},
}};

constexpr std::array<std::pair<StepState, std::string_view>, 5> kStepStates{{
    {StepState::kPending, "pending"},
    {StepState::kRunning, "running"},
    {StepState::kSucceeded, "succeeded"},
    {StepState::kFailed, "failed"},
    {StepState::kSkipped, "skipped"},
}};

constexpr std::array<std::pair<SlotState, std::string_view>, 7> kSlotStates{{
    {SlotState::kStopped, "stopped"},
    {SlotState::kStarting, "starting"},
    {SlotState::kIdle, "idle"},
    {SlotState::kLive, "live"},
    {SlotState::kWarm, "warm"},
    {SlotState::kStopping, "stopping"},
    {SlotState::kFailed, "failed"},
}};

constexpr std::array<std::pair<DeliveryOutcome, std::string_view>, 3> kOutcomes{{
    {DeliveryOutcome::kDelivered, "delivered"},
    {DeliveryOutcome::kFailed, "failed"},
    {DeliveryOutcome::kGaveUp, "gave_up"},
}};

}  // namespace

std::string_view toString(DeploymentKind kind) { return nameOf(kKinds, kind); }
std::optional<DeploymentKind> parseDeploymentKind(std::string_view text) {
  return valueOf(kKinds, text);
}

std::string_view toString(DeploymentState state) { return nameOf(kDeploymentStates, state); }
std::optional<DeploymentState> parseDeploymentState(std::string_view text) {
  return valueOf(kDeploymentStates, text);
}
bool isTerminal(DeploymentState state) {
  return state == DeploymentState::kSucceeded || state == DeploymentState::kFailed ||
         state == DeploymentState::kRejected || state == DeploymentState::kRolledBack;
}

std::string_view toString(StepState state) { return nameOf(kStepStates, state); }
std::optional<StepState> parseStepState(std::string_view text) {
  return valueOf(kStepStates, text);
}

std::string_view toString(SlotState state) { return nameOf(kSlotStates, state); }
std::optional<SlotState> parseSlotState(std::string_view text) {
  return valueOf(kSlotStates, text);
}

std::string_view toString(DeliveryOutcome outcome) { return nameOf(kOutcomes, outcome); }
std::optional<DeliveryOutcome> parseDeliveryOutcome(std::string_view text) {
  return valueOf(kOutcomes, text);
}

}  // namespace shipgate::store
