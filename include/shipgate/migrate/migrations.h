// Database migrations: SQL files in a folder, applied to PostgreSQL and recorded in a
// `schema_migrations` table.
//
// Files are named `YYYYMMDD_NNN_name.up.sql` (required) and `YYYYMMDD_NNN_name.down.sql`
// (optional; needed to roll the migration back). The id is `YYYYMMDD_NNN`; migrations apply in id
// order. `name` is 1-100 of [a-z0-9_]. Every file of the folder ending in ".sql" must be so named
// (other files are ignored); a bad name is an InvalidArgument naming the file.
//
// schema_migrations(id text primary key, name, checksum (hex SHA-256 of the up file), applied_at,
// applied_by, deployment ('' when not applied by a deployment)).
//
// migrate(): takes a session advisory lock (kMigrationLockKey) so concurrent runs serialise, then
// refuses (FailedPrecondition) when an applied migration's up file changed (drifted) or is gone
// (missing); else applies each pending migration in its own transaction: the file's SQL and its
// schema_migrations row commit together. A failing migration rolls back entirely (nothing of it
// remains; earlier ones stay applied) and the Status names "file:line:col: <database error>".
// An up file must not contain its own BEGIN/COMMIT.
//
// rollback(to_id): rolls back every applied migration whose id >= to_id, newest first (down to and
// including to_id, like the seed's db-rollback.sh --migration=ID), each down file and the deletion
// of its row in one transaction. Refuses before touching anything when to_id is not applied or
// one of them has no down file (naming it).
//
// Thread-safety: none; one PgConnection per call.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/store/postgres_connection.h"

namespace shipgate::migrate {

// pg_advisory_lock key of migrate and rollback ("shipgate" in ASCII, as a 64-bit number).
inline constexpr int64_t kMigrationLockKey = 0x7368697067617465;

struct MigrationFileName {
  std::string id;    // "20250615_001"
  std::string name;  // "add_users"
  bool up = true;    // .up.sql, else .down.sql
};

// Parses a file name (no directory). InvalidArgument with a message naming the (escaped, bounded)
// file name and what is wrong.
Result<MigrationFileName> parseMigrationFileName(std::string_view file_name);

struct Migration {
  std::string id, name;
  std::string up_path, up_sql;
  std::optional<std::string> down_path;  // read when rolling back
  std::string checksum;                  // hex SHA-256 of up_sql

  std::string label() const { return id + "_" + name; }
};

// Hex SHA-256 of `data`.
std::string sha256Hex(std::string_view data);

// Reads the folder: its migrations sorted by id. InvalidArgument: a bad file name, two names for
// one id, a down file without its up file. IoError: the folder or a file cannot be read.
Result<std::vector<Migration>> loadMigrations(const std::string& dir);

enum class State { kApplied, kPending, kDrifted, kMissing };
const char* stateName(State s);  // "applied", "pending", "drifted", "missing"

struct Entry {
  std::string id, name;
  State state = State::kPending;
  std::string applied_at, applied_by, deployment;  // empty when pending
};

// Every migration of the folder and every applied one, by id. Reads only (no lock, no table is
// created).
Result<std::vector<Entry>> status(store::pg::PgConnection& conn,
                                  const std::vector<Migration>& migrations);

struct ApplyOptions {
  std::string applied_by;
  std::string deployment;
};

// Applies the pending migrations (see the file comment). Returns the labels applied, in order.
Result<std::vector<std::string>> migrate(store::pg::PgConnection& conn,
                                         const std::vector<Migration>& migrations,
                                         const ApplyOptions& options);

// Rolls back down to and including `to_id` (see the file comment). Returns the labels rolled
// back, newest first.
Result<std::vector<std::string>> rollback(store::pg::PgConnection& conn,
                                          const std::vector<Migration>& migrations,
                                          const std::string& to_id);

// The ids of the migrations recorded as applied by `deployment` (schema_migrations.deployment),
// newest first; empty when there are none or no table yet. Reads only.
Result<std::vector<std::string>> appliedByDeployment(store::pg::PgConnection& conn,
                                                     const std::string& deployment);

// Rolls back exactly the migrations recorded as applied by one of `deployments`, newest first, each down file and the
// deletion of its row in one transaction, under the advisory lock. Refuses (FailedPrecondition)
// before touching anything when one of them has no down file in `migrations` (or no files at
// all), naming each. A failing down file stops there (it stays applied, the ones before it are
// rolled back) with "file:line:col: <database error>". Returns the labels rolled back, newest
// first (empty when those deployments applied none).
Result<std::vector<std::string>> rollbackDeployment(store::pg::PgConnection& conn,
                                                    const std::vector<Migration>& migrations,
                                                    const std::vector<std::string>& deployments);

// "line:col" (1-based) of the 1-based character position `position` in `text` (UTF-8).
std::string lineColumn(std::string_view text, int64_t position);

}  // namespace shipgate::migrate
