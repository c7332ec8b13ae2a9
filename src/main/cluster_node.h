// The composition of a cluster node for `shipgate serve` (state on PostgreSQL): the node registry
// (heartbeat), the state follower (LISTEN + resync, applying the shared endpoints, static roots
// and routing overlay to this node's gateway), the leader election, the leader-only release
// controller (cluster::LeaderReleases) and the admin API's forwarder to the leader.
//
// On election: this node's row says leader, the followed process endpoints are dropped
// (SharedGateway::beginLeaderTerm) and a release controller starts (it reconciles the unfinished
// deployments of the shared store, as a restarted single node does). On deposition: the
// controller stops, the release processes this node started are stopped (the new leader starts
// its own), and the follower re-applies the shared state at once.
// Thread-safety: start()/stop() by serve's main thread; the rest runs on the parts' threads.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "shipgate/admin/admin_server.h"
#include "shipgate/cluster/leader_election.h"
#include "shipgate/cluster/leader_forwarder.h"
#include "shipgate/cluster/leader_releases.h"
#include "shipgate/cluster/node_registry.h"
#include "shipgate/cluster/shared_gateway.h"
#include "shipgate/cluster/state_follower.h"

namespace shipgate::runtime {
class ProcessSupervisor;
}
namespace shipgate::server {
class Gateway;
}
namespace shipgate::release {
struct ReleaseConfig;
}

namespace shipgate::cli {

struct ClusterNodeOptions {
  std::string url;
  cluster::NodeInfo self;  // id, address, admin_address, version, started_at
  store::StateStore* store = nullptr;
  release::LiveGatewayControl* live = nullptr;
  runtime::ProcessSupervisor* supervisor = nullptr;
  // Makes the release controller over the given gateway control (the node's SharedGateway).
  std::function<std::unique_ptr<release::ReleaseController>(release::GatewayControl&)>
      make_controller;
};

class ClusterNode {
 public:
  explicit ClusterNode(ClusterNodeOptions options);
  ~ClusterNode();

  // What the registry says of this node (known once the listeners are bound). REQUIRES: before
  // start().
  void setSelf(cluster::NodeInfo self) { options_.self = std::move(self); }
  // Registry, follower (first apply), then the election. Unavailable when PostgreSQL cannot be
  // reached.
  Status start();
  // Election first (a leader steps down: its controller stops), then follower and registry.
  void stop();

  release::ReleaseController& releases() { return *releases_; }
  admin::Forwarder forwarder();

 private:
  ClusterNodeOptions options_;
  cluster::SharedGateway shared_;
  std::unique_ptr<cluster::LeaderReleases> releases_;
  std::unique_ptr<cluster::LeaderElection> election_;
  std::unique_ptr<cluster::StateFollower> follower_;
  std::unique_ptr<cluster::NodeRegistry> registry_;
  std::unique_ptr<cluster::LeaderForwarder> forwarder_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
};

// The PostgreSQL URL the state lives in ("" with SQLite: a single node).
std::string clusterUrl(const release::ReleaseConfig& config);
// This node for the registry: id (below), address (the listeners, "http=127.0.0.1:8080,..."),
// admin_address (host:port), version, started_at.
cluster::NodeInfo clusterSelf(const config::Config& config, const server::Gateway& gateway,
                              uint16_t admin_port);

// The node's id: $SHIPGATE_NODE_ID when set, else "<hostname>-<admin port or first listener
// port>" (unique among nodes on one machine, stable across restarts).
std::string defaultNodeId(const std::string& hostname, uint16_t port);

}  // namespace shipgate::cli
