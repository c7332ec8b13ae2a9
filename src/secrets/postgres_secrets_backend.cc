#include "shipgate/secrets/postgres_secrets_backend.h"

#include <string_view>

#include "shipgate/store/postgres_connection.h"

namespace shipgate::secrets {
namespace {

using store::pg::PgConnection;
using store::pg::pgInt;
using store::pg::PgParam;
using store::pg::PgResult;
using store::pg::pgText;

struct SchemaVersion {
  int version;
  std::string_view name;
  std::string_view sql;
};

// SqliteSecretsBackend's schema in PostgreSQL's dialect (BLOB is bytea, INTEGER bigint).
constexpr std::string_view kSecretsV1 = R"sql(
CREATE FUNCTION secrets_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0];
END
$$;

CREATE TABLE secrets_meta (
  key   text PRIMARY KEY CHECK (key <> ''),
  value text NOT NULL
);

CREATE TABLE secrets_keys (
  id          bigint PRIMARY KEY,
  purpose     text NOT NULL CHECK (purpose IN ('value', 'audit')),
  wrapped     bytea NOT NULL,
  root_key_id text NOT NULL,
  created_at  bigint NOT NULL
);

CREATE TABLE secrets_paths (
  path            text PRIMARY KEY CHECK (substr(path, 1, 1) = '/'),
  current_version bigint NOT NULL CHECK (current_version >= 0),
  created_at      bigint NOT NULL,
  updated_at      bigint NOT NULL,
  deleted_at      bigint NOT NULL
);

CREATE TABLE secrets_versions (
  path         text NOT NULL REFERENCES secrets_paths (path),
  version      bigint NOT NULL CHECK (version >= 1),
  sealed       bytea,
  created_at   bigint NOT NULL,
  created_by   text NOT NULL,
  destroyed_at bigint NOT NULL,
  PRIMARY KEY (path, version),
  CHECK ((sealed IS NULL) = (destroyed_at <> 0))
);

CREATE TABLE secrets_labels (
  path       text NOT NULL,
  label      text NOT NULL CHECK (label <> ''),
  version    bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (path, label),
  FOREIGN KEY (path, version) REFERENCES secrets_versions (path, version)
);

CREATE TABLE secrets_audit (
  seq       bigint PRIMARY KEY,
  at        bigint NOT NULL,
  actor     text NOT NULL,
  action    text NOT NULL CHECK (action <> ''),
  path      text NOT NULL,
  version   bigint NOT NULL,
  outcome   text NOT NULL,
  prev_hash bytea NOT NULL,
  hash      bytea NOT NULL
);
CREATE TRIGGER secrets_audit_refuses_update BEFORE UPDATE ON secrets_audit
  FOR EACH ROW EXECUTE FUNCTION secrets_refuse('the secrets audit log is append-only');
CREATE TRIGGER secrets_audit_refuses_delete BEFORE DELETE ON secrets_audit
  FOR EACH ROW EXECUTE FUNCTION secrets_refuse('the secrets audit log is append-only');
CREATE TRIGGER secrets_audit_refuses_truncate BEFORE TRUNCATE ON secrets_audit
  FOR EACH STATEMENT EXECUTE FUNCTION secrets_refuse('the secrets audit log is append-only');
)sql";

constexpr SchemaVersion kSchema[] = {
    {1, "secrets: meta, keys, paths, versions, labels, audit chain", kSecretsV1},
};
static_assert(kSchema[std::size(kSchema) - 1].version == PostgresSecretsBackend::kSchemaVersion);

PathRow pathRow(const PgResult& r, int i) {
  return PathRow{r.text(i, 0), r.int64(i, 1), r.int64(i, 2), r.int64(i, 3), r.int64(i, 4)};
}

VersionRow versionRow(const PgResult& r, int i) {
  VersionRow v;
  v.path = r.text(i, 0);
  v.version = r.int64(i, 1);
  if (!r.isNull(i, 2)) v.sealed = r.bytes(i, 2);
  v.created_at = r.int64(i, 3);
  v.created_by = r.text(i, 4);
  v.destroyed_at = r.int64(i, 5);
  return v;
}

LabelRow labelRow(const PgResult& r, int i) {
  return LabelRow{r.text(i, 0), r.text(i, 1), r.int64(i, 2), r.int64(i, 3)};
}

AuditRow auditRow(const PgResult& r, int i) {
  AuditRow a;
  a.seq = r.int64(i, 0);
  a.at = r.int64(i, 1);
  a.actor = r.text(i, 2);
  a.action = r.text(i, 3);
  a.path = r.text(i, 4);
  a.version = r.int64(i, 5);
  a.outcome = r.text(i, 6);
  a.prev_hash = r.bytes(i, 7);
  a.hash = r.bytes(i, 8);
  return a;
}

constexpr const char* kPathCols = "path, current_version, created_at, updated_at, deleted_at";
constexpr const char* kVersionCols = "path, version, sealed, created_at, created_by, destroyed_at";
constexpr const char* kAuditCols =
    "seq, at, actor, action, path, version, outcome, prev_hash, hash";

}  // namespace

