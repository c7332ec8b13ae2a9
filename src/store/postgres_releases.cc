// PostgresStateStore: releases, deployments and their steps.
#include <set>

#include "postgres_impl.h"

namespace shipgate::store {
namespace {

using pg::PgConnection;
using pg::PgResult;
using pg_detail::bump;
using pg_detail::checkJson;
using pg_detail::lockVersion;
using pg_detail::pgInt;
using pg_detail::pgLimit;
using pg_detail::pgText;
using pg_detail::requireApp;

constexpr const char* kReleaseColumns =
    "app, version, artifact, commit_sha, commit_time, created_by, created_at";

ReleaseRecord releaseFromRow(const PgResult& r, int row) {
  return ReleaseRecord{r.text(row, 0),  r.text(row, 1), r.text(row, 2), r.text(row, 3),
                       r.int64(row, 4), r.text(row, 5), r.int64(row, 6)};
}

constexpr const char* kDeploymentColumns =
    "id, app, environment, version, previous_version, kind, state, from_slot, to_slot, actor, "
    "reason, approved_by, failure, baseline_json, rollback_json, created_at, updated_at, "
    "finished_at";

constexpr const char* kTerminalStates = "('succeeded', 'failed', 'rejected', 'rolled_back')";

Status deploymentFromRow(const PgResult& r, int row, DeploymentRecord& d) {
  d.id = r.text(row, 0);
  d.app = r.text(row, 1);
  d.environment = r.text(row, 2);
  d.version = r.text(row, 3);
  d.previous_version = r.text(row, 4);
  const std::string kind = r.text(row, 5);
  const std::string state = r.text(row, 6);
  auto k = parseDeploymentKind(kind);
  auto s = parseDeploymentState(state);
  if (!k || !s) {
    return Status::internal("deployment " + d.id + ": unknown kind '" + kind + "' or state '" +
                            state + "' in the state database");
  }
  d.kind = *k;
  d.state = *s;
  d.from_slot = r.text(row, 7);
  d.to_slot = r.text(row, 8);
  d.actor = r.text(row, 9);
  d.reason = r.text(row, 10);
  d.approved_by = r.text(row, 11);
  d.failure = r.text(row, 12);
  d.baseline_json = r.text(row, 13);
  d.rollback_json = r.text(row, 14);
  d.created_at = r.int64(row, 15);
  d.updated_at = r.int64(row, 16);
  d.finished_at = r.int64(row, 17);
  return Status::success();
}

Status loadSteps(PgConnection& db, DeploymentRecord& d) {
  SG_PG_ASSIGN(auto r, db.exec("SELECT idx, name, state, started_at, ended_at, result, "
                               "evidence_json FROM deployment_steps WHERE deployment_id = $1 "
                               "ORDER BY idx",
                               {pgText(d.id)}));
  d.steps.clear();
  for (int i = 0; i < r.rows(); ++i) {
    StepRecord s;
    s.deployment_id = d.id;
    s.index = static_cast<int>(r.int64(i, 0));
    s.name = r.text(i, 1);
    const std::string state = r.text(i, 2);
    auto parsed = parseStepState(state);
    if (!parsed) {
      return Status::internal("deployment " + d.id + " step " + std::to_string(s.index) +
                              ": unknown state '" + state + "' in the state database");
    }
    s.state = *parsed;
    s.started_at = r.int64(i, 3);
    s.ended_at = r.int64(i, 4);
    s.result = r.text(i, 5);
    s.evidence_json = r.text(i, 6);
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

Status upsertStep(PgConnection& db, const std::string& deployment_id, const StepRecord& s) {
  return db.run(
      "INSERT INTO deployment_steps (deployment_id, idx, name, state, started_at, ended_at, "
      "result, evidence_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
      "ON CONFLICT (deployment_id, idx) DO UPDATE SET name = excluded.name, "
      "state = excluded.state, started_at = excluded.started_at, ended_at = excluded.ended_at, "
      "result = excluded.result, evidence_json = excluded.evidence_json",
      {pgText(deployment_id), pgInt(s.index), pgText(s.name),
       pgText(std::string(toString(s.state))), pgInt(s.started_at), pgInt(s.ended_at),
       pgText(s.result), pgText(s.evidence_json)});
}

// The app's unfinished deployment other than `except_id`, as "d-3 (baking)", or empty.
Result<std::string> unfinishedOf(PgConnection& db, const std::string& app,
                                 const std::string& except_id) {
  SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT id, state FROM deployments WHERE app = $1 AND "
                                           "id <> $2 AND state NOT IN ") +
                                   kTerminalStates + " LIMIT 1",
                               {pgText(app), pgText(except_id)}));
  if (r.rows() == 0) return std::string();
  return r.text(0, 0) + " (" + r.text(0, 1) + ")";
}

Result<bool> deploymentExists(PgConnection& db, const std::string& id) {
  SG_PG_ASSIGN(auto r, db.exec("SELECT 1 FROM deployments WHERE id = $1", {pgText(id)}));
  return r.rows() > 0;
}

}  // namespace

