// LeaderForwarder: the admin API's Forwarder (admin/admin_server.h) on a cluster node. While this
// node is not the leader, the calls on shared state go to the leader's admin API with their
// method, path, query, body, Authorization and X-Shipgate-Actor unchanged (the nodes share one
// admin token), and the leader's answer is returned as it is:
//   POST /api/v1/deployments, .../approve, .../reject, /api/v1/apps/{app}/rollback,
//        /api/v1/apps/{app}/switch, /api/v1/apps/{app}/failover/approve
//   GET  /api/v1/deployments[/...] (an event stream is relayed chunk by chunk as the leader sends
//   it),
//        /api/v1/apps/{app}/releases, /api/v1/incidents
// Everything else (status, reload, metrics) is answered by the node itself. On the leader nothing
// is forwarded. Answers of its own: 503 {"error": "no cluster leader ..."} when no node is the
// live leader, 502 when the leader did not answer; a call that was already forwarded once (header
// X-Shipgate-Forwarded-By) is not forwarded again (503: the nodes disagree on the leader; retry).
// Thread-safety: forward() from any thread (the admin API's workers).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "shipgate/admin/admin_server.h"

namespace shipgate::cluster {

class NodeRegistry;

class LeaderForwarder {
 public:
  // REQUIRES: registry outlives this.
  LeaderForwarder(NodeRegistry& registry, std::string self_id, std::function<bool()> is_leader);

  std::optional<admin::ForwardResponse> forward(const admin::ForwardRequest& request);

  // Whether (method, path) is a call on shared state (the list above).
  static bool isSharedCall(const std::string& method, const std::string& path);

 private:
  NodeRegistry& registry_;
  const std::string self_id_;
  std::function<bool()> is_leader_;
};

}  // namespace shipgate::cluster
