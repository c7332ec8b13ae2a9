// The release controller's construction: what it is built from (ControllerDeps) and the factory
// that returns the ReleaseController (release_controller.h) the admin API and the CLI drive.
//
// Time: every wait (health polling, approval, holds, the bake, the scale-down delay) reads
// deps.clock, and the worker threads re-read it at least every `poll` of real time, so a
// SimulatedClock drives a whole deployment in a test. Trigger samples are taken once per second
// of deps.clock (catching up second by second when the clock jumped).
//
// Lifetime: every reference in ControllerDeps must outlive the controller; stop() (or the
// destructor) joins the worker threads before they go.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/release/gateway_control.h"
#include "shipgate/release/release_controller.h"
#include "shipgate/release/slot_runtime.h"

namespace shipgate::metrics {
class Registry;
class TelemetryReader;
}  // namespace shipgate::metrics
namespace shipgate::notify {
class Notifier;
}
namespace shipgate::rum {
class RumStore;
class ReleaseLabelTable;
}  // namespace shipgate::rum
namespace shipgate::store {
class StateStore;
}

namespace shipgate::release {

struct ControllerDeps {
  Clock& clock;
  store::StateStore& store;
  GatewayControl& gateway;
  SlotRuntime& runtime;
  const metrics::TelemetryReader& telemetry;
  metrics::Registry* metrics = nullptr;   // shipgate_deployments_total & co.; null: none
  notify::Notifier* notifier = nullptr;   // null: no notifications
  const rum::RumStore* rum = nullptr;     // real-user SLAs; null: only api_response_time
  // The versions behind each slot, for the gateway's sg_rel cookie (RUM attribution): set as
  // slots start and stop. null: slot names stay the labels.
  rum::ReleaseLabelTable* labels = nullptr;
  // How often worker threads re-read the clock while they wait (real time). The SLA watch, which
  // waits for nothing but its next pass, re-reads it this often only on a clock moved by hand
  // (Clock::sleepFor); on the real clock it sleeps until the pass.
  std::chrono::milliseconds poll{20};
  // Called (on the deployment's worker thread, no lock held) after each deployment finishes, in
  // any terminal state; e.g. the DORA gauges recompute. Empty: nothing.
  std::function<void()> on_finished{};
  // The feature flags in force in an environment ({flag key -> version}, flags::FlagStore::
  // versionsInForce), recorded in the switch step's evidence as "flags". null: not recorded.
  std::function<std::map<std::string, int64_t>(const std::string& environment)> flag_versions{};
  // Smoke requests: the HTTP client's limits come from each check's timeout.
};

std::unique_ptr<ReleaseController> makeReleaseController(ControllerDeps deps);

}  // namespace shipgate::release