PostgresSecretsBackend::PostgresSecretsBackend(Key, std::unique_ptr<store::pg::PgConnection> conn)
    : where_(conn->where()), conn_(std::move(conn)) {}

PostgresSecretsBackend::~PostgresSecretsBackend() = default;

Result<std::unique_ptr<PostgresSecretsBackend>> PostgresSecretsBackend::open(
    const std::string& url) {
  SG_PG_ASSIGN(auto conn, PgConnection::connect(url));
  auto backend = std::make_unique<PostgresSecretsBackend>(Key{}, std::move(conn));
  PgConnection& db = *backend->conn_;
  for (const SchemaVersion& v : kSchema) {
    Status status = backend->atomically([&]() -> Status {
      SG_RETURN_IF_ERROR(db.run("SELECT pg_advisory_xact_lock($1)", {pgInt(kSchemaLock)}));
      SG_RETURN_IF_ERROR(
          db.run("CREATE TABLE IF NOT EXISTS secrets_schema ("
                 " version bigint PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"));
      SG_PG_ASSIGN(auto seen,
                   db.exec("SELECT 1 FROM secrets_schema WHERE version = $1", {pgInt(v.version)}));
      if (seen.rows() > 0) return Status::success();
      SG_RETURN_IF_ERROR(db.run(v.sql));
      return db.run(
          "INSERT INTO secrets_schema (version, name, applied_at) "
          "VALUES ($1, $2, (extract(epoch from clock_timestamp()) * 1000)::bigint)",
          {pgInt(v.version), pgText(std::string(v.name))});
    });
    if (!status.isOk()) {
      if (status.code() == Status::Code::kUnavailable) return status;
      return Status::internal(backend->where_ + ": secrets schema version " +
                              std::to_string(v.version) +
                              " failed, nothing of it applied: " + status.message());
    }
  }
  SG_PG_ASSIGN(auto newest, db.exec("SELECT COALESCE(MAX(version), 0) FROM secrets_schema"));
  if (newest.int64(0, 0) > kSchemaVersion) {
    return Status::failedPrecondition(
        backend->where_ + " has secrets schema version " + std::to_string(newest.int64(0, 0)) +
        ", newer than this shipgate's " + std::to_string(kSchemaVersion));
  }
  return backend;
}

Status PostgresSecretsBackend::ready() {
  if (depth_ == 0 && conn_->broken()) return conn_->reset();
  return Status::success();
}

Status PostgresSecretsBackend::atomically(const std::function<Status()>& body) {
  if (depth_ > 0) return body();  // joins the open transaction
  SG_RETURN_IF_ERROR(ready());
  Status status = conn_->run("BEGIN");
  if (!status.isOk() && conn_->broken()) {
    // An idle connection the server dropped: reconnect once (only BEGIN was lost).
    SG_RETURN_IF_ERROR(conn_->reset());
    status = conn_->run("BEGIN");
  }
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
  if (status.isOk()) status = conn_->run("COMMIT");
  if (!status.isOk()) (void)conn_->run("ROLLBACK");
  if (thrown) std::rethrow_exception(thrown);
  return status;
}

Result<std::optional<std::string>> PostgresSecretsBackend::getMeta(const std::string& key) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("SELECT value FROM secrets_meta WHERE key = $1", {pgText(key)}));
  if (r.rows() == 0) return std::optional<std::string>();
  return std::optional<std::string>(r.text(0, 0));
}

Status PostgresSecretsBackend::putMeta(const std::string& key, const std::string& value) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(
      "INSERT INTO secrets_meta (key, value) VALUES ($1, $2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      {pgText(key), pgText(value)});
}

Result<std::vector<KeyRow>> PostgresSecretsBackend::listKeys() {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("SELECT id, purpose, wrapped, root_key_id, created_at "
                                   "FROM secrets_keys ORDER BY id"));
  std::vector<KeyRow> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(KeyRow{static_cast<uint32_t>(r.int64(i, 0)), r.text(i, 1), r.bytes(i, 2),
                         r.text(i, 3), r.int64(i, 4)});
  }
  return out;
}

Status PostgresSecretsBackend::insertKey(const KeyRow& row) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(
      "INSERT INTO secrets_keys (id, purpose, wrapped, root_key_id, created_at) "
      "VALUES ($1, $2, $3, $4, $5)",
      {pgInt(row.id), pgText(row.purpose), PgParam::bytes(row.wrapped), pgText(row.root_key_id),
       pgInt(row.created_at)});
}

Status PostgresSecretsBackend::rewrapKey(uint32_t id, const std::string& wrapped,
                                         const std::string& root_key_id) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("UPDATE secrets_keys SET wrapped = $1, root_key_id = $2 "
                                   "WHERE id = $3",
                                   {PgParam::bytes(wrapped), pgText(root_key_id), pgInt(id)}));
  if (r.affected() != 1)
    return Status::notFound("data key " + std::to_string(id) + ": no such key");
  return Status::success();
}

