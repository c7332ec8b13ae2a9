// Adapters of the state store to the seams of other areas:
// - StoreRuntimeStateStore: traffic::RuntimeStateStore (where TrafficControl persists runtime
//   slot switches, weights and failover approvals) kept in StateStore runtime state under the key
//   "routing_overlay" as JSON: {"apps": {"api": {"slot": {"active_slot": "green", "weights":
//   [10, 90] | null, "file_slot": "blue", "file_weights": null} | null, "approved_regions":
//   ["eu-west-1"]}}}. A restart publishes it again (TrafficControl::restore()).
// - StoreDeliveryLog: notify::DeliveryLog writing the store's notification delivery log.
// Thread-safety: as the StateStore (thread-safe); TrafficControl and the Notifier serialise
// their own calls.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "shipgate/common/clock.h"
#include "shipgate/notify/delivery_log.h"
#include "shipgate/store/state_store.h"
#include "shipgate/traffic/runtime_state_store.h"

namespace shipgate::release {

inline constexpr char kRoutingOverlayKey[] = "routing_overlay";

nlohmann::json overlayToJson(const traffic::RoutingOverlay& overlay);
// InvalidArgument naming what is wrong when `j` is not an overlay this encoding wrote.
Result<traffic::RoutingOverlay> overlayFromJson(const nlohmann::json& j);

class StoreRuntimeStateStore final : public traffic::RuntimeStateStore {
 public:
  // REQUIRES: store and clock outlive this.
  StoreRuntimeStateStore(store::StateStore& store, const Clock& clock);
  Status save(const traffic::RoutingOverlay& overlay) override;
  Result<traffic::RoutingOverlay> load() override;

 private:
  store::StateStore& store_;
  const Clock& clock_;
};

class StoreDeliveryLog final : public notify::DeliveryLog {
 public:
  explicit StoreDeliveryLog(store::StateStore& store);
  void record(const notify::DeliveryAttempt& attempt) override;

 private:
  store::StateStore& store_;
};

}  // namespace shipgate::release
