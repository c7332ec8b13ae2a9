// SqliteStateStore: releases, deployments and their steps.
#include <set>

#include "shipgate/store/sqlite_state_store.h"
#include "sqlite_impl.h"

namespace shipgate::store {
namespace {

using sqlite_detail::checkJson;
using sqlite_detail::requireApp;
using sqlite_detail::sqlLimit;

constexpr const char* kReleaseColumns =
    "app, version, artifact, commit_sha, commit_time, created_by, created_at";

ReleaseRecord releaseFromRow(SQLite::Statement& st) {
  ReleaseRecord r;
  r.app = st.getColumn(0).getString();
  r.version = st.getColumn(1).getString();
  r.artifact = st.getColumn(2).getString();
  r.commit_sha = st.getColumn(3).getString();
  r.commit_time = st.getColumn(4).getInt64();
  r.created_by = st.getColumn(5).getString();
  r.created_at = st.getColumn(6).getInt64();
  return r;
}

constexpr const char* kDeploymentColumns =
    "id, app, environment, version, previous_version, kind, state, from_slot, to_slot, actor, "
    "reason, approved_by, failure, baseline_json, rollback_json, created_at, updated_at, "
    "finished_at";

constexpr const char* kTerminalStates = "('succeeded', 'failed', 'rejected', 'rolled_back')";

Status deploymentFromRow(SQLite::Statement& st, DeploymentRecord& d) {
  d.id = st.getColumn(0).getString();
  d.app = st.getColumn(1).getString();
  d.environment = st.getColumn(2).getString();
  d.version = st.getColumn(3).getString();
  d.previous_version = st.getColumn(4).getString();
  const std::string kind = st.getColumn(5).getString();
  const std::string state = st.getColumn(6).getString();
  auto k = parseDeploymentKind(kind);
  auto s = parseDeploymentState(state);
  if (!k || !s) {
    return Status::internal("deployment " + d.id + ": unknown kind '" + kind + "' or state '" +
                            state + "' in the state database");
  }
  d.kind = *k;
  d.state = *s;
  d.from_slot = st.getColumn(7).getString();
  d.to_slot = st.getColumn(8).getString();
  d.actor = st.getColumn(9).getString();
  d.reason = st.getColumn(10).getString();
  d.approved_by = st.getColumn(11).getString();
  d.failure = st.getColumn(12).getString();
  d.baseline_json = st.getColumn(13).getString();
  d.rollback_json = st.getColumn(14).getString();
  d.created_at = st.getColumn(15).getInt64();
  d.updated_at = st.getColumn(16).getInt64();
  d.finished_at = st.getColumn(17).getInt64();
  return Status::success();
}

Status loadSteps(SQLite::Database& db, DeploymentRecord& d) {
  SQLite::Statement st(db,
                       "SELECT idx, name, state, started_at, ended_at, result, evidence_json "
                       "FROM deployment_steps WHERE deployment_id = ? ORDER BY idx");
  st.bind(1, d.id);
  d.steps.clear();
  while (st.executeStep()) {
    StepRecord s;
    s.deployment_id = d.id;
    s.index = st.getColumn(0).getInt();
    s.name = st.getColumn(1).getString();
    const std::string state = st.getColumn(2).getString();
    auto parsed = parseStepState(state);
    if (!parsed) {
      return Status::internal("deployment " + d.id + " step " + std::to_string(s.index) +
                              ": unknown state '" + state + "' in the state database");
    }
    s.state = *parsed;
    s.started_at = st.getColumn(3).getInt64();
    s.ended_at = st.getColumn(4).getInt64();
    s.result = st.getColumn(5).getString();
    s.evidence_json = st.getColumn(6).getString();
    d.steps.push_back(std::move(s));
  }
  return Status::success();
}

Status validateStep(const StepRecord& s) {
  if (s.index < 0) {
    return Status::invalidArgument("step " + std::to_string(s.index) + ": negative index");
  }
  if (s.name.empty()) {
    return Status::invalidArgument("step " + std::to_string(s.index) + ": empty name");
  }
  return Status::success();
}

void upsertStep(SQLite::Database& db, const std::string& deployment_id, const StepRecord& s) {
  SQLite::Statement st(
      db,
      "INSERT INTO deployment_steps (deployment_id, idx, name, state, started_at, ended_at, "
      "result, evidence_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT (deployment_id, idx) DO UPDATE SET name = excluded.name, "
      "state = excluded.state, started_at = excluded.started_at, ended_at = excluded.ended_at, "
      "result = excluded.result, evidence_json = excluded.evidence_json");
  SQLite::bind(st, deployment_id, s.index, s.name, std::string(toString(s.state)), s.started_at,
               s.ended_at, s.result, s.evidence_json);
  st.exec();
}

// The app's unfinished deployment other than `except_id`, as "d-3 (baking)", or empty.
std::string unfinishedOf(SQLite::Database& db, const std::string& app,
                         const std::string& except_id) {
  SQLite::Statement st(db, std::string("SELECT id, state FROM deployments WHERE app = ? AND "
                                       "id <> ? AND state NOT IN ") +
                               kTerminalStates + " LIMIT 1");
  SQLite::bind(st, app, except_id);
  if (!st.executeStep()) return "";
  return st.getColumn(0).getString() + " (" + st.getColumn(1).getString() + ")";
}

bool deploymentExists(SQLite::Database& db, const std::string& id) {
  SQLite::Statement st(db, "SELECT 1 FROM deployments WHERE id = ?");
  st.bind(1, id);
  return st.executeStep();
}

}  // namespace

// ---- Releases ----

Status SqliteStateStore::createRelease(const ReleaseRecord& r) {
  if (r.app.empty()) return Status::invalidArgument("release: empty app");
  if (r.version.empty()) return Status::invalidArgument("release of " + r.app + ": empty version");
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SG_RETURN_IF_ERROR(requireApp(db, r.app));
    SQLite::Statement seen(db, "SELECT 1 FROM releases WHERE app = ? AND version = ?");
    SQLite::bind(seen, r.app, r.version);
    if (seen.executeStep()) {
      return Status::alreadyExists("release " + r.app + " " + r.version +
                                   " already exists (releases are immutable)");
    }
    SQLite::Statement st(db, std::string("INSERT INTO releases (") + kReleaseColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?)");
    SQLite::bind(st, r.app, r.version, r.artifact, r.commit_sha, r.commit_time, r.created_by,
                 r.created_at);
    st.exec();
    return Status::success();
  });
}

