#include "postgres_flags_backend.h"

#include "shipgate/store/postgres_connection.h"

namespace shipgate::flags {
namespace {

using store::pg::PgConnection;
using store::pg::pgInt;
using store::pg::PgResult;
using store::pg::pgText;

constexpr const char* kFlagsV1 = R"sql(
CREATE FUNCTION flags_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '%', TG_ARGV[0];
END
$$;
CREATE TABLE flags_versions (
  environment text NOT NULL CHECK (environment <> ''),
  key         text NOT NULL CHECK (key <> ''),
  version     bigint NOT NULL CHECK (version >= 1),
  definition  text NOT NULL,
  created_at  bigint NOT NULL,
  created_by  text NOT NULL,
  reason      text NOT NULL,
  seq         bigint NOT NULL UNIQUE,
  PRIMARY KEY (environment, key, version)
);
CREATE TRIGGER flags_versions_refuse_update BEFORE UPDATE ON flags_versions
  FOR EACH ROW EXECUTE FUNCTION flags_refuse('flag versions are never changed: write a new one');
CREATE TABLE flags_audit (
  seq         bigint PRIMARY KEY,
  at          bigint NOT NULL,
  actor       text NOT NULL,
  action      text NOT NULL CHECK (action <> ''),
  environment text NOT NULL,
  key         text NOT NULL,
  version     bigint NOT NULL,
  reason      text NOT NULL
);
CREATE TRIGGER flags_audit_refuses_update BEFORE UPDATE ON flags_audit
  FOR EACH ROW EXECUTE FUNCTION flags_refuse('the flags audit log is append-only');
CREATE TRIGGER flags_audit_refuses_delete BEFORE DELETE ON flags_audit
  FOR EACH ROW EXECUTE FUNCTION flags_refuse('the flags audit log is append-only');
CREATE TRIGGER flags_audit_refuses_truncate BEFORE TRUNCATE ON flags_audit
  FOR EACH STATEMENT EXECUTE FUNCTION flags_refuse('the flags audit log is append-only');
)sql";

constexpr const char* kVersionCols =
    "environment, key, version, definition, created_at, created_by, reason, seq";

FlagVersion versionRow(const PgResult& r, int i) {
  FlagVersion v;
  v.environment = r.text(i, 0);
  v.key = r.text(i, 1);
  v.version = r.int64(i, 2);
  v.definition = nlohmann::json::parse(r.text(i, 3), nullptr, false);
  v.created_at = r.int64(i, 4);
  v.created_by = r.text(i, 5);
  v.reason = r.text(i, 6);
  v.seq = r.int64(i, 7);
  return v;
}

}  // namespace

PostgresFlagsBackend::PostgresFlagsBackend(std::unique_ptr<PgConnection> conn)
    : where_(conn->where()), conn_(std::move(conn)) {}
PostgresFlagsBackend::~PostgresFlagsBackend() = default;

Result<std::unique_ptr<PostgresFlagsBackend>> PostgresFlagsBackend::open(const std::string& url) {
  SG_PG_ASSIGN(auto conn, PgConnection::connect(url));
  auto backend = std::make_unique<PostgresFlagsBackend>(std::move(conn));
  PgConnection& db = *backend->conn_;
  int64_t newest = 0;
  Status status = backend->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(db.run("SELECT pg_advisory_xact_lock($1)", {pgInt(kSchemaLock)}));
    SG_RETURN_IF_ERROR(
        db.run("CREATE TABLE IF NOT EXISTS flags_schema ("
               " version bigint PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)"));
    SG_PG_ASSIGN(auto seen, db.exec("SELECT COALESCE(MAX(version), 0) FROM flags_schema"));
    newest = seen.int64(0, 0);
    if (newest >= 1) return Status::success();
    SG_RETURN_IF_ERROR(db.run(kFlagsV1));
    return db.run(
        "INSERT INTO flags_schema (version, name, applied_at) VALUES "
        "(1, 'flags: versions, audit', (extract(epoch from clock_timestamp()) * 1000)::bigint)");
  });
  if (!status.isOk()) {
    if (status.code() == Status::Code::kUnavailable) return status;
    return Status::internal(backend->where_ +
                            ": flags schema version 1 failed, nothing of it applied: " +
                            status.message());
  }
  if (newest > kSchemaVersion) {
    return Status::failedPrecondition(backend->where_ + " has flags schema version " +
                                      std::to_string(newest) + ", newer than this shipgate's " +
                                      std::to_string(kSchemaVersion));
  }
  return backend;
}