Result<std::optional<PathRow>> PostgresSecretsBackend::findPath(const std::string& path) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT ") + kPathCols +
                                       " FROM secrets_paths WHERE path = $1",
                                   {pgText(path)}));
  if (r.rows() == 0) return std::optional<PathRow>();
  return std::optional<PathRow>(pathRow(r, 0));
}

Status PostgresSecretsBackend::upsertPath(const PathRow& row) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(
      "INSERT INTO secrets_paths (path, current_version, created_at, updated_at, deleted_at) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (path) DO UPDATE SET "
      "current_version = excluded.current_version, updated_at = excluded.updated_at, "
      "deleted_at = excluded.deleted_at",
      {pgText(row.path), pgInt(row.current_version), pgInt(row.created_at), pgInt(row.updated_at),
       pgInt(row.deleted_at)});
}

Result<std::vector<PathRow>> PostgresSecretsBackend::pathsUnder(const std::string& prefix) {
  SG_RETURN_IF_ERROR(ready());
  // A byte-order range rather than LIKE: '_' and '%' are path characters. '0' is the character
  // after '/', so [prefix + "/", prefix + "0") holds exactly the paths below the prefix.
  const std::string base = prefix == "/" ? std::string() : prefix;
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT ") + kPathCols +
                                       " FROM secrets_paths WHERE path = $1 OR "
                                       "(path COLLATE \"C\" >= $2 AND path COLLATE \"C\" < $3) "
                                       "ORDER BY path COLLATE \"C\"",
                                   {pgText(prefix), pgText(base + "/"), pgText(base + "0")}));
  std::vector<PathRow> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(pathRow(r, i));
  return out;
}

Status PostgresSecretsBackend::insertVersion(const VersionRow& row) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(
      "INSERT INTO secrets_versions (path, version, sealed, created_at, created_by, "
      "destroyed_at) VALUES ($1, $2, $3, $4, $5, $6)",
      {pgText(row.path), pgInt(row.version),
       row.sealed ? PgParam::bytes(*row.sealed) : PgParam::null(), pgInt(row.created_at),
       pgText(row.created_by), pgInt(row.destroyed_at)});
}

Result<std::optional<VersionRow>> PostgresSecretsBackend::findVersion(const std::string& path,
                                                                      int64_t version) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT ") + kVersionCols +
                                       " FROM secrets_versions WHERE path = $1 AND version = $2",
                                   {pgText(path), pgInt(version)}));
  if (r.rows() == 0) return std::optional<VersionRow>();
  return std::optional<VersionRow>(versionRow(r, 0));
}

Result<std::vector<VersionRow>> PostgresSecretsBackend::versionsOf(const std::string& path) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT ") + kVersionCols +
                                       " FROM secrets_versions WHERE path = $1 ORDER BY version",
                                   {pgText(path)}));
  std::vector<VersionRow> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(versionRow(r, i));
  return out;
}

Status PostgresSecretsBackend::destroyVersion(const std::string& path, int64_t version,
                                              int64_t at) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("UPDATE secrets_versions SET sealed = NULL, destroyed_at = $1 "
                                   "WHERE path = $2 AND version = $3",
                                   {pgInt(at), pgText(path), pgInt(version)}));
  if (r.affected() != 1) {
    return Status::notFound(path + " has no version " + std::to_string(version));
  }
  return Status::success();
}

Status PostgresSecretsBackend::putLabel(const LabelRow& row) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(
      "INSERT INTO secrets_labels (path, label, version, updated_at) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (path, label) DO UPDATE SET version = excluded.version, "
      "updated_at = excluded.updated_at",
      {pgText(row.path), pgText(row.label), pgInt(row.version), pgInt(row.updated_at)});
}

Result<std::optional<LabelRow>> PostgresSecretsBackend::findLabel(const std::string& path,
                                                                  const std::string& label) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("SELECT path, label, version, updated_at FROM secrets_labels "
                                   "WHERE path = $1 AND label = $2",
                                   {pgText(path), pgText(label)}));
  if (r.rows() == 0) return std::optional<LabelRow>();
  return std::optional<LabelRow>(labelRow(r, 0));
}

Result<std::vector<LabelRow>> PostgresSecretsBackend::labelsOf(const std::string& path) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("SELECT path, label, version, updated_at FROM secrets_labels "
                                   "WHERE path = $1 ORDER BY label COLLATE \"C\"",
                                   {pgText(path)}));
  std::vector<LabelRow> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(labelRow(r, i));
  return out;
}

Status PostgresSecretsBackend::appendAudit(const AuditRow& row) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(std::string("INSERT INTO secrets_audit (") + kAuditCols +
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    {pgInt(row.seq), pgInt(row.at), pgText(row.actor), pgText(row.action),
                     pgText(row.path), pgInt(row.version), pgText(row.outcome),
                     PgParam::bytes(row.prev_hash), PgParam::bytes(row.hash)});
}

Result<std::vector<AuditRow>> PostgresSecretsBackend::listAudit() {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT ") + kAuditCols +
                                   " FROM secrets_audit ORDER BY seq"));
  std::vector<AuditRow> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(auditRow(r, i));
  return out;
}

}  // namespace shipgate::secrets
