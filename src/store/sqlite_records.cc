// SqliteStateStore: environments, apps, incidents, the audit log, slot state, runtime state and
// the notification delivery log.
#include "shipgate/store/sqlite_state_store.h"
#include "sqlite_impl.h"

namespace shipgate::store {
namespace {

using sqlite_detail::checkJson;
using sqlite_detail::requireApp;
using sqlite_detail::sqlLimit;

constexpr const char* kIncidentColumns =
    "id, app, COALESCE(deployment_id, ''), cause, detail_json, opened_at, resolved_at, "
    "time_to_recover_ms";

IncidentRecord incidentFromRow(SQLite::Statement& st) {
  IncidentRecord i;
  i.id = st.getColumn(0).getInt64();
  i.app = st.getColumn(1).getString();
  i.deployment_id = st.getColumn(2).getString();
  i.cause = st.getColumn(3).getString();
  i.detail_json = st.getColumn(4).getString();
  i.opened_at = st.getColumn(5).getInt64();
  i.resolved_at = st.getColumn(6).getInt64();
  i.time_to_recover_ms = st.getColumn(7).getInt64();
  return i;
}

}  // namespace

// ---- Environments and apps ----

Status SqliteStateStore::upsertEnvironment(const EnvironmentRecord& e) {
  if (e.name.empty()) return Status::invalidArgument("environment: empty name");
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(
        db,
        "INSERT INTO environments (name, approval_required, bake_ms, triggers, "
        "scale_down_delay_ms, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE "
        "SET approval_required = excluded.approval_required, bake_ms = excluded.bake_ms, "
        "triggers = excluded.triggers, scale_down_delay_ms = excluded.scale_down_delay_ms, "
        "updated_at = excluded.updated_at");
    SQLite::bind(st, e.name, e.approval_required ? 1 : 0, e.bake_ms, e.triggers ? 1 : 0,
                 e.scale_down_delay_ms, e.updated_at);
    st.exec();
    return Status::success();
  });
}

Result<std::vector<EnvironmentRecord>> SqliteStateStore::listEnvironments() {
  Session lock(*this);
  std::vector<EnvironmentRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db,
                         "SELECT name, approval_required, bake_ms, triggers, scale_down_delay_ms, "
                         "updated_at FROM environments ORDER BY name");
    while (st.executeStep()) {
      EnvironmentRecord e;
      e.name = st.getColumn(0).getString();
      e.approval_required = st.getColumn(1).getInt() != 0;
      e.bake_ms = st.getColumn(2).getInt64();
      e.triggers = st.getColumn(3).getInt() != 0;
      e.scale_down_delay_ms = st.getColumn(4).getInt64();
      e.updated_at = st.getColumn(5).getInt64();
      out.push_back(std::move(e));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteStateStore::upsertApp(const AppRecord& a) {
  if (a.name.empty()) return Status::invalidArgument("app: empty name");
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db,
                         "INSERT INTO apps (name, environment, runtime_kind, updated_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                         "environment = excluded.environment, "
                         "runtime_kind = excluded.runtime_kind, updated_at = excluded.updated_at");
    SQLite::bind(st, a.name, a.environment, a.runtime_kind, a.updated_at);
    st.exec();
    return Status::success();
  });
}

namespace {
Status readApps(SQLite::Database& db, const std::string* name, std::vector<AppRecord>& out) {
  SQLite::Statement st(db, std::string("SELECT name, environment, runtime_kind, updated_at FROM "
                                       "apps") +
                               (name ? " WHERE name = ?" : "") + " ORDER BY name");
  if (name) st.bind(1, *name);
  while (st.executeStep()) {
    AppRecord a;
    a.name = st.getColumn(0).getString();
    a.environment = st.getColumn(1).getString();
    a.runtime_kind = st.getColumn(2).getString();
    a.updated_at = st.getColumn(3).getInt64();
    out.push_back(std::move(a));
  }
  return Status::success();
}
}  // namespace

Result<AppRecord> SqliteStateStore::findApp(const std::string& name) {
  Session lock(*this);
  std::vector<AppRecord> out;
  Status status = read([&](SQLite::Database& db) { return readApps(db, &name, out); });
  if (!status.isOk()) return status;
  if (out.empty()) return Status::notFound("no app " + name);
  return out.front();
}

Result<std::vector<AppRecord>> SqliteStateStore::listApps() {
  Session lock(*this);
  std::vector<AppRecord> out;
  Status status = read([&](SQLite::Database& db) { return readApps(db, nullptr, out); });
  if (!status.isOk()) return status;
  return out;
}

// ---- Incidents ----

