// The SQLite schema as numbered migrations. A migration, once released, never changes: a change
// to the schema is a new migration at the end. Enum columns hold the names of state_store.h's
// toString (checked when read, so adding a value needs no table rebuild); the one list SQL needs,
// the terminal deployment states, must match isTerminal().
#include "shipgate/store/sqlite_state_store.h"

namespace shipgate::store {
namespace {

constexpr std::string_view kReleaseRecords = R"sql(
CREATE TABLE environments (
  name                TEXT PRIMARY KEY CHECK (name <> ''),
  approval_required   INTEGER NOT NULL,
  bake_ms             INTEGER NOT NULL,
  triggers            INTEGER NOT NULL,
  scale_down_delay_ms INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
) STRICT;

CREATE TABLE apps (
  name         TEXT PRIMARY KEY CHECK (name <> ''),
  environment  TEXT NOT NULL,
  runtime_kind TEXT NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;

CREATE TABLE releases (
  seq         INTEGER PRIMARY KEY,
  app         TEXT NOT NULL REFERENCES apps (name),
  version     TEXT NOT NULL CHECK (version <> ''),
  artifact    TEXT NOT NULL,
  commit_sha  TEXT NOT NULL,
  commit_time INTEGER NOT NULL,
  created_by  TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  UNIQUE (app, version)
) STRICT;
CREATE TRIGGER releases_are_immutable BEFORE UPDATE ON releases
BEGIN
  SELECT RAISE(ABORT, 'releases are immutable');
END;

CREATE TABLE deployments (
  seq              INTEGER PRIMARY KEY,
  id               TEXT NOT NULL UNIQUE CHECK (id <> ''),
  app              TEXT NOT NULL REFERENCES apps (name),
  environment      TEXT NOT NULL CHECK (environment <> ''),
  version          TEXT NOT NULL,
  previous_version TEXT NOT NULL,
  kind             TEXT NOT NULL,
  state            TEXT NOT NULL,
  from_slot        TEXT NOT NULL,
  to_slot          TEXT NOT NULL,
  actor            TEXT NOT NULL,
  reason           TEXT NOT NULL,
  approved_by      TEXT NOT NULL,
  failure          TEXT NOT NULL,
  baseline_json    TEXT NOT NULL
    CONSTRAINT baseline_json_is_json CHECK (baseline_json = '' OR json_valid(baseline_json)),
  rollback_json    TEXT NOT NULL
    CONSTRAINT rollback_json_is_json CHECK (rollback_json = '' OR json_valid(rollback_json)),
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  finished_at      INTEGER NOT NULL,
  FOREIGN KEY (app, version) REFERENCES releases (app, version)
) STRICT;
CREATE INDEX deployments_by_app ON deployments (app, seq);
-- At most one unfinished deployment per app.
CREATE UNIQUE INDEX deployments_one_unfinished_per_app ON deployments (app)
  WHERE state NOT IN ('succeeded', 'failed', 'rejected', 'rolled_back');

CREATE TABLE deployment_steps (
  deployment_id TEXT NOT NULL REFERENCES deployments (id),
  idx           INTEGER NOT NULL CHECK (idx >= 0),
  name          TEXT NOT NULL CHECK (name <> ''),
  state         TEXT NOT NULL,
  started_at    INTEGER NOT NULL,
  ended_at      INTEGER NOT NULL,
  result        TEXT NOT NULL,
  evidence_json TEXT NOT NULL
    CONSTRAINT evidence_json_is_json CHECK (evidence_json = '' OR json_valid(evidence_json)),
  PRIMARY KEY (deployment_id, idx)
) STRICT;

CREATE TABLE incidents (
  id                 INTEGER PRIMARY KEY AUTOINCREMENT,
  app                TEXT NOT NULL REFERENCES apps (name),
  deployment_id      TEXT REFERENCES deployments (id),
  cause              TEXT NOT NULL CHECK (cause <> ''),
  detail_json        TEXT NOT NULL
    CONSTRAINT detail_json_is_json CHECK (detail_json = '' OR json_valid(detail_json)),
  opened_at          INTEGER NOT NULL,
  resolved_at        INTEGER NOT NULL,
  time_to_recover_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX incidents_by_app ON incidents (app, id);

CREATE TABLE audit_log (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL CHECK (action <> ''),
  subject     TEXT NOT NULL,
  reason      TEXT NOT NULL,
  detail_json TEXT NOT NULL
    CONSTRAINT detail_json_is_json CHECK (detail_json = '' OR json_valid(detail_json))
) STRICT;
CREATE TRIGGER audit_log_refuses_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_refuses_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'the audit log is append-only');
END;
)sql";

constexpr std::string_view kRuntimeState = R"sql(
CREATE TABLE slots (
  app        TEXT NOT NULL REFERENCES apps (name),
  slot       TEXT NOT NULL CHECK (slot <> ''),
  version    TEXT NOT NULL,
  state      TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (app, slot)
) STRICT;

CREATE TABLE runtime_state (
  key        TEXT PRIMARY KEY CHECK (key <> ''),
  value      TEXT NOT NULL CONSTRAINT value_is_json CHECK (json_valid(value)),
  updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE deliveries (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  channel     TEXT NOT NULL CHECK (channel <> ''),
  event       TEXT NOT NULL CHECK (event <> ''),
  subject     TEXT NOT NULL,
  attempt     INTEGER NOT NULL CHECK (attempt >= 1),
  outcome     TEXT NOT NULL,
  http_status INTEGER NOT NULL,
  error       TEXT NOT NULL
) STRICT;
CREATE INDEX deliveries_by_channel ON deliveries (channel, id);
)sql";

constexpr std::string_view kReleaseReports = R"sql(
CREATE TABLE release_reports (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  app        TEXT NOT NULL,
  version    TEXT NOT NULL,
  kind       TEXT NOT NULL CHECK (kind <> ''),
  name       TEXT NOT NULL CHECK (name <> ''),
  sha256     TEXT NOT NULL,
  size       INTEGER NOT NULL CHECK (size >= 0),
  content    BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  UNIQUE (app, version, kind, name),
  FOREIGN KEY (app, version) REFERENCES releases (app, version)
) STRICT;
CREATE TRIGGER release_reports_are_immutable BEFORE UPDATE ON release_reports
BEGIN
  SELECT RAISE(ABORT, 'release reports are immutable');
END;
)sql";

constexpr Migration kMigrations[] = {
    {1, "release records: environments, apps, releases, deployments, steps, incidents, audit log",
     kReleaseRecords},
    {2, "runtime state: slots, routing overlay, notification deliveries", kRuntimeState},
    {3, "release reports: the quality-gate reports a release carries", kReleaseReports},
};

}  // namespace

std::span<const Migration> SqliteStateStore::migrations() { return kMigrations; }
const int SqliteStateStore::kSchemaVersion = kMigrations[std::size(kMigrations) - 1].version;

}  // namespace shipgate::store
