#include "shipgate/cluster/leader_election.h"

#include "shipgate/cluster/pg_session.h"
#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"

namespace shipgate::cluster {
namespace {

std::string keyText() { return std::to_string(kLeaderLockKey); }

}  // namespace

LeaderElection::LeaderElection(ElectionOptions options)
    : options_(std::move(options)), session_(std::make_unique<PgSession>(options_.url)) {}

LeaderElection::~LeaderElection() { stop(); }

void LeaderElection::start() {
  {
    MutexLock lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] {
    setThreadName("sg-election");
    run();
  });
}

void LeaderElection::stop() {
  {
    MutexLock lock(mu_);
    stopping_ = true;
    cv_.notifyAll();
  }
  if (thread_.joinable()) thread_.join();
}

std::string LeaderElection::lastError() const {
  MutexLock lock(mu_);
  return last_error_;
}

bool LeaderElection::sleepFor(std::chrono::milliseconds d) {
  MutexLock lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + d;
  while (!stopping_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    cv_.waitFor(lock, deadline - now);
  }
  return !stopping_;
}

bool LeaderElection::tryAcquire() {
  Status st = session_->ensureConnected();
  if (!st.isOk()) {
    MutexLock lock(mu_);
    if (last_error_ != st.message()) log::warn("leader election: " + st.message());
    last_error_ = st.message();
    return false;
  }
  auto rows = session_->query("SELECT pg_try_advisory_lock($1::bigint)", {keyText()});
  if (!rows) {
    MutexLock lock(mu_);
    last_error_ = rows.status().message();
    log::warn("leader election: " + last_error_);
    return false;
  }
  return !rows->empty() && (*rows)[0][0].value_or("") == "t";
}

bool LeaderElection::stillHolds() {
  // A bigint advisory key shows in pg_locks as classid (high 32 bits), objid (low), objsubid 1.
  auto rows = session_->query(
      "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 "
      "AND pid = pg_backend_pid() AND classid = (($1::bigint >> 32) & 4294967295)::oid "
      "AND objid = ($1::bigint & 4294967295)::oid",
      {keyText()});
  if (!rows) {
    MutexLock lock(mu_);
    last_error_ = rows.status().message();
    return false;
  }
  return !rows->empty() && (*rows)[0][0].value_or("0") != "0";
}

void LeaderElection::depose(const std::string& why) {
  leader_.store(false);
  log::warn("leader election: no longer the leader: " + why);
  if (options_.on_deposed) options_.on_deposed();
  // Closing the session releases the lock if the server still has it.
  session_->close();
}

void LeaderElection::run() {
  for (;;) {
    if (!leader_.load()) {
      if (tryAcquire()) {
        leader_.store(true);
        log::info("leader election: this node is the leader");
        if (options_.on_elected) options_.on_elected();
      }
      if (!sleepFor(leader_.load() ? options_.check : options_.retry)) break;
      continue;
    }
    if (!stillHolds()) {
      depose(lastError().empty() ? "the advisory lock is no longer held" : lastError());
    }
    if (!sleepFor(leader_.load() ? options_.check : options_.retry)) break;
  }
  if (leader_.load()) depose("shutting down");
  session_->close();
}

}  // namespace shipgate::cluster
