// PostgresStateStore: connecting, migrations, transactions, the change counter. The records'
// statements are in postgres_releases.cc and postgres_records.cc.
#include "shipgate/store/postgres_state_store.h"

#include "postgres_impl.h"

namespace shipgate::store {

namespace pg_detail {

Status checkJson(PgConnection& db, const std::string& what, const std::string& text) {
  if (text.empty()) return Status::success();
  SG_PG_ASSIGN(auto r, db.exec("SELECT shipgate_json_valid($1)", {pgText(text)}));
  if (r.rows() == 1 && r.text(0, 0) == "t") return Status::success();
  return Status::invalidArgument(what + ": not valid JSON");
}

Status requireApp(PgConnection& db, const std::string& name) {
  SG_PG_ASSIGN(auto r, db.exec("SELECT 1 FROM apps WHERE name = $1", {pgText(name)}));
  if (r.rows() > 0) return Status::success();
  return Status::failedPrecondition("app '" + name + "' is not recorded in the state store");
}

Status lockVersion(PgConnection& db) {
  return db.run("SELECT version FROM state_version WHERE id = 1 FOR UPDATE");
}

Status bump(PgConnection& db, const std::string& kind, const std::string& key) {
  return db.run(
      "WITH v AS (UPDATE state_version SET version = version + 1 WHERE id = 1 RETURNING version) "
      "SELECT pg_notify($1, v.version::text || ' ' || $2 || ' ' || $3) FROM v",
      {pgText(PostgresStateStore::kChannel), pgText(kind), pgText(key)});
}

std::string exceptionText(std::exception_ptr e) {
  try {
    std::rethrow_exception(std::move(e));
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown error";
  }
}

}  // namespace pg_detail

using pg_detail::pgInt;
using pg_detail::pgText;

PostgresStateStore::PostgresStateStore(Key, std::unique_ptr<pg::PgConnection> conn)
    : where_(conn->where()), conn_(std::move(conn)) {}

PostgresStateStore::~PostgresStateStore() = default;

Result<std::unique_ptr<PostgresStateStore>> PostgresStateStore::open(const std::string& url,
                                                                     Options options) {
  SG_PG_ASSIGN(auto conn, pg::PgConnection::connect(url));
  auto store = std::make_unique<PostgresStateStore>(Key{}, std::move(conn));
  MutexLock lock(store->mu_);
  const std::string& where = store->where_;

  // Every step runs under the advisory lock, so two processes opening an empty database at once
  // migrate one after the other; the second then finds the first's rows and skips them.
  auto locked = [&](pg::PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(db.run("SELECT pg_advisory_xact_lock($1)", {pgInt(kMigrationLock)}));
    return db.run(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version bigint PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)");
  };
  auto appliedVersion = [](pg::PgConnection& db) -> Result<int> {
    SG_PG_ASSIGN(auto r, db.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    return static_cast<int>(r.int64(0, 0));
  };
  int applied = 0;
  Status status = store->write([&](pg::PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(locked(db));
    SG_PG_ASSIGN(applied, appliedVersion(db));
    return Status::success();
  });
  if (!status.isOk()) return status;
  if (applied > kSchemaVersion) {
    return Status::failedPrecondition(
        where + " has schema version " + std::to_string(applied) + ", newer than this shipgate's " +
        std::to_string(kSchemaVersion) + ": run a newer shipgate, or point state.url elsewhere");
  }
  const int up_to =
      options.migrate_up_to_for_test > 0 ? options.migrate_up_to_for_test : kSchemaVersion;
  for (const Migration& m : migrations()) {
    if (m.version <= applied || m.version > up_to) continue;
    status = store->write([&](pg::PgConnection& db) -> Status {
      SG_RETURN_IF_ERROR(locked(db));
      SG_PG_ASSIGN(auto seen, db.exec("SELECT 1 FROM schema_migrations WHERE version = $1",
                                      {pgInt(m.version)}));
      if (seen.rows() > 0) return Status::success();  // another process applied it meanwhile
      SG_RETURN_IF_ERROR(db.run(m.sql));
      return db.run(
          "INSERT INTO schema_migrations (version, name, applied_at) "
          "VALUES ($1, $2, (extract(epoch from clock_timestamp()) * 1000)::bigint)",
          {pgInt(m.version), pgText(std::string(m.name))});
    });
    if (!status.isOk()) {
      if (status.code() == Status::Code::kUnavailable) return status;
      return Status::internal(where + ": migration " + std::to_string(m.version) + " (" +
                              std::string(m.name) +
                              ") failed, nothing of it applied: " + status.message());
    }
  }
  return store;
}

Status PostgresStateStore::begin(bool top, bool read_only) {
  if (!top) return conn_->run("SAVEPOINT sg_" + std::to_string(depth_));
  const char* sql = read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
  if (conn_->broken()) SG_RETURN_IF_ERROR(conn_->reset());
  Status status = conn_->run(sql);
  // The server closed an idle connection (a restart, an administrator): reconnect once. Nothing
  // was sent but BEGIN, so retrying is safe.
  if (!status.isOk() && conn_->broken()) {
    SG_RETURN_IF_ERROR(conn_->reset());
    status = conn_->run(sql);
  }
  return status;
}

Result<int> PostgresStateStore::schemaVersion() {
  Session lock(*this);
  int version = 0;
  Status status = read([&](pg::PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
    version = static_cast<int>(r.int64(0, 0));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return version;
}

Result<int64_t> PostgresStateStore::stateVersion() {
  Session lock(*this);
  int64_t version = 0;
  Status status = read([&](pg::PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT version FROM state_version WHERE id = 1"));
    if (r.rows() != 1) return Status::internal(where_ + ": state_version has no row");
    version = r.int64(0, 0);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return version;
}

Status PostgresStateStore::atomically(const std::function<Status()>& body) {
  const bool nested = owner_.load() == std::this_thread::get_id();
  std::exception_ptr thrown;
  auto run = [&](pg::PgConnection&) -> Status {
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

Status PostgresStateStore::brokenStatus() const {
  return Status::unavailable(
      where_ + ": the transaction was rolled back, nothing of it was written: " + broken_);
}

}  // namespace shipgate::store