Status PostgresFlagsBackend::ready() {
  if (depth_ == 0 && conn_->broken()) return conn_->reset();
  return Status::success();
}

Status PostgresFlagsBackend::atomically(const std::function<Status()>& body) {
  if (depth_ > 0) return body();
  SG_RETURN_IF_ERROR(ready());
  Status status = conn_->run("BEGIN");
  if (!status.isOk() && conn_->broken()) {
    SG_RETURN_IF_ERROR(conn_->reset());
    status = conn_->run("BEGIN");
  }
  if (!status.isOk()) return status;
  status = conn_->run("SELECT pg_advisory_xact_lock($1)", {pgInt(kWriteLock)});
  if (status.isOk()) {
    ++depth_;
    status = body();
    --depth_;
  }
  if (status.isOk()) status = conn_->run("COMMIT");
  if (!status.isOk()) (void)conn_->run("ROLLBACK");
  return status;
}

Result<std::optional<FlagVersion>> PostgresFlagsBackend::find(const std::string& env,
                                                              const std::string& key,
                                                              std::optional<int64_t> version) {
  SG_RETURN_IF_ERROR(ready());
  std::string sql = std::string("SELECT ") + kVersionCols +
                    " FROM flags_versions WHERE environment = $1 AND key = $2";
  std::vector<store::pg::PgParam> params = {pgText(env), pgText(key)};
  if (version) {
    sql += " AND version = $3";
    params.push_back(pgInt(*version));
  } else {
    sql += " ORDER BY version DESC LIMIT 1";
  }
  SG_PG_ASSIGN(auto r, conn_->exec(sql, params));
  if (r.rows() == 0) return std::optional<FlagVersion>();
  return std::optional<FlagVersion>(versionRow(r, 0));
}

Result<std::vector<FlagVersion>> PostgresFlagsBackend::latest(const std::string& env) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT DISTINCT ON (environment, key) ") +
                                       kVersionCols +
                                       " FROM flags_versions WHERE ($1 = '' OR environment = $1)"
                                       " ORDER BY environment, key, version DESC",
                                   {pgText(env)}));
  std::vector<FlagVersion> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(versionRow(r, i));
  return out;
}

Result<std::vector<FlagVersion>> PostgresFlagsBackend::versions(const std::string& env,
                                                                const std::string& key) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec(std::string("SELECT ") + kVersionCols +
                                       " FROM flags_versions WHERE environment = $1 AND "
                                       "($2 = '' OR key = $2) ORDER BY seq",
                                   {pgText(env), pgText(key)}));
  std::vector<FlagVersion> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) out.push_back(versionRow(r, i));
  return out;
}

Status PostgresFlagsBackend::insertVersion(const FlagVersion& v) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(std::string("INSERT INTO flags_versions (") + kVersionCols +
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    {pgText(v.environment), pgText(v.key), pgInt(v.version),
                     pgText(v.definition.dump()), pgInt(v.created_at), pgText(v.created_by),
                     pgText(v.reason), pgInt(v.seq)});
}

Status PostgresFlagsBackend::appendAudit(const FlagAuditEntry& e) {
  SG_RETURN_IF_ERROR(ready());
  return conn_->run(
      "INSERT INTO flags_audit (seq, at, actor, action, environment, key, version, reason) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
      {pgInt(e.seq), pgInt(e.at), pgText(e.actor), pgText(e.action), pgText(e.environment),
       pgText(e.key), pgInt(e.version), pgText(e.reason)});
}

Result<std::vector<FlagAuditEntry>> PostgresFlagsBackend::audit(const std::string& env) {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("SELECT seq, at, actor, action, environment, key, version, "
                                   "reason FROM flags_audit WHERE ($1 = '' OR environment = $1) "
                                   "ORDER BY seq",
                                   {pgText(env)}));
  std::vector<FlagAuditEntry> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(FlagAuditEntry{r.int64(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3),
                                 r.text(i, 4), r.text(i, 5), r.int64(i, 6), r.text(i, 7)});
  }
  return out;
}

Result<int64_t> PostgresFlagsBackend::changeMark() {
  SG_RETURN_IF_ERROR(ready());
  SG_PG_ASSIGN(auto r, conn_->exec("SELECT COALESCE(MAX(seq), 0) FROM flags_audit"));
  return r.int64(0, 0);
}

}  // namespace shipgate::flags
