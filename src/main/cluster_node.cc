#include "cluster_node.h"

#include <unistd.h>

#include <cstdlib>

#include "commands.h"
#include "shipgate/cluster/pg_session.h"
#include "shipgate/common/log.h"
#include "shipgate/release/release_config.h"
#include "shipgate/runtime/process_supervisor.h"
#include "shipgate/server/gateway.h"

namespace shipgate::cli {

ClusterNode::ClusterNode(ClusterNodeOptions options)
    : options_(std::move(options)), shared_(*options_.live, *options_.store) {
  releases_ = std::make_unique<cluster::LeaderReleases>(
      [this] { return options_.make_controller(shared_); });
}

ClusterNode::~ClusterNode() { stop(); }

Status ClusterNode::start() {
  cluster::RegistryOptions reg;
  reg.url = options_.url;
  reg.self = options_.self;
  reg.state_version = [this] { return follower_ ? std::max<int64_t>(0, follower_->applied()) : 0; };
  reg.is_leader = [this] { return election_ && election_->isLeader(); };
  registry_ = std::make_unique<cluster::NodeRegistry>(reg);

  cluster::FollowerOptions fol;
  fol.url = options_.url;
  // The leader serves what it writes itself; a follower re-reads the shared state.
  fol.apply = [this](int64_t) -> Status {
    if (election_ && election_->isLeader()) return Status::success();
    return shared_.applyFromStore();
  };
  follower_ = std::make_unique<cluster::StateFollower>(fol);

  cluster::ElectionOptions el;
  el.url = options_.url;
  el.on_elected = [this] {
    Status marked = registry_->markLeader();
    if (!marked.isOk()) log::warn("cluster: the leader mark was not written: " + marked.message());
    shared_.beginLeaderTerm();
    Status st = releases_->becomeLeader();
    if (!st.isOk())
      log::error("cluster: the release controller reconciled with an error: " + st.message());
    log::info("cluster: node " + options_.self.id + " leads; the release controller runs here");
  };
  el.on_deposed = [this] {
    releases_->stepDown();
    // Deposed while running: the next leader starts its own replicas, so this node's stop now.
    // At shutdown serve stops them itself, after the gateway drained the requests in flight.
    if (options_.supervisor != nullptr && !stopping_.load()) options_.supervisor->stopAll();
    (void)registry_->heartbeat();
    follower_->kick();
    log::warn("cluster: node " + options_.self.id + " follows; its release controller stopped");
  };
  election_ = std::make_unique<cluster::LeaderElection>(el);
  forwarder_ = std::make_unique<cluster::LeaderForwarder>(*registry_, options_.self.id,
                                                          [this] { return election_->isLeader(); });

  SG_RETURN_IF_ERROR(registry_->start());
  SG_RETURN_IF_ERROR(follower_->start());
  election_->start();
  started_.store(true);
  log::info("cluster: node " + options_.self.id + " joined (PostgreSQL " +
            cluster::redactUrl(options_.url) + ")");
  return Status::success();
}

void ClusterNode::stop() {
  stopping_.store(true);
  if (election_) election_->stop();
  if (follower_) follower_->stop();
  if (registry_) registry_->stop();
}

admin::Forwarder ClusterNode::forwarder() {
  // Before start() nothing is forwarded (the release routes answer "starting" until then).
  return [this](const admin::ForwardRequest& r) -> std::optional<admin::ForwardResponse> {
    if (!started_.load()) return std::nullopt;
    return forwarder_->forward(r);
  };
}

std::string defaultNodeId(const std::string& hostname, uint16_t port) {
  if (const char* env = std::getenv("SHIPGATE_NODE_ID"); env != nullptr && *env != '\0') {
    return env;
  }
  return hostname + "-" + std::to_string(port);
}

}  // namespace shipgate::cli

namespace shipgate::cli {

std::string clusterUrl(const release::ReleaseConfig& config) {
  // openStateStore accepts only postgres:// and postgresql:// besides empty (SQLite).
  return config.state_url;
}

cluster::NodeInfo clusterSelf(const config::Config& config, const server::Gateway& gateway,
                              uint16_t admin_port) {
  cluster::NodeInfo self;
  char host[256] = {0};
  if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  std::string address;
  uint16_t first_port = 0;
  for (const auto& [name, port] : gateway.listenerPorts()) {
    std::string ip = "127.0.0.1";
    for (const auto& l : config.listeners) {
      if (l.name == name && !l.address.host.empty()) ip = l.address.host;
    }
    if (!address.empty()) address += ",";
    address += name + "=" + ip + ":" + std::to_string(port);
    if (first_port == 0) first_port = port;
  }
  self.address = address;
  if (config.admin.enabled) {
    const std::string ip =
        config.admin.address.host.empty() ? "127.0.0.1" : config.admin.address.host;
    self.admin_address = ip + ":" + std::to_string(admin_port);
  }
  self.id = defaultNodeId(host, config.admin.enabled ? admin_port : first_port);
  self.version = kShipgateVersion;
  self.started_at = cluster::wallMs();
  return self;
}

}  // namespace shipgate::cli
