// PostgresStateStore: environments, apps, incidents, the audit log, slot state, runtime state and
// the notification delivery log.
#include "postgres_impl.h"

namespace shipgate::store {
namespace {

using pg::PgConnection;
using pg::PgResult;
using pg_detail::bump;
using pg_detail::checkJson;
using pg_detail::lockVersion;
using pg_detail::pgBool;
using pg_detail::pgInt;
using pg_detail::pgLimit;
using pg_detail::pgText;
using pg_detail::requireApp;

constexpr const char* kIncidentColumns =
    "id, app, COALESCE(deployment_id, ''), cause, detail_json, opened_at, resolved_at, "
    "time_to_recover_ms";

IncidentRecord incidentFromRow(const PgResult& r, int row) {
  return IncidentRecord{r.int64(row, 0), r.text(row, 1),  r.text(row, 2),  r.text(row, 3),
                        r.text(row, 4),  r.int64(row, 5), r.int64(row, 6), r.int64(row, 7)};
}

Status readApps(PgConnection& db, const std::string* name, std::vector<AppRecord>& out) {
  const std::string sql = std::string(
                              "SELECT name, environment, runtime_kind, updated_at FROM "
                              "apps") +
                          (name ? " WHERE name = $1" : "") + " ORDER BY name COLLATE \"C\"";
  SG_PG_ASSIGN(auto r, name ? db.exec(sql, {pgText(*name)}) : db.exec(sql));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(AppRecord{r.text(i, 0), r.text(i, 1), r.text(i, 2), r.int64(i, 3)});
  }
  return Status::success();
}

}  // namespace

// ---- Environments and apps ----

Status PostgresStateStore::upsertEnvironment(const EnvironmentRecord& e) {
  if (e.name.empty()) return Status::invalidArgument("environment: empty name");
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_RETURN_IF_ERROR(db.run(
        "INSERT INTO environments (name, approval_required, bake_ms, triggers, "
        "scale_down_delay_ms, updated_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO "
        "UPDATE SET approval_required = excluded.approval_required, bake_ms = excluded.bake_ms, "
        "triggers = excluded.triggers, scale_down_delay_ms = excluded.scale_down_delay_ms, "
        "updated_at = excluded.updated_at",
        {pgText(e.name), pgBool(e.approval_required), pgInt(e.bake_ms), pgBool(e.triggers),
         pgInt(e.scale_down_delay_ms), pgInt(e.updated_at)}));
    return bump(db, "environment", e.name);
  });
}

Result<std::vector<EnvironmentRecord>> PostgresStateStore::listEnvironments() {
  Session lock(*this);
  std::vector<EnvironmentRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT name, approval_required, bake_ms, triggers, "
                                 "scale_down_delay_ms, updated_at FROM environments "
                                 "ORDER BY name COLLATE \"C\""));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(EnvironmentRecord{r.text(i, 0), r.int64(i, 1) != 0, r.int64(i, 2),
                                      r.int64(i, 3) != 0, r.int64(i, 4), r.int64(i, 5)});
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status PostgresStateStore::upsertApp(const AppRecord& a) {
  if (a.name.empty()) return Status::invalidArgument("app: empty name");
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_RETURN_IF_ERROR(db.run(
        "INSERT INTO apps (name, environment, runtime_kind, updated_at) "
        "VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET "
        "environment = excluded.environment, "
        "runtime_kind = excluded.runtime_kind, updated_at = excluded.updated_at",
        {pgText(a.name), pgText(a.environment), pgText(a.runtime_kind), pgInt(a.updated_at)}));
    return bump(db, "app", a.name);
  });
}

Result<AppRecord> PostgresStateStore::findApp(const std::string& name) {
  Session lock(*this);
  std::vector<AppRecord> out;
  Status status = read([&](PgConnection& db) { return readApps(db, &name, out); });
  if (!status.isOk()) return status;
  if (out.empty()) return Status::notFound("no app " + name);
  return out.front();
}

Result<std::vector<AppRecord>> PostgresStateStore::listApps() {
  Session lock(*this);
  std::vector<AppRecord> out;
  Status status = read([&](PgConnection& db) { return readApps(db, nullptr, out); });
  if (!status.isOk()) return status;
  return out;
}

// ---- Incidents ----