Result<ReleaseRecord> SqliteStateStore::findRelease(const std::string& app,
                                                    const std::string& version) {
  Session lock(*this);
  ReleaseRecord out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kReleaseColumns +
                                 " FROM releases WHERE app = ? AND version = ?");
    SQLite::bind(st, app, version);
    if (!st.executeStep()) return Status::notFound("no release " + app + " " + version);
    out = releaseFromRow(st);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<ReleaseRecord>> SqliteStateStore::listReleases(const std::string& app,
                                                                  int limit) {
  Session lock(*this);
  std::vector<ReleaseRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kReleaseColumns +
                                 " FROM releases WHERE app = ? "
                                 "ORDER BY created_at DESC, seq DESC LIMIT ?");
    SQLite::bind(st, app, sqlLimit(limit));
    while (st.executeStep()) out.push_back(releaseFromRow(st));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Deployments ----

Result<std::string> SqliteStateStore::createDeployment(const DeploymentRecord& d) {
  if (d.app.empty()) return Status::invalidArgument("deployment: empty app");
  if (d.version.empty())
    return Status::invalidArgument("deployment of " + d.app + ": empty version");
  if (d.environment.empty()) {
    return Status::invalidArgument("deployment of " + d.app + ": empty environment");
  }
  std::set<int> indexes;
  for (const StepRecord& s : d.steps) {
    SG_RETURN_IF_ERROR(validateStep(s));
    if (!indexes.insert(s.index).second) {
      return Status::invalidArgument("deployment of " + d.app + ": step index " +
                                     std::to_string(s.index) + " appears twice");
    }
  }
  Session lock(*this);
  std::string id = d.id;
  Status status = write([&](SQLite::Database& db) -> Status {
    SG_RETURN_IF_ERROR(requireApp(db, d.app));
    SG_RETURN_IF_ERROR(checkJson(db, "deployment baseline_json", d.baseline_json));
    SG_RETURN_IF_ERROR(checkJson(db, "deployment rollback_json", d.rollback_json));
    for (const StepRecord& s : d.steps) {
      SG_RETURN_IF_ERROR(checkJson(db, "step " + s.name + " evidence_json", s.evidence_json));
    }
    SQLite::Statement release(db, "SELECT 1 FROM releases WHERE app = ? AND version = ?");
    SQLite::bind(release, d.app, d.version);
    if (!release.executeStep()) {
      return Status::failedPrecondition("release " + d.app + " " + d.version +
                                        " is not recorded in the state store");
    }
    if (!isTerminal(d.state)) {
      const std::string other = unfinishedOf(db, d.app, "");
      if (!other.empty()) {
        return Status::failedPrecondition("app " + d.app +
                                          " already has an unfinished deployment: " + other);
      }
    }
    if (!id.empty()) {
      if (deploymentExists(db, id)) return Status::alreadyExists("deployment " + id + " exists");
    } else {
      SQLite::Statement next(db, "SELECT COALESCE(MAX(seq), 0) + 1 FROM deployments");
      next.executeStep();
      int64_t n = next.getColumn(0).getInt64();
      do {
        id = "d-" + std::to_string(n++);
      } while (deploymentExists(db, id));
    }
    SQLite::Statement st(db, std::string("INSERT INTO deployments (") + kDeploymentColumns +
                                 ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    SQLite::bind(st, id, d.app, d.environment, d.version, d.previous_version,
                 std::string(toString(d.kind)), std::string(toString(d.state)), d.from_slot,
                 d.to_slot, d.actor, d.reason, d.approved_by, d.failure, d.baseline_json,
                 d.rollback_json, d.created_at, d.updated_at, d.finished_at);
    st.exec();
    for (const StepRecord& s : d.steps) upsertStep(db, id, s);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return id;
}

Status SqliteStateStore::updateDeployment(const DeploymentRecord& d) {
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    SQLite::Statement cur(db, "SELECT app, state FROM deployments WHERE id = ?");
    cur.bind(1, d.id);
    if (!cur.executeStep()) return Status::notFound("no deployment " + d.id);
    const std::string app = cur.getColumn(0).getString();
    const std::string stored = cur.getColumn(1).getString();
    auto stored_state = parseDeploymentState(stored);
    if (!stored_state) {
      return Status::internal("deployment " + d.id + ": unknown state '" + stored +
                              "' in the state database");
    }
    if (isTerminal(*stored_state) && d.state != *stored_state) {
      return Status::failedPrecondition("deployment " + d.id + " is already " + stored +
                                        "; it cannot become " + std::string(toString(d.state)));
    }
    SG_RETURN_IF_ERROR(checkJson(db, "deployment baseline_json", d.baseline_json));
    SG_RETURN_IF_ERROR(checkJson(db, "deployment rollback_json", d.rollback_json));
    SQLite::Statement st(db,
                         "UPDATE deployments SET state = ?, from_slot = ?, to_slot = ?, "
                         "reason = ?, approved_by = ?, failure = ?, baseline_json = ?, "
                         "rollback_json = ?, updated_at = ?, finished_at = ? WHERE id = ?");
    SQLite::bind(st, std::string(toString(d.state)), d.from_slot, d.to_slot, d.reason,
                 d.approved_by, d.failure, d.baseline_json, d.rollback_json, d.updated_at,
                 d.finished_at, d.id);
    st.exec();
    return Status::success();
  });
}

Status SqliteStateStore::saveStep(const StepRecord& s) {
  SG_RETURN_IF_ERROR(validateStep(s));
  Session lock(*this);
  return write([&](SQLite::Database& db) -> Status {
    if (!deploymentExists(db, s.deployment_id)) {
      return Status::notFound("no deployment " + s.deployment_id);
    }
    SG_RETURN_IF_ERROR(checkJson(db, "step " + s.name + " evidence_json", s.evidence_json));
    upsertStep(db, s.deployment_id, s);
    return Status::success();
  });
}

Result<DeploymentRecord> SqliteStateStore::getDeployment(const std::string& id) {
  Session lock(*this);
  DeploymentRecord out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(
        db, std::string("SELECT ") + kDeploymentColumns + " FROM deployments WHERE id = ?");
    st.bind(1, id);
    if (!st.executeStep()) return Status::notFound("no deployment " + id);
    SG_RETURN_IF_ERROR(deploymentFromRow(st, out));
    return loadSteps(db, out);
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<DeploymentRecord>> SqliteStateStore::listDeployments(const std::string& app,
                                                                        int limit) {
  Session lock(*this);
  std::vector<DeploymentRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kDeploymentColumns +
                                 " FROM deployments WHERE (?1 = '' OR app = ?1) "
                                 "ORDER BY seq DESC LIMIT ?2");
    SQLite::bind(st, app, sqlLimit(limit));
    while (st.executeStep()) {
      DeploymentRecord d;
      SG_RETURN_IF_ERROR(deploymentFromRow(st, d));
      out.push_back(std::move(d));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<DeploymentRecord>> SqliteStateStore::unfinishedDeployments() {
  Session lock(*this);
  std::vector<DeploymentRecord> out;
  Status status = read([&](SQLite::Database& db) -> Status {
    SQLite::Statement st(db, std::string("SELECT ") + kDeploymentColumns +
                                 " FROM deployments WHERE state NOT IN " + kTerminalStates +
                                 " ORDER BY seq");
    while (st.executeStep()) {
      DeploymentRecord d;
      SG_RETURN_IF_ERROR(deploymentFromRow(st, d));
      out.push_back(std::move(d));
    }
    for (DeploymentRecord& d : out) SG_RETURN_IF_ERROR(loadSteps(db, d));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::store
