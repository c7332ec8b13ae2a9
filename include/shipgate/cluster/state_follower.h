// StateFollower: keeps a node's gateway on the state the cluster shares. The state store bumps the
// one-row table state_version(id = 1, version) and sends pg_notify('shipgate_state',
// '<version> <kind> <key>') in the same transaction as every routing- or deployment-relevant
// write. The follower's own session LISTENs on shipgate_state; its thread sleeps in poll() on the
// session's socket and wakes when a notification arrives, then reads state_version and calls
// `apply(version)`, which re-reads what the gateway needs from the store and applies it.
// Every `resync` (3 s) it also compares state_version with the version last applied and applies
// when they differ, so a lost notification (or a connection that broke and came back) cannot leave
// the node stale for longer than that. Notifications that arrive while apply runs are coalesced
// into one more apply.
//
// applied() is the version of the last apply that returned ok: "the state version this node
// serves". A missing state_version table reads as version 0.
// Thread-safety: applied() and kick() from any thread; apply runs on the follower's thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"

namespace shipgate::cluster {

class PgSession;

inline constexpr char kStateChannel[] = "shipgate_state";

struct FollowerOptions {
  std::string url;
  std::chrono::milliseconds resync{3000};
  // Re-reads the shared state and applies it to this node; `version` is state_version read just
  // before. An error is logged and retried at the next wake-up or resync.
  std::function<Status(int64_t version)> apply;
};

class StateFollower {
 public:
  explicit StateFollower(FollowerOptions options);
  ~StateFollower();
  StateFollower(const StateFollower&) = delete;
  StateFollower& operator=(const StateFollower&) = delete;

  // Connects, LISTENs and applies the current state once before returning (so the node serves
  // the shared state from its first request). Unavailable when the database cannot be reached;
  // the apply's error otherwise.
  Status start();
  void stop();

  int64_t applied() const { return applied_.load(); }
  // Applies at the next turn of the thread even when the version did not change.
  void kick();
  // Notifications received so far (for tests and logs).
  int64_t notifications() const { return notifications_.load(); }

 private:
  Status connectAndListen();
  Result<int64_t> readVersion();
  Status applyNow(bool force);
  void run();

  FollowerOptions options_;
  std::unique_ptr<PgSession> session_;
  std::atomic<int64_t> applied_{-1};
  std::atomic<int64_t> notifications_{0};
  std::atomic<bool> force_{false};
  std::atomic<bool> stopping_{false};
  int wake_[2] = {-1, -1};  // self-pipe: stop() and kick() wake the poll
  std::thread thread_;
};

}  // namespace shipgate::cluster
