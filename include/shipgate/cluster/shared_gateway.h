// SharedGateway: the release controller's GatewayControl on a node of a cluster. It wraps the
// node's LiveGatewayControl and adds what the other nodes need to serve the same releases:
//
// - Leader side: every setSlotEndpoints / setStaticRoot is applied locally (as on a single node),
//   then the whole map of managed endpoints and static roots is saved in the state store's runtime
//   state under kServedKey. The store's write bumps state_version and notifies, so the followers
//   pick it up within their follower's wake-up. Switches and splits go through TrafficControl,
//   which already saves the routing overlay in the store.
// - Follower side: applyFromStore() reads kServedKey, applies to the local gateway the slots and
//   static roots that changed since the last apply (a slot no longer listed gets no endpoints),
//   then publishes the stored routing overlay again (TrafficControl::restore: read and publish,
//   nothing is saved). Endpoints go first, so a switch to a slot that just got endpoints lands.
// - beginLeaderTerm(): a node just elected clears the process endpoints it followed (their
//   processes belonged to the previous leader and died with it, or were stopped when it was
//   deposed); the release controller it then starts reconciles and sets them again.
//
// JSON under kServedKey: {"slots": {"api": {"blue": ["127.0.0.1:20001"], "green": []}},
// "static_roots": {"www": "/var/lib/shipgate/static/www/v3"}}.
// Thread-safety: every method is thread-safe (one mutex; the wrapped control has its own).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/release/gateway_control.h"

namespace shipgate::release {
class LiveGatewayControl;
}
namespace shipgate::store {
class StateStore;
}

namespace shipgate::cluster {

inline constexpr char kServedKey[] = "cluster_served";

// What kServedKey holds: the replicas of each managed (app, slot) (slot 0 blue, 1 green) and the
// release directory of each static site.
struct ServedState {
  std::map<std::pair<std::string, int>, std::vector<config::HostPort>> slots;
  std::map<std::string, std::string> static_roots;
};
std::string servedStateToJson(const ServedState& state);
// InvalidArgument naming what is wrong: not a JSON object, a slot other than blue/green, an
// endpoint that is not "host:port" (port 1..65535), a root that is not a string.
Result<ServedState> parseServedState(const std::string& text);

class SharedGateway final : public release::GatewayControl {
 public:
  // REQUIRES: live and store outlive this.
  SharedGateway(release::LiveGatewayControl& live, store::StateStore& store);

  std::shared_ptr<const config::Config> config() const override;
  Status setSlotEndpoints(const std::string& app, traffic::Slot slot,
                          const std::vector<config::HostPort>& endpoints) override;
  Status setStaticRoot(const std::string& site, const std::string& root) override;
  Status switchSlot(const std::string& app, traffic::Slot slot) override;
  Status setWeights(const std::string& app, int blue, int green) override;
  Result<traffic::EffectiveSlot> effective(const std::string& app) const override;
  std::vector<release::EndpointHealthStatus> slotHealth(const std::string& app,
                                                        traffic::Slot slot) const override;
  Status restoreRouting() override;

  // Follower: applies the shared endpoints, static roots and routing overlay.
  Status applyFromStore();
  // Leader, just elected: forget the followed process endpoints (see above).
  void beginLeaderTerm();

 private:
  using SlotKey = std::pair<std::string, int>;
  Status publishLocked() REQUIRES(mu_);

  release::LiveGatewayControl& live_;
  store::StateStore& store_;
  mutable Mutex mu_;
  std::map<SlotKey, std::vector<config::HostPort>> endpoints_ GUARDED_BY(mu_);
  std::map<std::string, std::string> static_roots_ GUARDED_BY(mu_);
};

}  // namespace shipgate::cluster
