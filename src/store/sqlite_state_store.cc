// SqliteStateStore: opening the file, migrations, transactions, error mapping. The records'
// statements are in sqlite_releases.cc and sqlite_records.cc.
#include "shipgate/store/sqlite_state_store.h"

#include "shipgate/common/clock.h"
#include "shipgate/store/state_file.h"
#include "sqlite_impl.h"

namespace shipgate::store {
namespace {

std::string pragmaText(SQLite::Database& db, const std::string& pragma) {
  SQLite::Statement st(db, "PRAGMA " + pragma);
  return st.executeStep() ? st.getColumn(0).getString() : std::string();
}

}  // namespace

namespace sqlite_detail {

bool undo(sqlite3* db, bool top, const std::string& savepoint) {
  if (sqlite3_get_autocommit(db) != 0) return false;  // no transaction left to undo
  const std::string sql =
      top ? std::string("ROLLBACK") : "ROLLBACK TO " + savepoint + "; RELEASE " + savepoint;
  sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  return true;
}

Status checkJson(SQLite::Database& db, const std::string& what, const std::string& text) {
  if (text.empty()) return Status::success();
  SQLite::Statement st(db, "SELECT json_valid(?)");
  st.bind(1, text);
  if (st.executeStep() && st.getColumn(0).getInt() == 1) return Status::success();
  return Status::invalidArgument(what + ": not valid JSON");
}

bool appExists(SQLite::Database& db, const std::string& name) {
  SQLite::Statement st(db, "SELECT 1 FROM apps WHERE name = ?");
  st.bind(1, name);
  return st.executeStep();
}

Status requireApp(SQLite::Database& db, const std::string& name) {
  if (appExists(db, name)) return Status::success();
  return Status::failedPrecondition("app '" + name + "' is not recorded in the state store");
}

}  // namespace sqlite_detail

SqliteStateStore::SqliteStateStore(Key, std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}

SqliteStateStore::~SqliteStateStore() = default;

Result<std::unique_ptr<SqliteStateStore>> SqliteStateStore::open(const std::string& dir,
                                                                 Options options) {
  auto file = openStateFile(dir, options.busy_timeout);
  if (!file.isOk()) return file.status();
  const std::string path = file->path;
  auto store = std::make_unique<SqliteStateStore>(Key{}, path, std::move(file->db));
  MutexLock lock(store->mu_);
  SQLite::Database& conn = *store->db_;
  try {
    if (options.max_page_count_for_test > 0) {
      conn.exec("PRAGMA max_page_count=" + std::to_string(options.max_page_count_for_test));
    }
    const std::string check = pragmaText(conn, "quick_check");
    if (check != "ok") {
      return Status::internal("state database " + path + " is corrupt: " + check);
    }
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode();
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
      return Status::internal("state database " + path +
                              " is not a readable database: " + e.what());
    }
    return store->fromException(std::current_exception());
  }

  // Migrations: each in its own transaction with its schema_migrations row.
  int applied = 0;
  Status status = store->write([&](SQLite::Database& db) -> Status {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT");
    SQLite::Statement st(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    st.executeStep();
    applied = st.getColumn(0).getInt();
    return Status::success();
  });
  if (!status.isOk()) return status;
  if (applied > kSchemaVersion) {
    return Status::failedPrecondition(
        "state database " + path + " has schema version " + std::to_string(applied) +
        ", newer than this shipgate's " + std::to_string(kSchemaVersion) +
        ": run a newer shipgate, or point state.dir at another directory");
  }
  const int up_to =
      options.migrate_up_to_for_test > 0 ? options.migrate_up_to_for_test : kSchemaVersion;
  for (const Migration& m : migrations()) {
    if (m.version <= applied || m.version > up_to) continue;
    status = store->write([&](SQLite::Database& db) -> Status {
      // Another process may have applied it since we looked.
      SQLite::Statement seen(db, "SELECT 1 FROM schema_migrations WHERE version = ?");
      seen.bind(1, m.version);
      if (seen.executeStep()) return Status::success();
      db.exec(std::string(m.sql));
      SQLite::Statement add(
          db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
      SQLite::bind(add, m.version, std::string(m.name), RealClock::instance().wallMillis());
      add.exec();
      return Status::success();
    });
    if (!status.isOk()) {
      return Status::internal("state database " + path + ": migration " +
                              std::to_string(m.version) + " (" + std::string(m.name) +
                              ") failed, nothing of it applied: " + status.message());
    }
  }
  return store;
}

Result<int> SqliteStateStore::schemaVersion() {
  Session lock(*this);
  int version = 0;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
    st.executeStep();
    version = st.getColumn(0).getInt();
    return Status::success();
  });
  if (!status.isOk()) return status;
  return version;
}

Status SqliteStateStore::atomically(const std::function<Status()>& body) {
  const bool nested = owner_.load() == std::this_thread::get_id();
  std::exception_ptr thrown;
  auto run = [&](SQLite::Database&) -> Status {
    try {
      return body();
    } catch (...) {
      thrown = std::current_exception();
      return Status::internal("atomically: the body threw");
    }
  };
  Status status;
  if (nested) {
    mu_.assertHeld();
    status = write(run);
  } else {
    MutexLock lock(mu_);
    owner_.store(std::this_thread::get_id());
    status = write(run);
    owner_.store(std::thread::id());
  }
  if (thrown) std::rethrow_exception(thrown);
  return status;
}

Status SqliteStateStore::brokenStatus() const {
  return Status::ioError(
      "state database " + path_ +
      ": the transaction was rolled back, nothing of it was written: " + broken_);
}

Status SqliteStateStore::fromException(std::exception_ptr e) const {
  const std::string where = "state database " + path_ + ": ";
  try {
    std::rethrow_exception(std::move(e));
  } catch (const SQLite::Exception& ex) {
    switch (ex.getErrorCode()) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::unavailable(where + "busy: " + ex.what());
      case SQLITE_CONSTRAINT:
        switch (ex.getExtendedErrorCode()) {
          case SQLITE_CONSTRAINT_FOREIGNKEY:
          case SQLITE_CONSTRAINT_TRIGGER:
            return Status::failedPrecondition(where + ex.what());
          case SQLITE_CONSTRAINT_UNIQUE:
          case SQLITE_CONSTRAINT_PRIMARYKEY:
            return Status::alreadyExists(where + ex.what());
          default:
            return Status::invalidArgument(where + ex.what());
        }
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_CANTOPEN:
      case SQLITE_READONLY:
      case SQLITE_PERM:
        return Status::ioError(where + ex.what());
      case SQLITE_CORRUPT:
      case SQLITE_NOTADB:
        return Status::internal(where + "corrupt: " + ex.what());
      default:
        return Status::internal(where + ex.what());
    }
  } catch (const std::exception& ex) {
    return Status::internal(where + ex.what());
  } catch (...) {
    return Status::internal(where + "unknown error");
  }
}

}  // namespace shipgate::store
