#include "sqlite_flags_backend.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include "shipgate/store/state_file.h"

namespace shipgate::flags {
namespace {

constexpr const char* kFlagsV1 = R"sql(
CREATE TABLE flags_versions (
  environment TEXT NOT NULL CHECK (environment <> ''),
  key         TEXT NOT NULL CHECK (key <> ''),
  version     INTEGER NOT NULL CHECK (version >= 1),
  definition  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  created_by  TEXT NOT NULL,
  reason      TEXT NOT NULL,
  seq         INTEGER NOT NULL UNIQUE,
  PRIMARY KEY (environment, key, version)
) STRICT;
CREATE TRIGGER flags_versions_refuse_update BEFORE UPDATE ON flags_versions
BEGIN
  SELECT RAISE(ABORT, 'flag versions are never changed: write a new one');
END;
CREATE TABLE flags_audit (
  seq         INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL CHECK (action <> ''),
  environment TEXT NOT NULL,
  key         TEXT NOT NULL,
  version     INTEGER NOT NULL,
  reason      TEXT NOT NULL
) STRICT;
CREATE TRIGGER flags_audit_refuses_update BEFORE UPDATE ON flags_audit
BEGIN
  SELECT RAISE(ABORT, 'the flags audit log is append-only');
END;
CREATE TRIGGER flags_audit_refuses_delete BEFORE DELETE ON flags_audit
BEGIN
  SELECT RAISE(ABORT, 'the flags audit log is append-only');
END;
)sql";

constexpr const char* kVersionCols =
    "environment, key, version, definition, created_at, created_by, reason, seq";

FlagVersion versionRow(SQLite::Statement& st) {
  FlagVersion v;
  v.environment = st.getColumn(0).getString();
  v.key = st.getColumn(1).getString();
  v.version = st.getColumn(2).getInt64();
  v.definition = nlohmann::json::parse(st.getColumn(3).getString(), nullptr, false);
  v.created_at = st.getColumn(4).getInt64();
  v.created_by = st.getColumn(5).getString();
  v.reason = st.getColumn(6).getString();
  v.seq = st.getColumn(7).getInt64();
  return v;
}

}  // namespace

SqliteFlagsBackend::SqliteFlagsBackend(std::string path, std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}
SqliteFlagsBackend::~SqliteFlagsBackend() = default;

Result<std::unique_ptr<SqliteFlagsBackend>> SqliteFlagsBackend::open(
    const std::string& dir, std::chrono::milliseconds busy_timeout) {
  auto file = store::openStateFile(dir, busy_timeout);
  if (!file.isOk()) return file.status();
  const std::string path = file->path;
  auto backend = std::make_unique<SqliteFlagsBackend>(path, std::move(file->db));
  SQLite::Database& db = *backend->db_;
  int newest = 0;
  Status status = backend->atomically([&]() -> Status {
    return backend->run([&]() -> Status {
      db.exec(
          "CREATE TABLE IF NOT EXISTS flags_schema ("
          " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT");
      SQLite::Statement seen(db, "SELECT COALESCE(MAX(version), 0) FROM flags_schema");
      seen.executeStep();
      newest = seen.getColumn(0).getInt();
      if (newest >= 1) return Status::success();
      db.exec(kFlagsV1);
      db.exec(
          "INSERT INTO flags_schema (version, name, applied_at) VALUES "
          "(1, 'flags: versions, audit', unixepoch() * 1000)");
      return Status::success();
    });
  });
  if (!status.isOk()) {
    return Status::internal("state database " + path +
                            ": flags schema version 1 failed, nothing of it applied: " +
                            status.message());
  }
  if (newest > kSchemaVersion) {
    return Status::failedPrecondition("state database " + path + " has flags schema version " +
                                      std::to_string(newest) + ", newer than this shipgate's " +
                                      std::to_string(kSchemaVersion));
  }
  return backend;
}

template <typename F>
Status SqliteFlagsBackend::run(F&& fn) {
  try {
    return fn();
  } catch (const SQLite::Exception& ex) {
    const std::string where = "state database " + path_ + ": ";
    switch (ex.getErrorCode()) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::unavailable(where + "busy: " + ex.what());
      case SQLITE_CONSTRAINT:
        return Status::failedPrecondition(where + ex.what());
      default:
        return Status::internal(where + ex.what());
    }
  } catch (const std::exception& ex) {
    return Status::internal("state database " + path_ + ": " + ex.what());
  }
}