// ---- Releases ----

Status PostgresStateStore::createRelease(const ReleaseRecord& r) {
  if (r.app.empty()) return Status::invalidArgument("release: empty app");
  if (r.version.empty()) return Status::invalidArgument("release of " + r.app + ": empty version");
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_RETURN_IF_ERROR(requireApp(db, r.app));
    SG_PG_ASSIGN(auto seen, db.exec("SELECT 1 FROM releases WHERE app = $1 AND version = $2",
                                    {pgText(r.app), pgText(r.version)}));
    if (seen.rows() > 0) {
      return Status::alreadyExists("release " + r.app + " " + r.version +
                                   " already exists (releases are immutable)");
    }
    SG_RETURN_IF_ERROR(
        db.run(std::string("INSERT INTO releases (") + kReleaseColumns +
                   ") VALUES ($1, $2, $3, $4, $5, $6, $7)",
               {pgText(r.app), pgText(r.version), pgText(r.artifact), pgText(r.commit_sha),
                pgInt(r.commit_time), pgText(r.created_by), pgInt(r.created_at)}));
    return bump(db, "release", r.app + "/" + r.version);
  });
}

Result<ReleaseRecord> PostgresStateStore::findRelease(const std::string& app,
                                                      const std::string& version) {
  Session lock(*this);
  ReleaseRecord out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kReleaseColumns +
                                     " FROM releases WHERE app = $1 AND version = $2",
                                 {pgText(app), pgText(version)}));
    if (r.rows() == 0) return Status::notFound("no release " + app + " " + version);
    out = releaseFromRow(r, 0);
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<ReleaseRecord>> PostgresStateStore::listReleases(const std::string& app,
                                                                    int limit) {
  Session lock(*this);
  std::vector<ReleaseRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kReleaseColumns +
                                     " FROM releases WHERE app = $1 "
                                     "ORDER BY created_at DESC, seq DESC LIMIT $2",
                                 {pgText(app), pgLimit(limit)}));
    for (int i = 0; i < r.rows(); ++i) out.push_back(releaseFromRow(r, i));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

// ---- Deployments ----

Result<std::string> PostgresStateStore::createDeployment(const DeploymentRecord& d) {
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
  Status status = write([&](PgConnection& db) -> Status {
    id = d.id;
    SG_RETURN_IF_ERROR(lockVersion(db));
    // The app's row, locked: a concurrent createDeployment for the same app (from any process)
    // waits here until this transaction ends, then sees its deployment.
    SG_PG_ASSIGN(auto app_row,
                 db.exec("SELECT 1 FROM apps WHERE name = $1 FOR UPDATE", {pgText(d.app)}));
    if (app_row.rows() == 0) {
      return Status::failedPrecondition("app '" + d.app + "' is not recorded in the state store");
    }
    SG_RETURN_IF_ERROR(checkJson(db, "deployment baseline_json", d.baseline_json));
    SG_RETURN_IF_ERROR(checkJson(db, "deployment rollback_json", d.rollback_json));
    for (const StepRecord& s : d.steps) {
      SG_RETURN_IF_ERROR(checkJson(db, "step " + s.name + " evidence_json", s.evidence_json));
    }
    SG_PG_ASSIGN(auto release, db.exec("SELECT 1 FROM releases WHERE app = $1 AND version = $2",
                                       {pgText(d.app), pgText(d.version)}));
    if (release.rows() == 0) {
      return Status::failedPrecondition("release " + d.app + " " + d.version +
                                        " is not recorded in the state store");
    }
    if (!isTerminal(d.state)) {
      SG_PG_ASSIGN(const std::string other, unfinishedOf(db, d.app, ""));
      if (!other.empty()) {
        return Status::failedPrecondition("app " + d.app +
                                          " already has an unfinished deployment: " + other);
      }
    }
    if (!id.empty()) {
      SG_PG_ASSIGN(const bool taken, deploymentExists(db, id));
      if (taken) return Status::alreadyExists("deployment " + id + " exists");
    } else {
      bool taken = true;
      while (taken) {
        SG_PG_ASSIGN(auto next, db.exec("SELECT nextval('deployment_ids')"));
        id = "d-" + next.text(0, 0);
        SG_PG_ASSIGN(taken, deploymentExists(db, id));
      }
    }
    SG_RETURN_IF_ERROR(db.run(
        std::string("INSERT INTO deployments (") + kDeploymentColumns +
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
            "$17, $18)",
        {pgText(id), pgText(d.app), pgText(d.environment), pgText(d.version),
         pgText(d.previous_version), pgText(std::string(toString(d.kind))),
         pgText(std::string(toString(d.state))), pgText(d.from_slot), pgText(d.to_slot),
         pgText(d.actor), pgText(d.reason), pgText(d.approved_by), pgText(d.failure),
         pgText(d.baseline_json), pgText(d.rollback_json), pgInt(d.created_at), pgInt(d.updated_at),
         pgInt(d.finished_at)}));
    for (const StepRecord& s : d.steps) SG_RETURN_IF_ERROR(upsertStep(db, id, s));
    return bump(db, "deployment", id);
  });
  if (!status.isOk()) {
    // The partial unique index caught a concurrent writer the row lock did not (it cannot
    // happen through this store, which locks the app row first); same meaning, same code.
    if (status.code() == Status::Code::kAlreadyExists &&
        status.message().find("deployments_one_unfinished_per_app") != std::string::npos) {
      return Status::failedPrecondition(
          "app " + d.app + " already has an unfinished deployment: " + status.message());
    }
    return status;
  }
  return id;
}