Result<int64_t> SqliteStateStore::openIncident(const IncidentRecord& i) {
  if (i.app.empty()) return Status::invalidArgument("incident: empty app");
  if (i.cause.empty()) return Status::invalidArgument("incident of " + i.app + ": empty cause");
  if (i.opened_at == 0) return Status::invalidArgument("incident of " + i.app + ": opened_at 0");
  Session lock(*this);
  int64_t id = 0;
  Status status = write([&](SQLite::Database& db) -> Status {
    SG_RETURN_IF_ERROR(requireApp(db, i.app));
    SG_RETURN_IF_ERROR(checkJson(db, "incident detail_json", i.detail_json));
    if (!i.deployment_id.empty()) {
      SQLite::Statement seen(db, "SELECT 1 FROM deployments WHERE id = ?");
      seen.bind(1, i.deployment_id);
      if (!seen.executeStep()) {
        return Status::failedPrecondition("incident of " + i.app + ": no deployment " +
                                          i.deployment_id);
      }
    }
    SQLite::Statement st(db,
                         "INSERT INTO incidents (app, deployment_id, cause, detail_json, "
                         "opened_at, resolved_at, time_to_recover_ms) "
                         "VALUES (?, NULLIF(?, ''), ?, ?, ?, 0, 0)");
    SQLite::bind(st, i.app, i.deployment_id, i.cause, i.detail_json, i.opened_at);
    st.exec();
    id = db.getLastInsertRowid();
    return Status::success();
  });
  if (!status.isOk()) return status;
  return id;
}

Status SqliteStateStore::resolveIncident(int64_t id, int64_t resolved_at) {
  const std::string name = "incident " + std::to_string(id);
  if (resolved_at == 0) return Status::invalidArgument(name + ": resolved_at 0");
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SQLite::Statement cur(db, "SELECT opened_at, resolved_at FROM incidents WHERE id = ?");
    cur.bind(1, id);
    if (!cur.executeStep()) return Status::notFound("no " + name);
    const int64_t opened_at = cur.getColumn(0).getInt64();
    const int64_t was_resolved = cur.getColumn(1).getInt64();
    if (was_resolved != 0) {
      return Status::failedPrecondition(name + " was already resolved at " +
                                        std::to_string(was_resolved));
    }
    if (resolved_at < opened_at) {
      return Status::invalidArgument(name + ": resolved_at " + std::to_string(resolved_at) +
                                     " is before opened_at " + std::to_string(opened_at));
    }
    SQLite::Statement st(db,
                         "UPDATE incidents SET resolved_at = ?, time_to_recover_ms = ? "
                         "WHERE id = ?");
    SQLite::bind(st, resolved_at, resolved_at - opened_at, id);
    st.exec();
    return Status::success();
  });
}

Result<IncidentRecord> SqliteStateStore::findIncident(int64_t id) {
  Session lock(*this);
  IncidentRecord out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(
        db, std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) return Status::notFound("no incident " + std::to_string(id));
    out = incidentFromRow(st);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<IncidentRecord>> SqliteStateStore::listIncidents(const std::string& app,
                                                                    bool open_only, int limit) {
  Session lock(*this);
  std::vector<IncidentRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kIncidentColumns +
                                 " FROM incidents WHERE (?1 = '' OR app = ?1) "
                                 "AND (?2 = 0 OR resolved_at = 0) ORDER BY id DESC LIMIT ?3");
    SQLite::bind(st, app, open_only ? 1 : 0, sqlLimit(limit));
    while (st.executeStep()) out.push_back(incidentFromRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Audit log ----

Result<int64_t> SqliteStateStore::appendAudit(const AuditEntry& e) {
  if (e.action.empty()) return Status::invalidArgument("audit entry: empty action");
  if (e.at == 0) return Status::invalidArgument("audit entry " + e.action + ": at 0");
  Session lock(*this);
  int64_t id = 0;
  Status status = write([&](SQLite::Database& db) -> Status {
    SG_RETURN_IF_ERROR(checkJson(db, "audit entry detail_json", e.detail_json));
    SQLite::Statement st(db,
                         "INSERT INTO audit_log (at, actor, action, subject, reason, detail_json) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
    SQLite::bind(st, e.at, e.actor, e.action, e.subject, e.reason, e.detail_json);
    st.exec();
    id = db.getLastInsertRowid();
    return Status::success();
  });
  if (!status.isOk()) return status;
  return id;
}

Result<std::vector<AuditEntry>> SqliteStateStore::listAudit(int64_t after_id, int limit) {
  Session lock(*this);
  std::vector<AuditEntry> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db,
                         "SELECT id, at, actor, action, subject, reason, detail_json "
                         "FROM audit_log WHERE id > ? ORDER BY id LIMIT ?");
    SQLite::bind(st, after_id, sqlLimit(limit));
    while (st.executeStep()) {
      AuditEntry e;
      e.id = st.getColumn(0).getInt64();
      e.at = st.getColumn(1).getInt64();
      e.actor = st.getColumn(2).getString();
      e.action = st.getColumn(3).getString();
      e.subject = st.getColumn(4).getString();
      e.reason = st.getColumn(5).getString();
      e.detail_json = st.getColumn(6).getString();
      out.push_back(std::move(e));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Slot state ----

Status SqliteStateStore::setSlotState(const SlotRecord& s) {
  if (s.app.empty()) return Status::invalidArgument("slot state: empty app");
  if (s.slot.empty()) return Status::invalidArgument("slot state of " + s.app + ": empty slot");
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SG_RETURN_IF_ERROR(requireApp(db, s.app));
    SQLite::Statement st(db,
                         "INSERT INTO slots (app, slot, version, state, updated_at) "
                         "VALUES (?, ?, ?, ?, ?) ON CONFLICT (app, slot) DO UPDATE SET "
                         "version = excluded.version, state = excluded.state, "
                         "updated_at = excluded.updated_at");
    SQLite::bind(st, s.app, s.slot, s.version, std::string(toString(s.state)), s.updated_at);
    st.exec();
    return Status::success();
  });
}

Result<std::vector<SlotRecord>> SqliteStateStore::slotStates(const std::string& app) {
  Session lock(*this);
  std::vector<SlotRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db,
                         "SELECT app, slot, version, state, updated_at FROM slots "
                         "WHERE app = ? ORDER BY slot");
    st.bind(1, app);
    while (st.executeStep()) {
      SlotRecord s;
      s.app = st.getColumn(0).getString();
      s.slot = st.getColumn(1).getString();
      s.version = st.getColumn(2).getString();
      const std::string state = st.getColumn(3).getString();
      auto parsed = parseSlotState(state);
      if (!parsed) {
        return Status::internal("slot " + s.app + "/" + s.slot + ": unknown state '" + state +
                                "' in the state database");
      }
      s.state = *parsed;
      s.updated_at = st.getColumn(4).getInt64();
      out.push_back(std::move(s));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Runtime state ----

Status SqliteStateStore::putRuntimeState(const std::string& key, const std::string& json,
                                         int64_t updated_at) {
  if (key.empty()) return Status::invalidArgument("runtime state: empty key");
  if (json.empty()) return Status::invalidArgument("runtime state " + key + ": empty value");
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SG_RETURN_IF_ERROR(checkJson(db, "runtime state " + key, json));
    SQLite::Statement st(db,
                         "INSERT INTO runtime_state (key, value, updated_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
                         "updated_at = excluded.updated_at");
    SQLite::bind(st, key, json, updated_at);
    st.exec();
    return Status::success();
  });
}

Result<std::optional<std::string>> SqliteStateStore::getRuntimeState(const std::string& key) {
  Session lock(*this);
  std::optional<std::string> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, "SELECT value FROM runtime_state WHERE key = ?");
    st.bind(1, key);
    if (st.executeStep()) out = st.getColumn(0).getString();
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status SqliteStateStore::eraseRuntimeState(const std::string& key) {
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, "DELETE FROM runtime_state WHERE key = ?");
    st.bind(1, key);
    st.exec();
    return Status::success();
  });
}

