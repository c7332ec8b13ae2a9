#include "shipgate/secrets/sqlite_secrets_backend.h"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <string_view>

#include "shipgate/store/state_file.h"

namespace shipgate::secrets {
namespace {

struct SchemaVersion {
  int version;
  std::string_view name;
  std::string_view sql;
};

constexpr std::string_view kSecretsV1 = R"sql(
CREATE TABLE secrets_meta (
  key   TEXT PRIMARY KEY CHECK (key <> ''),
  value TEXT NOT NULL
) STRICT;

CREATE TABLE secrets_keys (
  id          INTEGER PRIMARY KEY,
  purpose     TEXT NOT NULL CHECK (purpose IN ('value', 'audit')),
  wrapped     BLOB NOT NULL,
  root_key_id TEXT NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets_paths (
  path            TEXT PRIMARY KEY CHECK (substr(path, 1, 1) = '/'),
  current_version INTEGER NOT NULL CHECK (current_version >= 0),
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  deleted_at      INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets_versions (
  path         TEXT NOT NULL REFERENCES secrets_paths (path),
  version      INTEGER NOT NULL CHECK (version >= 1),
  sealed       BLOB,
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  destroyed_at INTEGER NOT NULL,
  PRIMARY KEY (path, version),
  CHECK ((sealed IS NULL) = (destroyed_at <> 0))
) STRICT;

CREATE TABLE secrets_labels (
  path       TEXT NOT NULL,
  label      TEXT NOT NULL CHECK (label <> ''),
  version    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (path, label),
  FOREIGN KEY (path, version) REFERENCES secrets_versions (path, version)
) STRICT;

CREATE TABLE secrets_audit (
  seq       INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL CHECK (action <> ''),
  path      TEXT NOT NULL,
  version   INTEGER NOT NULL,
  outcome   TEXT NOT NULL,
  prev_hash BLOB NOT NULL,
  hash      BLOB NOT NULL
) STRICT;
CREATE TRIGGER secrets_audit_refuses_update BEFORE UPDATE ON secrets_audit
BEGIN
  SELECT RAISE(ABORT, 'the secrets audit log is append-only');
END;
CREATE TRIGGER secrets_audit_refuses_delete BEFORE DELETE ON secrets_audit
BEGIN
  SELECT RAISE(ABORT, 'the secrets audit log is append-only');
END;
)sql";

constexpr SchemaVersion kSchema[] = {
    {1, "secrets: meta, keys, paths, versions, labels, audit chain", kSecretsV1},
};
static_assert(kSchema[std::size(kSchema) - 1].version == SqliteSecretsBackend::kSchemaVersion);

std::string blob(const SQLite::Column& c) {
  if (c.isNull()) return {};
  return std::string(static_cast<const char*>(c.getBlob()), static_cast<size_t>(c.getBytes()));
}

void bindBlob(SQLite::Statement& st, int index, const std::string& bytes) {
  st.bind(index, bytes.data(), static_cast<int>(bytes.size()));
}

PathRow pathRow(SQLite::Statement& st) {
  PathRow r;
  r.path = st.getColumn(0).getString();
  r.current_version = st.getColumn(1).getInt64();
  r.created_at = st.getColumn(2).getInt64();
  r.updated_at = st.getColumn(3).getInt64();
  r.deleted_at = st.getColumn(4).getInt64();
  return r;
}

VersionRow versionRow(SQLite::Statement& st) {
  VersionRow r;
  r.path = st.getColumn(0).getString();
  r.version = st.getColumn(1).getInt64();
  if (!st.getColumn(2).isNull()) r.sealed = blob(st.getColumn(2));
  r.created_at = st.getColumn(3).getInt64();
  r.created_by = st.getColumn(4).getString();
  r.destroyed_at = st.getColumn(5).getInt64();
  return r;
}

LabelRow labelRow(SQLite::Statement& st) {
  LabelRow r;
  r.path = st.getColumn(0).getString();
  r.label = st.getColumn(1).getString();
  r.version = st.getColumn(2).getInt64();
  r.updated_at = st.getColumn(3).getInt64();
  return r;
}

AuditRow auditRow(SQLite::Statement& st) {
  AuditRow r;
  r.seq = st.getColumn(0).getInt64();
  r.at = st.getColumn(1).getInt64();
  r.actor = st.getColumn(2).getString();
  r.action = st.getColumn(3).getString();
  r.path = st.getColumn(4).getString();
  r.version = st.getColumn(5).getInt64();
  r.outcome = st.getColumn(6).getString();
  r.prev_hash = blob(st.getColumn(7));
  r.hash = blob(st.getColumn(8));
  return r;
}

constexpr const char* kPathCols = "path, current_version, created_at, updated_at, deleted_at";
constexpr const char* kVersionCols = "path, version, sealed, created_at, created_by, destroyed_at";
constexpr const char* kAuditCols =
    "seq, at, actor, action, path, version, outcome, prev_hash, hash";

}  // namespace

SqliteSecretsBackend::SqliteSecretsBackend(Key, std::string path,
                                           std::unique_ptr<SQLite::Database> db)
    : path_(std::move(path)), db_(std::move(db)) {}

SqliteSecretsBackend::~SqliteSecretsBackend() = default;

Result<std::unique_ptr<SqliteSecretsBackend>> SqliteSecretsBackend::open(
    const std::string& dir, std::chrono::milliseconds busy_timeout) {
  auto file = store::openStateFile(dir, busy_timeout);
  if (!file.isOk()) return file.status();
  const std::string path = file->path;
  auto backend = std::make_unique<SqliteSecretsBackend>(Key{}, path, std::move(file->db));
  SQLite::Database& db = *backend->db_;
  Status status;
  for (const SchemaVersion& v : kSchema) {
    status = backend->atomically([&]() -> Status {
      return backend->run([&]() -> Status {
        db.exec(
            "CREATE TABLE IF NOT EXISTS secrets_schema ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) "
            "STRICT");
        SQLite::Statement seen(db, "SELECT 1 FROM secrets_schema WHERE version = ?");
        seen.bind(1, v.version);
        if (seen.executeStep()) return Status::success();
        db.exec(std::string(v.sql));
        SQLite::Statement add(db,
                              "INSERT INTO secrets_schema (version, name, applied_at) "
                              "VALUES (?, ?, unixepoch() * 1000)");
        add.bind(1, v.version);
        add.bind(2, std::string(v.name));
        add.exec();
        return Status::success();
      });
    });
    if (!status.isOk()) {
      return Status::internal("state database " + path + ": secrets schema version " +
                              std::to_string(v.version) +
                              " failed, nothing of it applied: " + status.message());
    }
  }
  int newest = 0;
  status = backend->run([&]() -> Status {
    SQLite::Statement st(db, "SELECT COALESCE(MAX(version), 0) FROM secrets_schema");
    st.executeStep();
    newest = st.getColumn(0).getInt();
    return Status::success();
  });
  if (!status.isOk()) return status;
  if (newest > kSchemaVersion) {
    return Status::failedPrecondition("state database " + path + " has secrets schema version " +
                                      std::to_string(newest) + ", newer than this shipgate's " +
                                      std::to_string(kSchemaVersion));
  }
  return backend;
}

template <typename F>
Status SqliteSecretsBackend::run(F&& fn) {
  try {
    return fn();
  } catch (...) {
    return fromException(std::current_exception());
  }
}

Status SqliteSecretsBackend::fromException(std::exception_ptr e) const {
  const std::string where = "state database " + path_ + ": ";
  try {
    std::rethrow_exception(std::move(e));
  } catch (const SQLite::Exception& ex) {
    switch (ex.getErrorCode()) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        return Status::unavailable(where + "busy: " + ex.what());
      case SQLITE_CONSTRAINT:
        return Status::failedPrecondition(where + ex.what());
      case SQLITE_IOERR:
      case SQLITE_FULL:
      case SQLITE_CANTOPEN:
      case SQLITE_READONLY:
      case SQLITE_PERM:
        return Status::ioError(where + ex.what());
      default:
        return Status::internal(where + ex.what());
    }
  } catch (const std::exception& ex) {
    return Status::internal(where + ex.what());
  }
}

Status SqliteSecretsBackend::atomically(const std::function<Status()>& body) {
  if (depth_ > 0) return body();  // joins the open transaction
  Status status = run([&]() -> Status {
    db_->exec("BEGIN IMMEDIATE");
    return Status::success();
  });
  if (!status.isOk()) return status;
  ++depth_;
  std::exception_ptr thrown;
  try {
    status = body();
  } catch (...) {
    thrown = std::current_exception();
    status = Status::internal("atomically: the body threw");
  }
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
  if (thrown) std::rethrow_exception(thrown);
  return status;
}

Result<std::optional<std::string>> SqliteSecretsBackend::getMeta(const std::string& key) {
  std::optional<std::string> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_, "SELECT value FROM secrets_meta WHERE key = ?");
    st.bind(1, key);
    if (st.executeStep()) out = st.getColumn(0).getString();
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteSecretsBackend::putMeta(const std::string& key, const std::string& value) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "INSERT INTO secrets_meta (key, value) VALUES (?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    st.bind(1, key);
    st.bind(2, value);
    st.exec();
    return Status::success();
  });
}

