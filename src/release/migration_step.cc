// The deploy step `migrate` (see migration_step.h).
#include "migration_step.h"

#include <algorithm>
#include <filesystem>

#include "shipgate/migrate/migrations.h"
#include "shipgate/store/postgres_connection.h"

namespace shipgate::release {

using json = nlohmann::json;
using store::DeploymentKind;
using store::DeploymentState;
using store::StepState;

namespace {

MigrateStepOutcome outcome(StepState state, std::string result, json evidence = nullptr) {
  MigrateStepOutcome out;
  out.state = state;
  out.result = std::move(result);
  out.evidence = std::move(evidence);
  return out;
}

// The app's database: the resolved URL (never shown) and how messages name it.
struct Database {
  std::string url;
  std::string described;  // user@host:port/db
};

Result<Database> resolveDatabase(const AppRelease& app, const SlotRuntime& runtime) {
  auto url = runtime.resolveSetting(app, "database.url", app.database->url);
  if (!url.isOk()) return url.status();
  if (!store::pg::isPostgresUrl(*url)) {
    return Status::invalidArgument("database.url: the resolved value is not a postgres:// or "
                                   "postgresql:// URL");
  }
  Status valid = store::pg::validateUrl(*url);
  if (!valid.isOk()) return Status::invalidArgument("database.url: " + valid.message());
  return Database{*url, store::pg::describeUrl(*url)};
}

// The migrations folder of `version`: absolute as configured, else inside its files. nullopt
// (with `why`) when a relative folder is absent: that release carries no migrations.
Result<std::optional<std::string>> migrationsFolder(const AppRelease& app,
                                                    const std::string& version,
                                                    const std::string& artifact,
                                                    const SlotRuntime& runtime, std::string& why) {
  namespace fs = std::filesystem;
  const std::string& configured = app.database->migrations;
  if (!configured.empty() && configured[0] == '/') return std::optional<std::string>(configured);
  auto files = runtime.releaseFiles(app, version, artifact);
  if (!files.isOk()) return files.status();
  std::string folder = (fs::path(*files) / configured).lexically_normal().string();
  std::error_code ec;
  if (!fs::exists(folder, ec)) {
    why = "release " + version + " carries no migrations folder (" + folder + ")";
    return std::optional<std::string>();
  }
  return std::optional<std::string>(folder);
}

std::string joined(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

json labels(const std::vector<migrate::Migration>& all, const std::vector<std::string>& ids) {
  json out = json::array();
  for (const auto& id : ids) {
    auto m = std::find_if(all.begin(), all.end(), [&](const auto& x) { return x.id == id; });
    out.push_back(m == all.end() ? id : m->label());
  }
  return out;
}

// The succeeded deployment of app/version in `env` whose migrate step applied the migrations
// (succeeded) or found them applied already ("nothing pending"); "" when there is none.
Result<std::string> testedBy(store::StateStore& store, const std::string& app,
                             const std::string& version, const std::string& env) {
  auto list = store.listDeployments(app, 0);
  if (!list.isOk()) return list.status();
  for (const auto& d : *list) {
    if (d.environment != env || d.version != version || d.kind != DeploymentKind::kDeploy ||
        d.state != DeploymentState::kSucceeded) {
      continue;
    }
    auto full = store.getDeployment(d.id);
    if (!full.isOk()) return full.status();
    for (const auto& s : full->steps) {
      if (s.name != "migrate") continue;
      if (s.state == StepState::kSucceeded ||
          (s.state == StepState::kSkipped && s.result.rfind("nothing pending", 0) == 0)) {
        return d.id;
      }
    }
  }
  return std::string();
}

MigrateStepOutcome deployStep(const MigrateStepInput& in, store::StateStore& store,
                              const SlotRuntime& runtime) {
  const AppRelease& app = *in.release;
  std::string why;
  auto folder = migrationsFolder(app, in.version, in.artifact, runtime, why);
  if (!folder.isOk()) return outcome(StepState::kFailed, folder.status().message());
  if (!folder->has_value()) return outcome(StepState::kSkipped, why);
  auto db = resolveDatabase(app, runtime);
  if (!db.isOk()) return outcome(StepState::kFailed, db.status().message());
  json evidence = {{"database", db->described}, {"folder", **folder}};
  auto migrations = migrate::loadMigrations(**folder);
  if (!migrations.isOk()) {
    return outcome(StepState::kFailed, migrations.status().message(), evidence);
  }
  auto conn = store::pg::PgConnection::connect(db->url);
  if (!conn.isOk()) return outcome(StepState::kFailed, conn.status().message(), evidence);
  auto entries = migrate::status(**conn, *migrations);
  if (!entries.isOk()) return outcome(StepState::kFailed, entries.status().message(), evidence);
  json pending = json::array();
  size_t applied = 0;
  std::string blocked;
  for (const auto& e : *entries) {
    const std::string label = e.id + "_" + e.name;
    switch (e.state) {
      case migrate::State::kPending:
        pending.push_back(label);
        break;
      case migrate::State::kApplied:
        ++applied;
        break;
      case migrate::State::kDrifted:
        blocked += (blocked.empty() ? "" : "; ") + std::string("checksum drift: ") + label +
                   ".up.sql changed since it was applied";
        break;
      case migrate::State::kMissing:
        blocked += (blocked.empty() ? "" : "; ") + std::string("missing: ") + label +
                   " is applied but its up file " + label + ".up.sql is not in the folder";
        break;
    }
  }
  evidence["pending"] = pending;
  if (!blocked.empty()) {
    return outcome(StepState::kFailed, blocked + " (nothing was applied; resolve it first)",
                   evidence);
  }
  if (pending.empty()) {
    return outcome(StepState::kSkipped,
                   "nothing pending: every migration of release " + in.version + " (" +
                       std::to_string(applied) + ") is applied in " + db->described,
                   evidence);
  }
  if (!in.env->migrations_tested_in.empty()) {
    const std::string& where = in.env->migrations_tested_in;
    const std::string& twin = app.database->tested_as.empty() ? app.app : app.database->tested_as;
    auto tested = testedBy(store, twin, in.version, where);
    if (!tested.isOk()) return outcome(StepState::kFailed, tested.status().message(), evidence);
    if (tested->empty()) {
      return outcome(StepState::kFailed,
                     "migrations not tested: no succeeded deployment of " + twin + " " +
                         in.version + " in " + where + " applied them (environment " +
                         in.env->name + " has migrations_tested_in: " + where + "); " +
                         std::to_string(pending.size()) + " pending, nothing was applied",
                     evidence);
    }
    evidence["tested_in"] = {{"environment", where}, {"app", twin}, {"deployment", *tested}};
  }
  migrate::ApplyOptions options;
  options.applied_by = in.actor;
  options.deployment = in.deployment_id;
  auto done = migrate::migrate(**conn, *migrations, options);
  if (!done.isOk()) {
    // What this run left applied (earlier migrations of the run committed on their own).
    auto left = migrate::appliedByDeployment(**conn, in.deployment_id);
    json kept = json::array();
    if (left.isOk()) {
      std::vector<std::string> oldest_first(left->rbegin(), left->rend());
      kept = labels(*migrations, oldest_first);
    }
    evidence["applied"] = kept;
    return outcome(StepState::kFailed, done.status().message(), evidence);
  }
  evidence["applied"] = *done;
  if (done->empty()) {
    return outcome(StepState::kSkipped,
                   "nothing pending: another run applied them meanwhile in " + db->described,
                   evidence);
  }
  return outcome(StepState::kSucceeded,
                 "applied " + std::to_string(done->size()) + " migration" +
                     (done->size() == 1 ? "" : "s") + " to " + db->described,
                 evidence);
}

MigrateStepOutcome rollbackStep(const MigrateStepInput& in, store::StateStore& store,
                                const SlotRuntime& runtime) {
  const AppRelease& app = *in.release;
  const std::string& rolled_back = in.previous_version;
  auto db = resolveDatabase(app, runtime);
  if (!db.isOk()) {
    if (!in.with_migrations) {
      return outcome(StepState::kSkipped, "standard rollback: the database is left alone");
    }
    return outcome(StepState::kFailed, db.status().message());
  }
  json evidence = {{"database", db->described}, {"rolled_back_release", rolled_back}};
  // The deployments that brought the rolled-back release: their migrations are its own.
  std::vector<std::string> deployments;
  if (!rolled_back.empty()) {
    auto list = store.listDeployments(app.app, 0);
    if (!list.isOk()) return outcome(StepState::kFailed, list.status().message(), evidence);
    for (const auto& d : *list) {
      if (d.kind == DeploymentKind::kDeploy && d.version == rolled_back) {
        deployments.push_back(d.id);
      }
    }
  }
  evidence["deployments"] = deployments;
  auto conn = store::pg::PgConnection::connect(db->url);
  if (!conn.isOk()) {
    if (!in.with_migrations) {
      return outcome(StepState::kSkipped,
                     "standard rollback: the database is left alone (" +
                         conn.status().message() + ")",
                     evidence);
    }
    return outcome(StepState::kFailed, conn.status().message(), evidence);
  }
  std::vector<std::string> ids;
  for (const auto& d : deployments) {
    auto mine = migrate::appliedByDeployment(**conn, d);
    if (!mine.isOk()) return outcome(StepState::kFailed, mine.status().message(), evidence);
    ids.insert(ids.end(), mine->begin(), mine->end());
  }
  std::sort(ids.rbegin(), ids.rend());
  if (!in.with_migrations) {
    evidence["left_applied"] = ids;
    return outcome(StepState::kSkipped,
                   "standard rollback: the database is left alone; " +
                       (ids.empty() ? std::string("release ") + rolled_back +
                                          " applied no migrations"
                                    : "migrations of release " + rolled_back +
                                          " left applied: " + joined(ids) +
                                          " (rollback --with-migrations takes them back)"),
                   evidence);
  }
  if (ids.empty()) {
    return outcome(StepState::kSkipped,
                   "release " + rolled_back + " applied no migrations: nothing to roll back",
                   evidence);
  }
  // The down files are the rolled-back release's own.
  auto rel = store.findRelease(app.app, rolled_back);
  if (!rel.isOk()) return outcome(StepState::kFailed, rel.status().message(), evidence);
  std::string why;
  auto folder = migrationsFolder(app, rolled_back, rel->artifact, runtime, why);
  if (!folder.isOk()) return outcome(StepState::kFailed, folder.status().message(), evidence);
  if (!folder->has_value()) {
    return outcome(StepState::kFailed,
                   why + ": its down files are needed; nothing was rolled back", evidence);
  }
  evidence["folder"] = **folder;
  auto migrations = migrate::loadMigrations(**folder);
  if (!migrations.isOk()) {
    return outcome(StepState::kFailed, migrations.status().message(), evidence);
  }
  auto done = migrate::rollbackDeployment(**conn, *migrations, deployments);
  if (!done.isOk()) return outcome(StepState::kFailed, done.status().message(), evidence);
  evidence["rolled_back"] = *done;
  return outcome(StepState::kSucceeded,
                 "rolled back " + std::to_string(done->size()) + " migration" +
                     (done->size() == 1 ? "" : "s") + " of release " + rolled_back + " in " +
                     db->described,
                 evidence);
}

}  // namespace

MigrateStepOutcome runMigrateStep(const MigrateStepInput& in, store::StateStore& store,
                                  const SlotRuntime& runtime) {
  if (in.kind == DeploymentKind::kEmergencyRollback) {
    return outcome(StepState::kSkipped, "emergency rollback: the database is never touched");
  }
  if (!in.release->database) {
    return outcome(StepState::kSkipped, "no database configured for app " + in.release->app);
  }
  if (in.kind == DeploymentKind::kRollback) return rollbackStep(in, store, runtime);
  return deployStep(in, store, runtime);
}

}  // namespace shipgate::release
