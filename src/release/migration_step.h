// The deploy step `migrate` (after preflight, before start): the app's database (release.database)
// brought to the new release's migrations, or, in a rollback, left alone or taken back.
// Private to src/release; the worker (deployment_run.cc) records what it returns.
//
// Deploy (kind deploy):
//   - skipped: the app has no `database:`; the release carries no migrations folder (relative
//     folder absent from its files); nothing is pending.
//   - failed (the deployment fails before any slot starts): the URL cannot be resolved, the
//     folder cannot be read, the database cannot be reached, an applied migration's up file
//     changed (checksum drift: the result names the file) or is gone, the environment's
//     `migrations_tested_in: ENV` rule finds no succeeded deployment of this app (or of
//     release.database.tested_as) and version in ENV whose migrate step applied them (or found
//     nothing pending), or a migration fails. A
//     failing migration is rolled back entirely ("file:line:col: <database error>"); the ones
//     this run applied before it stay applied (each migration is its own transaction) and are
//     listed in the evidence as "applied"; a later deployment continues from the failed one.
//   - succeeded: each pending migration applied in id order under the advisory lock, recorded
//     in schema_migrations with applied_by = the deployment's actor and deployment = its id.
//   Evidence: {"database": "user@host:port/db" (never a password), "folder", "applied": [labels],
//   "pending": [labels], "tested_in": {"environment", "app", "deployment"} when the rule applies}.
//
// Rollback (kind rollback): with `with_migrations`, the migrations recorded by the deployments
// of the rolled-back release (the live one, previous_version) are rolled back newest first with
// the down files of that release's folder, refusing before touching anything when one has none;
// without it, skipped "the database is left alone" with the labels left applied. Emergency
// rollbacks: skipped, the database is never touched (no connection is made).
//
// Thread: runs on the deployment's worker thread; one libpq connection per call.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "shipgate/release/release_config.h"
#include "shipgate/release/slot_runtime.h"
#include "shipgate/store/state_store.h"

namespace shipgate::release {

struct MigrateStepInput {
  const AppRelease* release = nullptr;
  const EnvironmentConfig* env = nullptr;
  store::DeploymentKind kind = store::DeploymentKind::kDeploy;
  std::string deployment_id;
  std::string actor;
  std::string version;           // the release this deployment brings live
  std::string previous_version;  // the live one before it ("" for a first deployment)
  std::string artifact;          // of `version`
  bool with_migrations = false;  // rollback: take the rolled-back release's migrations back
};

struct MigrateStepOutcome {
  store::StepState state = store::StepState::kSkipped;
  std::string result;  // "ok" or why it failed / was skipped
  nlohmann::json evidence;
};

MigrateStepOutcome runMigrateStep(const MigrateStepInput& in, store::StateStore& store,
                                  const SlotRuntime& runtime);

}  // namespace shipgate::release