Result<std::vector<KeyRow>> SqliteSecretsBackend::listKeys() {
  std::vector<KeyRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(
        *db_, "SELECT id, purpose, wrapped, root_key_id, created_at FROM secrets_keys ORDER BY id");
    while (st.executeStep()) {
      KeyRow r;
      r.id = static_cast<uint32_t>(st.getColumn(0).getInt64());
      r.purpose = st.getColumn(1).getString();
      r.wrapped = blob(st.getColumn(2));
      r.root_key_id = st.getColumn(3).getString();
      r.created_at = st.getColumn(4).getInt64();
      out.push_back(std::move(r));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteSecretsBackend::insertKey(const KeyRow& row) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "INSERT INTO secrets_keys (id, purpose, wrapped, root_key_id, created_at) "
                         "VALUES (?, ?, ?, ?, ?)");
    st.bind(1, static_cast<int64_t>(row.id));
    st.bind(2, row.purpose);
    bindBlob(st, 3, row.wrapped);
    st.bind(4, row.root_key_id);
    st.bind(5, row.created_at);
    st.exec();
    return Status::success();
  });
}

Status SqliteSecretsBackend::rewrapKey(uint32_t id, const std::string& wrapped,
                                       const std::string& root_key_id) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_, "UPDATE secrets_keys SET wrapped = ?, root_key_id = ? WHERE id = ?");
    bindBlob(st, 1, wrapped);
    st.bind(2, root_key_id);
    st.bind(3, static_cast<int64_t>(id));
    if (st.exec() != 1) return Status::notFound("data key " + std::to_string(id) + ": no such key");
    return Status::success();
  });
}