Result<int64_t> PostgresStateStore::openIncident(const IncidentRecord& i) {
  if (i.app.empty()) return Status::invalidArgument("incident: empty app");
  if (i.cause.empty()) return Status::invalidArgument("incident of " + i.app + ": empty cause");
  if (i.opened_at == 0) return Status::invalidArgument("incident of " + i.app + ": opened_at 0");
  Session lock(*this);
  int64_t id = 0;
  Status status = write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_RETURN_IF_ERROR(requireApp(db, i.app));
    SG_RETURN_IF_ERROR(checkJson(db, "incident detail_json", i.detail_json));
    if (!i.deployment_id.empty()) {
      SG_PG_ASSIGN(auto seen,
                   db.exec("SELECT 1 FROM deployments WHERE id = $1", {pgText(i.deployment_id)}));
      if (seen.rows() == 0) {
        return Status::failedPrecondition("incident of " + i.app + ": no deployment " +
                                          i.deployment_id);
      }
    }
    SG_PG_ASSIGN(auto r, db.exec("INSERT INTO incidents (app, deployment_id, cause, detail_json, "
                                 "opened_at, resolved_at, time_to_recover_ms) "
                                 "VALUES ($1, NULLIF($2, ''), $3, $4, $5, 0, 0) RETURNING id",
                                 {pgText(i.app), pgText(i.deployment_id), pgText(i.cause),
                                  pgText(i.detail_json), pgInt(i.opened_at)}));
    id = r.int64(0, 0);
    return bump(db, "incident", std::to_string(id));
  });
  if (!status.isOk()) return status;
  return id;
}

Status PostgresStateStore::resolveIncident(int64_t id, int64_t resolved_at) {
  const std::string name = "incident " + std::to_string(id);
  if (resolved_at == 0) return Status::invalidArgument(name + ": resolved_at 0");
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_PG_ASSIGN(auto cur, db.exec("SELECT opened_at, resolved_at FROM incidents WHERE id = $1 "
                                   "FOR UPDATE",
                                   {pgInt(id)}));
    if (cur.rows() == 0) return Status::notFound("no " + name);
    const int64_t opened_at = cur.int64(0, 0);
    const int64_t was_resolved = cur.int64(0, 1);
    if (was_resolved != 0) {
      return Status::failedPrecondition(name + " was already resolved at " +
                                        std::to_string(was_resolved));
    }
    if (resolved_at < opened_at) {
      return Status::invalidArgument(name + ": resolved_at " + std::to_string(resolved_at) +
                                     " is before opened_at " + std::to_string(opened_at));
    }
    SG_RETURN_IF_ERROR(
        db.run("UPDATE incidents SET resolved_at = $1, time_to_recover_ms = $2 WHERE id = $3",
               {pgInt(resolved_at), pgInt(resolved_at - opened_at), pgInt(id)}));
    return bump(db, "incident", std::to_string(id));
  });
}

Result<IncidentRecord> PostgresStateStore::findIncident(int64_t id) {
  Session lock(*this);
  IncidentRecord out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(
        auto r, db.exec(std::string("SELECT ") + kIncidentColumns + " FROM incidents WHERE id = $1",
                        {pgInt(id)}));
    if (r.rows() == 0) return Status::notFound("no incident " + std::to_string(id));
    out = incidentFromRow(r, 0);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<IncidentRecord>> PostgresStateStore::listIncidents(const std::string& app,
                                                                      bool open_only, int limit) {
  Session lock(*this);
  std::vector<IncidentRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kIncidentColumns +
                                     " FROM incidents WHERE ($1 = '' OR app = $1) "
                                     "AND ($2 = 0 OR resolved_at = 0) ORDER BY id DESC LIMIT $3",
                                 {pgText(app), pgInt(open_only ? 1 : 0), pgLimit(limit)}));
    for (int i = 0; i < r.rows(); ++i) out.push_back(incidentFromRow(r, i));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Audit log ----

Result<int64_t> PostgresStateStore::appendAudit(const AuditEntry& e) {
  if (e.action.empty()) return Status::invalidArgument("audit entry: empty action");
  if (e.at == 0) return Status::invalidArgument("audit entry " + e.action + ": at 0");
  Session lock(*this);
  int64_t id = 0;
  Status status = write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(checkJson(db, "audit entry detail_json", e.detail_json));
    SG_PG_ASSIGN(auto r, db.exec("INSERT INTO audit_log (at, actor, action, subject, reason, "
                                 "detail_json) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                                 {pgInt(e.at), pgText(e.actor), pgText(e.action), pgText(e.subject),
                                  pgText(e.reason), pgText(e.detail_json)}));
    id = r.int64(0, 0);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return id;
}

Result<std::vector<AuditEntry>> PostgresStateStore::listAudit(int64_t after_id, int limit) {
  Session lock(*this);
  std::vector<AuditEntry> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT id, at, actor, action, subject, reason, detail_json "
                                 "FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2",
                                 {pgInt(after_id), pgLimit(limit)}));
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(AuditEntry{r.int64(i, 0), r.int64(i, 1), r.text(i, 2), r.text(i, 3),
                               r.text(i, 4), r.text(i, 5), r.text(i, 6)});
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Slot state ----

Status PostgresStateStore::setSlotState(const SlotRecord& s) {
  if (s.app.empty()) return Status::invalidArgument("slot state: empty app");
  if (s.slot.empty()) return Status::invalidArgument("slot state of " + s.app + ": empty slot");
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_RETURN_IF_ERROR(requireApp(db, s.app));
    SG_RETURN_IF_ERROR(
        db.run("INSERT INTO slots (app, slot, version, state, updated_at) "
               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (app, slot) DO UPDATE SET "
               "version = excluded.version, state = excluded.state, "
               "updated_at = excluded.updated_at",
               {pgText(s.app), pgText(s.slot), pgText(s.version),
                pgText(std::string(toString(s.state))), pgInt(s.updated_at)}));
    return bump(db, "slot", s.app + "/" + s.slot);
  });
}

