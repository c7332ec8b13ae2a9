// LeaderElection: which one of the `shipgate serve` nodes sharing a PostgreSQL database is the
// controller leader. The leader is the node whose dedicated session holds the session-level
// advisory lock kLeaderLockKey: PostgreSQL grants it to one session at a time and releases it
// when that session ends (a SIGKILLed node's socket closes, the server ends its backend at once).
//
// The election thread:
// - while not leader: connects if needed and tries pg_try_advisory_lock every `retry` (1 s);
// - while leader: every `check` (1 s) asks the session whether it still holds the lock
//   (pg_locks of its own backend). A failed check (the connection broke, the query failed or
//   timed out, the lock is gone) deposes this node at once: on_deposed runs, the session is
//   closed (so the server releases the lock if it still held it), then it tries again.
// So a node that lost its database connection stops acting as leader within one check plus the
// session's TCP timeouts (pg_session.h), and never holds leadership without a live session.
//
// Callbacks run on the election thread, one at a time, in order (elected, deposed, elected, ...);
// on_elected returns before the first check. stop() deposes a leader (on_deposed runs) and
// releases the lock by closing the session.
// Thread-safety: isLeader() from any thread; start()/stop() by the owner.
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

// "sgleader" read as ASCII into 64 bits: the advisory lock every node competes for (distinct
// from the store's migration lock, "shipgate").
inline constexpr int64_t kLeaderLockKey = 0x73676c6561646572;

struct ElectionOptions {
  std::string url;  // the PostgreSQL the nodes share
  std::chrono::milliseconds retry{1000};
  std::chrono::milliseconds check{1000};
  std::function<void()> on_elected;
  std::function<void()> on_deposed;
};

class LeaderElection {
 public:
  explicit LeaderElection(ElectionOptions options);
  ~LeaderElection();
  LeaderElection(const LeaderElection&) = delete;
  LeaderElection& operator=(const LeaderElection&) = delete;

  void start();
  void stop();
  bool isLeader() const { return leader_.load(); }
  // The last reason the session failed (empty when it never did), for logs and `nodes`.
  std::string lastError() const;

 private:
  void run();
  bool tryAcquire();
  bool stillHolds();
  void depose(const std::string& why);
  bool sleepFor(std::chrono::milliseconds d);

  ElectionOptions options_;
  std::unique_ptr<PgSession> session_;
  std::atomic<bool> leader_{false};
  mutable Mutex mu_;
  CondVar cv_;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::string last_error_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace shipgate::cluster