Result<std::optional<PathRow>> SqliteSecretsBackend::findPath(const std::string& path) {
  std::optional<PathRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_,
                         std::string("SELECT ") + kPathCols + " FROM secrets_paths WHERE path = ?");
    st.bind(1, path);
    if (st.executeStep()) out = pathRow(st);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteSecretsBackend::upsertPath(const PathRow& row) {
  return run([&]() -> Status {
    SQLite::Statement st(
        *db_,
        "INSERT INTO secrets_paths (path, current_version, created_at, updated_at, deleted_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
        "current_version = excluded.current_version, updated_at = excluded.updated_at, "
        "deleted_at = excluded.deleted_at");
    st.bind(1, row.path);
    st.bind(2, row.current_version);
    st.bind(3, row.created_at);
    st.bind(4, row.updated_at);
    st.bind(5, row.deleted_at);
    st.exec();
    return Status::success();
  });
}

Result<std::vector<PathRow>> SqliteSecretsBackend::pathsUnder(const std::string& prefix) {
  std::vector<PathRow> out;
  Status status = run([&]() -> Status {
    // A range on the primary key rather than LIKE: '_' and '%' are path characters.
    // '0' is the character after '/', so [prefix + "/", prefix + "0") holds exactly the paths
    // below the prefix.
    const std::string base = prefix == "/" ? std::string() : prefix;
    SQLite::Statement st(*db_, std::string("SELECT ") + kPathCols +
                                   " FROM secrets_paths WHERE path = ? OR (path >= ? AND path < "
                                   "?) ORDER BY path");
    st.bind(1, prefix);
    st.bind(2, base + "/");
    st.bind(3, base + "0");
    while (st.executeStep()) out.push_back(pathRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteSecretsBackend::insertVersion(const VersionRow& row) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "INSERT INTO secrets_versions (path, version, sealed, created_at, "
                         "created_by, destroyed_at) VALUES (?, ?, ?, ?, ?, ?)");
    st.bind(1, row.path);
    st.bind(2, row.version);
    if (row.sealed) {
      bindBlob(st, 3, *row.sealed);
    } else {
      st.bind(3);
    }
    st.bind(4, row.created_at);
    st.bind(5, row.created_by);
    st.bind(6, row.destroyed_at);
    st.exec();
    return Status::success();
  });
}