// ---- Delivery log ----

Result<int64_t> SqliteStateStore::recordDelivery(const DeliveryRecord& d) {
  if (d.channel.empty()) return Status::invalidArgument("delivery: empty channel");
  if (d.event.empty()) return Status::invalidArgument("delivery to " + d.channel + ": empty event");
  if (d.at == 0) return Status::invalidArgument("delivery to " + d.channel + ": at 0");
  if (d.attempt < 1) {
    return Status::invalidArgument("delivery to " + d.channel + ": attempt " +
                                   std::to_string(d.attempt) + " (attempts count from 1)");
  }
  Session lock(*this);
  int64_t id = 0;
  Status status = write([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db,
                         "INSERT INTO deliveries (at, channel, event, subject, attempt, outcome, "
                         "http_status, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    SQLite::bind(st, d.at, d.channel, d.event, d.subject, d.attempt,
                 std::string(toString(d.outcome)), d.http_status, d.error);
    st.exec();
    id = db.getLastInsertRowid();
    return Status::success();
  });
  if (!status.isOk()) return status;
  return id;
}

Result<std::vector<DeliveryRecord>> SqliteStateStore::listDeliveries(const std::string& channel,
                                                                     int limit) {
  Session lock(*this);
  std::vector<DeliveryRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db,
                         "SELECT id, at, channel, event, subject, attempt, outcome, http_status, "
                         "error FROM deliveries WHERE (?1 = '' OR channel = ?1) "
                         "ORDER BY id DESC LIMIT ?2");
    SQLite::bind(st, channel, sqlLimit(limit));
    while (st.executeStep()) {
      DeliveryRecord d;
      d.id = st.getColumn(0).getInt64();
      d.at = st.getColumn(1).getInt64();
      d.channel = st.getColumn(2).getString();
      d.event = st.getColumn(3).getString();
      d.subject = st.getColumn(4).getString();
      d.attempt = st.getColumn(5).getInt();
      const std::string outcome = st.getColumn(6).getString();
      auto parsed = parseDeliveryOutcome(outcome);
      if (!parsed) {
        return Status::internal("delivery " + std::to_string(d.id) + ": unknown outcome '" +
                                outcome + "' in the state database");
      }
      d.outcome = *parsed;
      d.http_status = st.getColumn(7).getInt();
      d.error = st.getColumn(8).getString();
      out.push_back(std::move(d));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::store