Status SqliteFlagsBackend::atomically(const std::function<Status()>& body) {
  if (depth_ > 0) return body();
  Status status = run([&]() -> Status {
    db_->exec("BEGIN IMMEDIATE");
    return Status::success();
  });
  if (!status.isOk()) return status;
  ++depth_;
  status = body();
  --depth_;
  if (status.isOk()) {
    status = run([&]() -> Status {
      db_->exec("COMMIT");
      return Status::success();
    });
  }
  if (!status.isOk() && sqlite3_get_autocommit(db_->getHandle()) == 0) {
    sqlite3_exec(db_->getHandle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
  return status;
}

Result<std::optional<FlagVersion>> SqliteFlagsBackend::find(const std::string& env,
                                                            const std::string& key,
                                                            std::optional<int64_t> version) {
  std::optional<FlagVersion> out;
  Status s = run([&]() -> Status {
    std::string sql = std::string("SELECT ") + kVersionCols +
                      " FROM flags_versions WHERE environment = ? AND key = ?";
    sql += version ? " AND version = ?" : " ORDER BY version DESC LIMIT 1";
    SQLite::Statement st(*db_, sql);
    st.bind(1, env);
    st.bind(2, key);
    if (version) st.bind(3, static_cast<int64_t>(*version));
    if (st.executeStep()) out = versionRow(st);
    return Status::success();
  });
  if (!s.isOk()) return s;
  return out;
}

Result<std::vector<FlagVersion>> SqliteFlagsBackend::latest(const std::string& env) {
  std::vector<FlagVersion> out;
  Status s = run([&]() -> Status {
    SQLite::Statement st(
        *db_, std::string("SELECT ") + kVersionCols +
                  " FROM flags_versions v WHERE (? = '' OR environment = ?) AND version = "
                  "(SELECT MAX(version) FROM flags_versions w WHERE w.environment = "
                  "v.environment AND w.key = v.key) ORDER BY environment, key");
    st.bind(1, env);
    st.bind(2, env);
    while (st.executeStep()) out.push_back(versionRow(st));
    return Status::success();
  });
  if (!s.isOk()) return s;
  return out;
}

Result<std::vector<FlagVersion>> SqliteFlagsBackend::versions(const std::string& env,
                                                              const std::string& key) {
  std::vector<FlagVersion> out;
  Status s = run([&]() -> Status {
    SQLite::Statement st(*db_, std::string("SELECT ") + kVersionCols +
                                   " FROM flags_versions WHERE environment = ? AND "
                                   "(? = '' OR key = ?) ORDER BY seq");
    st.bind(1, env);
    st.bind(2, key);
    st.bind(3, key);
    while (st.executeStep()) out.push_back(versionRow(st));
    return Status::success();
  });
  if (!s.isOk()) return s;
  return out;
}

Status SqliteFlagsBackend::insertVersion(const FlagVersion& v) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_, std::string("INSERT INTO flags_versions (") + kVersionCols +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, v.environment);
    st.bind(2, v.key);
    st.bind(3, static_cast<int64_t>(v.version));
    st.bind(4, v.definition.dump());
    st.bind(5, static_cast<int64_t>(v.created_at));
    st.bind(6, v.created_by);
    st.bind(7, v.reason);
    st.bind(8, static_cast<int64_t>(v.seq));
    st.exec();
    return Status::success();
  });
}

Status SqliteFlagsBackend::appendAudit(const FlagAuditEntry& e) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "INSERT INTO flags_audit (seq, at, actor, action, environment, key, "
                         "version, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, static_cast<int64_t>(e.seq));
    st.bind(2, static_cast<int64_t>(e.at));
    st.bind(3, e.actor);
    st.bind(4, e.action);
    st.bind(5, e.environment);
    st.bind(6, e.key);
    st.bind(7, static_cast<int64_t>(e.version));
    st.bind(8, e.reason);
    st.exec();
    return Status::success();
  });
}

Result<std::vector<FlagAuditEntry>> SqliteFlagsBackend::audit(const std::string& env) {
  std::vector<FlagAuditEntry> out;
  Status s = run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "SELECT seq, at, actor, action, environment, key, version, reason "
                         "FROM flags_audit WHERE (? = '' OR environment = ?) ORDER BY seq");
    st.bind(1, env);
    st.bind(2, env);
    while (st.executeStep()) {
      out.push_back(FlagAuditEntry{st.getColumn(0).getInt64(), st.getColumn(1).getInt64(),
                                   st.getColumn(2).getString(), st.getColumn(3).getString(),
                                   st.getColumn(4).getString(), st.getColumn(5).getString(),
                                   st.getColumn(6).getInt64(), st.getColumn(7).getString()});
    }
    return Status::success();
  });
  if (!s.isOk()) return s;
  return out;
}

Result<int64_t> SqliteFlagsBackend::changeMark() {
  int64_t out = 0;
  Status s = run([&]() -> Status {
    SQLite::Statement st(*db_, "SELECT COALESCE(MAX(seq), 0) FROM flags_audit");
    if (st.executeStep()) out = st.getColumn(0).getInt64();
    return Status::success();
  });
  if (!s.isOk()) return s;
  return out;
}

}  // namespace shipgate::flags
