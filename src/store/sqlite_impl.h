// Private to the SQLite store: the re-entrant connection lock, the transaction helpers and the
// small statement helpers its .cc files share.
#pragma once

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/VariadicBind.h>
#include <sqlite3.h>

#include <exception>
#include <string>
#include <thread>

#include "shipgate/store/sqlite_state_store.h"

namespace shipgate::store {

// Holds the store's mutex for a method's duration, unless the calling thread already holds it
// inside atomically() (then the call joins that transaction). The analysis cannot follow the
// condition, so the constructor and destructor are exempt; the annotations state the effect.
class SCOPED_CAPABILITY SqliteStateStore::Session {
 public:
  explicit Session(SqliteStateStore& store) ACQUIRE(store.mu_) NO_THREAD_SAFETY_ANALYSIS
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
  SqliteStateStore& store_;
  const bool locked_;
};

namespace sqlite_detail {

// Undoes the open transaction (top) or savepoint `sp` without throwing. Returns false when
// SQLite had already rolled the whole transaction back on its own (after an I/O error, a full
// disk, ...).
bool undo(sqlite3* db, bool top, const std::string& savepoint);

// InvalidArgument unless `text` is empty or one valid JSON text (SQLite's json_valid).
Status checkJson(SQLite::Database& db, const std::string& what, const std::string& text);
bool appExists(SQLite::Database& db, const std::string& name);
// "app 'x' is not recorded" as FailedPrecondition, or ok.
Status requireApp(SQLite::Database& db, const std::string& name);
inline int64_t sqlLimit(int limit) { return limit <= 0 ? -1 : limit; }

}  // namespace sqlite_detail

template <typename F>
Status SqliteStateStore::write(F&& fn) {
  if (!broken_.empty()) return brokenStatus();
  const bool top = depth_ == 0;
  const std::string savepoint = "sg_" + std::to_string(depth_);
  sqlite3* handle = db_->getHandle();
  try {
    db_->exec(top ? std::string("BEGIN IMMEDIATE") : "SAVEPOINT " + savepoint);
  } catch (...) {
    return fromException(std::current_exception());
  }
  ++depth_;
  Status status;
  try {
    status = fn(*db_);
  } catch (...) {
    status = fromException(std::current_exception());
  }
  // A write inside fn failed in a way that made SQLite roll the whole transaction back.
  if (status.isOk() && !broken_.empty()) status = brokenStatus();
  if (status.isOk()) {
    try {
      db_->exec(top ? std::string("COMMIT") : "RELEASE " + savepoint);
    } catch (...) {
      status = fromException(std::current_exception());
    }
  }
  --depth_;
  if (!status.isOk() && !sqlite_detail::undo(handle, top, savepoint) && !top && broken_.empty()) {
    broken_ = status.message();
  }
  if (top) broken_.clear();
  return status;
}

template <typename F>
Status SqliteStateStore::read(F&& fn) {
  if (!broken_.empty()) return brokenStatus();
  if (depth_ > 0) {
    try {
      return fn(*db_);
    } catch (...) {
      return fromException(std::current_exception());
    }
  }
  Status status;
  try {
    db_->exec("BEGIN");
    status = fn(*db_);
    db_->exec("COMMIT");
  } catch (...) {
    status = fromException(std::current_exception());
  }
  if (!status.isOk()) sqlite_detail::undo(db_->getHandle(), true, "");
  return status;
}

}  // namespace shipgate::store
