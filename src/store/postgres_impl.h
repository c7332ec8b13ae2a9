// Private to the PostgreSQL store: the re-entrant connection lock, the transaction helpers and the
// small statement helpers its .cc files share.
#pragma once

#include <exception>
#include <string>
#include <thread>

#include "shipgate/store/postgres_connection.h"
#include "shipgate/store/postgres_state_store.h"

namespace shipgate::store {

// Holds the store's mutex for a method's duration, unless the calling thread already holds it
// inside atomically() (then the call joins that transaction).
class SCOPED_CAPABILITY PostgresStateStore::Session {
 public:
  explicit Session(PostgresStateStore& store) ACQUIRE(store.mu_) NO_THREAD_SAFETY_ANALYSIS
      : store_(store),
        locked_(store.owner_.load() != std::this_thread::get_id()) {
    if (locked_) store_.mu_.lock();
  }
  ~Session() RELEASE() NO_THREAD_SAFETY_ANALYSIS {
    if (locked_) store_.mu_.unlock();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  PostgresStateStore& store_;
  const bool locked_;
};

namespace pg_detail {

using pg::pgBool;
using pg::PgConnection;
using pg::pgInt;
using pg::PgParam;
using pg::pgText;

// InvalidArgument unless `text` is empty or one valid JSON text.
Status checkJson(PgConnection& db, const std::string& what, const std::string& text);
// "app 'x' is not recorded" as FailedPrecondition, or ok.
Status requireApp(PgConnection& db, const std::string& name);
// Locks the change counter's row for the rest of the transaction. Every notifying write calls
// it before touching any other row (see the header's contract).
Status lockVersion(PgConnection& db);
// Increments the change counter and queues pg_notify('shipgate_state', '<v> <kind> <key>').
Status bump(PgConnection& db, const std::string& kind, const std::string& key);
// LIMIT's argument: NULL (all) for limit <= 0.
inline PgParam pgLimit(int limit) { return limit <= 0 ? PgParam::null() : pgInt(limit); }
std::string exceptionText(std::exception_ptr e);

}  // namespace pg_detail

template <typename F>
Status PostgresStateStore::write(F&& fn) {
  if (!broken_.empty()) return brokenStatus();
  const bool top = depth_ == 0;
  const std::string savepoint = "sg_" + std::to_string(depth_);
  SG_RETURN_IF_ERROR(begin(top, /*read_only=*/false));
  ++depth_;
  Status status;
  try {
    status = fn(*conn_);
  } catch (...) {
    status = Status::internal(where_ + ": " + pg_detail::exceptionText(std::current_exception()));
  }
  if (status.isOk() && !broken_.empty()) status = brokenStatus();
  if (status.isOk()) {
    status = conn_->run(top ? std::string("COMMIT") : "RELEASE SAVEPOINT " + savepoint);
  }
  --depth_;
  if (!status.isOk()) {
    const Status undone =
        conn_->run(top ? std::string("ROLLBACK")
                       : "ROLLBACK TO SAVEPOINT " + savepoint + "; RELEASE SAVEPOINT " + savepoint);
    if (!undone.isOk() && !top && broken_.empty()) broken_ = status.message();
  }
  if (top) broken_.clear();
  return status;
}

template <typename F>
Status PostgresStateStore::read(F&& fn) {
  if (!broken_.empty()) return brokenStatus();
  if (depth_ > 0) return write(std::forward<F>(fn));
  SG_RETURN_IF_ERROR(begin(/*top=*/true, /*read_only=*/true));
  Status status;
  try {
    status = fn(*conn_);
  } catch (...) {
    status = Status::internal(where_ + ": " + pg_detail::exceptionText(std::current_exception()));
  }
  if (status.isOk()) {
    status = conn_->run("COMMIT");
  } else {
    (void)conn_->run("ROLLBACK");
  }
  return status;
}

}  // namespace shipgate::store
