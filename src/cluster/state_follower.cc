#include "shipgate/cluster/state_follower.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "shipgate/cluster/pg_session.h"
#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"

namespace shipgate::cluster {

StateFollower::StateFollower(FollowerOptions options)
    : options_(std::move(options)), session_(std::make_unique<PgSession>(options_.url)) {
  if (pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
}

StateFollower::~StateFollower() {
  stop();
  if (wake_[0] >= 0) ::close(wake_[0]);
  if (wake_[1] >= 0) ::close(wake_[1]);
}

Status StateFollower::connectAndListen() {
  SG_RETURN_IF_ERROR(session_->ensureConnected());
  return session_->exec(std::string("LISTEN ") + kStateChannel);
}

Result<int64_t> StateFollower::readVersion() {
  // The table is the store's; a database the store has not set up yet reads as version 0.
  auto exists = session_->query("SELECT to_regclass('state_version') IS NOT NULL");
  if (!exists) return exists.status();
  if (exists->empty() || (*exists)[0][0].value_or("f") != "t") return int64_t{0};
  auto rows = session_->query("SELECT coalesce(max(version), 0) FROM state_version WHERE id = 1");
  if (!rows) return rows.status();
  if (rows->empty() || !(*rows)[0][0]) return int64_t{0};
  try {
    return static_cast<int64_t>(std::stoll(*(*rows)[0][0]));
  } catch (...) {
    return Status::internal("state_version is not a number: " + *(*rows)[0][0]);
  }
}

Status StateFollower::applyNow(bool force) {
  auto version = readVersion();
  if (!version) return version.status();
  if (!force && *version == applied_.load()) return Status::success();
  Status st = options_.apply ? options_.apply(*version) : Status::success();
  if (st.isOk()) applied_.store(*version);
  return st;
}

Status StateFollower::start() {
  SG_RETURN_IF_ERROR(connectAndListen());
  SG_RETURN_IF_ERROR(applyNow(/*force=*/true));
  stopping_.store(false);
  thread_ = std::thread([this] {
    setThreadName("sg-follower");
    run();
  });
  return Status::success();
}

void StateFollower::stop() {
  stopping_.store(true);
  if (wake_[1] >= 0) (void)!::write(wake_[1], "x", 1);
  if (thread_.joinable()) thread_.join();
  session_->close();
}

void StateFollower::kick() {
  force_.store(true);
  if (wake_[1] >= 0) (void)!::write(wake_[1], "k", 1);
}

void StateFollower::run() {
  using Clock = std::chrono::steady_clock;
  auto next_resync = Clock::now() + options_.resync;
  std::string last_error;
  bool reconnected = false;
  auto report = [&](const Status& st) {
    if (st.isOk()) {
      if (!last_error.empty()) log::info("cluster: following the shared state again");
      last_error.clear();
    } else if (st.message() != last_error) {
      log::warn("cluster: the shared state was not applied: " + st.message());
      last_error = st.message();
    }
  };
  while (!stopping_.load()) {
    if (!session_->connected()) {
      Status st = connectAndListen();
      if (!st.isOk()) {
        report(st);
        pollfd p{wake_[0], POLLIN, 0};
        (void)::poll(&p, 1, 1000);
        char buf[64];
        while (wake_[0] >= 0 && ::read(wake_[0], buf, sizeof buf) > 0) {
        }
        continue;
      }
      reconnected = true;  // notifications may have been missed while it was away
    }
    bool wake = reconnected || force_.exchange(false);
    reconnected = false;
    if (!wake) {
      const auto now = Clock::now();
      const int timeout_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(next_resync - now).count()));
      pollfd fds[2] = {{session_->socket(), POLLIN, 0}, {wake_[0], POLLIN, 0}};
      int n = ::poll(fds, wake_[0] >= 0 ? 2 : 1, timeout_ms);
      if (stopping_.load()) break;
      if (n > 0 && (fds[1].revents & POLLIN) != 0) {
        char buf[64];
        while (::read(wake_[0], buf, sizeof buf) > 0) {
        }
        wake = force_.exchange(false) || wake;
      }
      if (n > 0 && (fds[0].revents & (POLLIN | POLLERR | POLLHUP)) != 0) {
        auto got = session_->consumeNotifications();
        if (!got) {
          report(got.status());
          continue;
        }
        notifications_.fetch_add(static_cast<int64_t>(got->size()));
        if (!got->empty()) wake = true;
      }
    }
    const bool resync = Clock::now() >= next_resync;
    if (resync) next_resync = Clock::now() + options_.resync;
    if (!wake && !resync) continue;
    // A notification or a forced turn applies even when state_version looks unchanged (the
    // notification's transaction committed, so the version is new; force covers the rest).
    report(applyNow(/*force=*/wake));
  }
}

}  // namespace shipgate::cluster