Result<std::optional<VersionRow>> SqliteSecretsBackend::findVersion(const std::string& path,
                                                                    int64_t version) {
  std::optional<VersionRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_, std::string("SELECT ") + kVersionCols +
                                   " FROM secrets_versions WHERE path = ? AND version = ?");
    st.bind(1, path);
    st.bind(2, version);
    if (st.executeStep()) out = versionRow(st);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<VersionRow>> SqliteSecretsBackend::versionsOf(const std::string& path) {
  std::vector<VersionRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_, std::string("SELECT ") + kVersionCols +
                                   " FROM secrets_versions WHERE path = ? ORDER BY version");
    st.bind(1, path);
    while (st.executeStep()) out.push_back(versionRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteSecretsBackend::destroyVersion(const std::string& path, int64_t version, int64_t at) {
  return run([&]() -> Status {
    // zeroblob first: SQLite may reuse the freed page without clearing it (secure_delete is off
    // by default), so the ciphertext's bytes are overwritten before the cell is set to NULL.
    SQLite::Statement wipe(*db_,
                           "UPDATE secrets_versions SET sealed = zeroblob(length(sealed)) "
                           "WHERE path = ? AND version = ? AND sealed IS NOT NULL");
    wipe.bind(1, path);
    wipe.bind(2, version);
    wipe.exec();
    SQLite::Statement st(*db_,
                         "UPDATE secrets_versions SET sealed = NULL, destroyed_at = ? "
                         "WHERE path = ? AND version = ?");
    st.bind(1, at);
    st.bind(2, path);
    st.bind(3, version);
    if (st.exec() != 1) {
      return Status::notFound(path + " has no version " + std::to_string(version));
    }
    return Status::success();
  });
}

Status SqliteSecretsBackend::putLabel(const LabelRow& row) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "INSERT INTO secrets_labels (path, label, version, updated_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (path, label) DO UPDATE SET "
                         "version = excluded.version, updated_at = excluded.updated_at");
    st.bind(1, row.path);
    st.bind(2, row.label);
    st.bind(3, row.version);
    st.bind(4, row.updated_at);
    st.exec();
    return Status::success();
  });
}

Result<std::optional<LabelRow>> SqliteSecretsBackend::findLabel(const std::string& path,
                                                                const std::string& label) {
  std::optional<LabelRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "SELECT path, label, version, updated_at FROM secrets_labels "
                         "WHERE path = ? AND label = ?");
    st.bind(1, path);
    st.bind(2, label);
    if (st.executeStep()) out = labelRow(st);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<LabelRow>> SqliteSecretsBackend::labelsOf(const std::string& path) {
  std::vector<LabelRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_,
                         "SELECT path, label, version, updated_at FROM secrets_labels "
                         "WHERE path = ? ORDER BY label");
    st.bind(1, path);
    while (st.executeStep()) out.push_back(labelRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteSecretsBackend::appendAudit(const AuditRow& row) {
  return run([&]() -> Status {
    SQLite::Statement st(*db_, std::string("INSERT INTO secrets_audit (") + kAuditCols +
                                   ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    st.bind(1, row.seq);
    st.bind(2, row.at);
    st.bind(3, row.actor);
    st.bind(4, row.action);
    st.bind(5, row.path);
    st.bind(6, row.version);
    st.bind(7, row.outcome);
    bindBlob(st, 8, row.prev_hash);
    bindBlob(st, 9, row.hash);
    st.exec();
    return Status::success();
  });
}

Result<std::vector<AuditRow>> SqliteSecretsBackend::listAudit() {
  std::vector<AuditRow> out;
  Status status = run([&]() -> Status {
    SQLite::Statement st(*db_,
                         std::string("SELECT ") + kAuditCols + " FROM secrets_audit ORDER BY seq");
    while (st.executeStep()) out.push_back(auditRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::secrets