Status PostgresStateStore::updateDeployment(const DeploymentRecord& d) {
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_PG_ASSIGN(auto cur, db.exec("SELECT app, state FROM deployments WHERE id = $1 FOR UPDATE",
                                   {pgText(d.id)}));
    if (cur.rows() == 0) return Status::notFound("no deployment " + d.id);
    const std::string stored = cur.text(0, 1);
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
    SG_RETURN_IF_ERROR(
        db.run("UPDATE deployments SET state = $1, from_slot = $2, to_slot = $3, reason = $4, "
               "approved_by = $5, failure = $6, baseline_json = $7, rollback_json = $8, "
               "updated_at = $9, finished_at = $10 WHERE id = $11",
               {pgText(std::string(toString(d.state))), pgText(d.from_slot), pgText(d.to_slot),
                pgText(d.reason), pgText(d.approved_by), pgText(d.failure), pgText(d.baseline_json),
                pgText(d.rollback_json), pgInt(d.updated_at), pgInt(d.finished_at), pgText(d.id)}));
    return bump(db, "deployment", d.id);
  });
}

Status PostgresStateStore::saveStep(const StepRecord& s) {
  SG_RETURN_IF_ERROR(validateStep(s));
  Session lock(*this);
  return write([&](PgConnection& db) -> Status {
    SG_RETURN_IF_ERROR(lockVersion(db));
    SG_PG_ASSIGN(const bool exists, deploymentExists(db, s.deployment_id));
    if (!exists) return Status::notFound("no deployment " + s.deployment_id);
    SG_RETURN_IF_ERROR(checkJson(db, "step " + s.name + " evidence_json", s.evidence_json));
    SG_RETURN_IF_ERROR(upsertStep(db, s.deployment_id, s));
    return bump(db, "deployment", s.deployment_id);
  });
}

Result<DeploymentRecord> PostgresStateStore::getDeployment(const std::string& id) {
  Session lock(*this);
  DeploymentRecord out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kDeploymentColumns +
                                     " FROM deployments WHERE id = $1",
                                 {pgText(id)}));
    if (r.rows() == 0) return Status::notFound("no deployment " + id);
    SG_RETURN_IF_ERROR(deploymentFromRow(r, 0, out));
    return loadSteps(db, out);
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<DeploymentRecord>> PostgresStateStore::listDeployments(const std::string& app,
                                                                          int limit) {
  Session lock(*this);
  std::vector<DeploymentRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kDeploymentColumns +
                                     " FROM deployments WHERE ($1 = '' OR app = $1) "
                                     "ORDER BY seq DESC LIMIT $2",
                                 {pgText(app), pgLimit(limit)}));
    for (int i = 0; i < r.rows(); ++i) {
      DeploymentRecord d;
      SG_RETURN_IF_ERROR(deploymentFromRow(r, i, d));
      out.push_back(std::move(d));
    }
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

Result<std::vector<DeploymentRecord>> PostgresStateStore::unfinishedDeployments() {
  Session lock(*this);
  std::vector<DeploymentRecord> out;
  Status status = read([&](PgConnection& db) -> Status {
    out.clear();
    SG_PG_ASSIGN(auto r, db.exec(std::string("SELECT ") + kDeploymentColumns +
                                 " FROM deployments WHERE state NOT IN " + kTerminalStates +
                                 " ORDER BY seq"));
    for (int i = 0; i < r.rows(); ++i) {
      DeploymentRecord d;
      SG_RETURN_IF_ERROR(deploymentFromRow(r, i, d));
      out.push_back(std::move(d));
    }
    for (DeploymentRecord& d : out) SG_RETURN_IF_ERROR(loadSteps(db, d));
    return Status::success();
  });
  if (!status.isOk()) return status;
  return out;
}

}  // namespace shipgate::store