Result<std::vector<SlotRecord>> PostgresStateStore::slotStates(const std::string& app) {
  Session lock(*this);
  std::vector<SlotRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT app, slot, version, state, updated_at FROM slots "
                                 "WHERE app = $1 ORDER BY slot COLLATE \"C\"",
                                 {pgText(app)}));
    for (int i = 0; i < r.rows(); ++i) {
      SlotRecord s;
      s.app = r.text(i, 0);
      s.slot = r.text(i, 1);
      s.version = r.text(i, 2);
      const std::string state = r.text(i, 3);
      auto parsed = parseSlotState(state);
      if (!parsed) {
        return Status::internal("slot " + s.app + "/" + s.slot + ": unknown state '" + state +
                                "' in the state database");
      }
      s.state = *parsed;
      s.updated_at = r.int64(i, 4);
      out.push_back(std::move(s));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Runtime state ----

Status PostgresStateStore::putRuntimeState(const std::string& key, const std::string& json,
                                           int64_t updated_at) {
  if (key.empty()) return Status::invalidArgument("runtime state: empty key");
  if (json.empty()) return Status::invalidArgument("runtime state " + key + ": empty value");
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_RETURN_IF_ERROR(checkJson(db, "runtime state " + key, json));
    SG_RETURN_IF_ERROR(
        db.run("INSERT INTO runtime_state (key, value, updated_at) VALUES ($1, $2, $3) "
               "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
               "updated_at = excluded.updated_at",
               {pgText(key), pgText(json), pgInt(updated_at)}));
    return bump(db, "runtime", key);
  });
}

Result<std::optional<std::string>> PostgresStateStore::getRuntimeState(const std::string& key) {
  Session lock(*this);
  std::optional<std::string> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT value FROM runtime_state WHERE key = $1", {pgText(key)}));
    if (r.rows() > 0) out = r.text(0, 0);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Status PostgresStateStore::eraseRuntimeState(const std::string& key) {
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_PG_ASSIGN(auto r, db.exec("DELETE FROM runtime_state WHERE key = $1", {pgText(key)}));
    if (r.affected() == 0) return Status::success();  // nothing changed, nothing to notify
    return bump(db, "runtime", key);
  });
}

// ---- Delivery log ----

Result<int64_t> PostgresStateStore::recordDelivery(const DeliveryRecord& d) {
  if (d.channel.empty()) return Status::invalidArgument("delivery: empty channel");
  if (d.event.empty()) return Status::invalidArgument("delivery to " + d.channel + ": empty event");
  if (d.at == 0) return Status::invalidArgument("delivery to " + d.channel + ": at 0");
  if (d.attempt < 1) {
    return Status::invalidArgument("delivery to " + d.channel + ": attempt " +
                                   std::to_string(d.attempt) + " (attempts count from 1)");
  }
  Session lock(*this);
  int64_t id = 0;
  Status status = write([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r,
                 db.exec("INSERT INTO deliveries (at, channel, event, subject, attempt, outcome, "
                         "http_status, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                         {pgInt(d.at), pgText(d.channel), pgText(d.event), pgText(d.subject),
                          pgInt(d.attempt), pgText(std::string(toString(d.outcome))),
                          pgInt(d.http_status), pgText(d.error)}));
    id = r.int64(0, 0);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return id;
}

Result<std::vector<DeliveryRecord>> PostgresStateStore::listDeliveries(const std::string& channel,
                                                                       int limit) {
  Session lock(*this);
  std::vector<DeliveryRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec("SELECT id, at, channel, event, subject, attempt, outcome, "
                                 "http_status, error FROM deliveries "
                                 "WHERE ($1 = '' OR channel = $1) ORDER BY id DESC LIMIT $2",
                                 {pgText(channel), pgLimit(limit)}));
    for (int i = 0; i < r.rows(); ++i) {
      DeliveryRecord d;
      d.id = r.int64(i, 0);
      d.at = r.int64(i, 1);
      d.channel = r.text(i, 2);
      d.event = r.text(i, 3);
      d.subject = r.text(i, 4);
      d.attempt = static_cast<int>(r.int64(i, 5));
      const std::string outcome = r.text(i, 6);
      auto parsed = parseDeliveryOutcome(outcome);
      if (!parsed) {
        return Status::internal("delivery " + std::to_string(d.id) + ": unknown outcome '" +
                                outcome + "' in the state database");
      }
      d.outcome = *parsed;
      d.http_status = static_cast<int>(r.int64(i, 7));
      d.error = r.text(i, 8);
      out.push_back(std::move(d));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::store
