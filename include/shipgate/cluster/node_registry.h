// NodeRegistry: the table cluster_nodes in the shared PostgreSQL, one row per `shipgate serve`
// node: id, address (its gateway listeners), admin_address (host:port of its admin API), version
// (shipgate's), started_at, heartbeat_at (ms since the epoch), state_version (the state version
// its gateway serves) and leader (set by the leader; see below).
//
// The table is created when missing (under a transaction-level advisory lock, so nodes starting
// together do not race on CREATE TABLE). The heartbeat thread upserts this node's row every
// `interval` (1 s). When this node becomes leader, markLeader() writes leader = true on its row
// and false on every other row at once, so a row says LEADER only for the latest leader; readers
// also require a fresh heartbeat (kDownAfter), so a dead leader's row is not believed.
//
// Thread-safety: every method is thread-safe (one mutex serialises the session).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"

namespace shipgate::cluster {

class PgSession;

// A node whose heartbeat is older than this is shown "down" and is never taken for the leader.
inline constexpr int64_t kDownAfterMs = 5000;

struct NodeInfo {
  std::string id;
  std::string address;
  std::string admin_address;  // host:port; empty when the node has no admin API
  std::string version;
  int64_t started_at = 0;
  int64_t heartbeat_at = 0;
  int64_t state_version = 0;
  bool leader = false;
};

struct RegistryOptions {
  std::string url;
  NodeInfo self;  // id, address, admin_address, version, started_at
  std::chrono::milliseconds interval{1000};
  // Read at each heartbeat.
  std::function<int64_t()> state_version;
  std::function<bool()> is_leader;
};

class NodeRegistry {
 public:
  explicit NodeRegistry(RegistryOptions options);
  ~NodeRegistry();
  NodeRegistry(const NodeRegistry&) = delete;
  NodeRegistry& operator=(const NodeRegistry&) = delete;

  // Creates the table when missing and writes the first heartbeat. Unavailable when the
  // database cannot be reached.
  Status start();
  void stop();

  // Writes this node's heartbeat now (also what the thread does).
  Status heartbeat();
  // This node won the election: its row says leader, every other row not.
  Status markLeader();
  // Every node, by id.
  Result<std::vector<NodeInfo>> nodes();
  // The live leader (leader = true and a heartbeat newer than kDownAfterMs); nullopt: none.
  Result<std::optional<NodeInfo>> leader();

  // For `shipgate nodes`: a registry that only reads (no heartbeat of its own).
  static Result<std::vector<NodeInfo>> readNodes(const std::string& url);

 private:
  static Status ensureTable(PgSession& session);
  static Result<std::vector<NodeInfo>> readAll(PgSession& session);
  void run();

  RegistryOptions options_;
  Mutex mu_;
  std::unique_ptr<PgSession> session_ GUARDED_BY(mu_);
  bool table_ready_ GUARDED_BY(mu_) = false;
  Mutex stop_mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(stop_mu_) = false;
  std::thread thread_;
};

}  // namespace shipgate::cluster
