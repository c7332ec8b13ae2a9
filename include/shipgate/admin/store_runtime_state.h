// StoreRuntimeState: traffic::RuntimeStateStore kept in the state store, so that runtime routing
// changes (slot switches and weights made through the admin API or by the release controller,
// failover approvals) survive a restart of `shipgate serve`. The overlay is one JSON document
// under the runtime-state key "routing_overlay" (StateStore::putRuntimeState), written by every
// TrafficControl change before it is published; a write the store refuses refuses the change.
//
// The document (format 1):
//   {"format": 1, "apps": {"api": {"slot": {"active": "green", "weights": [10, 90] | null,
//                                           "file_slot": "blue", "file_weights": null} | null,
//                                  "approved_regions": ["eu-west-1"]}}}
// load() refuses a document it cannot read entirely (InvalidArgument naming the key and the
// fault): a half-read overlay could send traffic somewhere nobody chose.
// Thread-safety: TrafficControl serialises save()/load(); the store is thread-safe.
// REQUIRES: store and clock outlive this object.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/traffic/routing_overlay.h"
#include "shipgate/traffic/runtime_state_store.h"

namespace shipgate::store {
class StateStore;
}

namespace shipgate::admin {

inline constexpr char kRoutingOverlayKey[] = "routing_overlay";

nlohmann::json overlayToJson(const traffic::RoutingOverlay& overlay);
// InvalidArgument with the JSON pointer of the first fault.
Result<traffic::RoutingOverlay> overlayFromJson(const nlohmann::json& doc);

class StoreRuntimeState final : public traffic::RuntimeStateStore {
 public:
  StoreRuntimeState(store::StateStore& store, const Clock& clock,
                    std::string key = kRoutingOverlayKey);

  Status save(const traffic::RoutingOverlay& overlay) override;
  // An empty overlay when nothing was saved yet.
  Result<traffic::RoutingOverlay> load() override;

 private:
  store::StateStore& store_;
  const Clock& clock_;
  const std::string key_;
};

}  // namespace shipgate::admin
