// ReleaseController: deploys releases of managed apps into the idle blue/green slot, judges them
// (health, smoke checks, approval, the rollback triggers during a bake), switches traffic, rolls
// back (automatically when a trigger fires, or on request: standard or emergency), and reconciles
// unfinished deployments from the state store at start. Every step's start, end, result and
// evidence lands in the store together with its audit entry (StateStore::atomically).
//
// Operations are asynchronous: deploy() and rollback() validate, record the deployment and return
// its id; the deployment then runs on the controller's worker thread (one per running deployment)
// and is observed through deployment(id) and events(id, ...). At most one deployment runs per app.
//
// The checklist (step names, in order; a deployment records the ones it runs):
//   preflight  config valid, previous release recorded as the rollback target, no deployment
//              running for the app, the release recorded in the store
//   migrate    the app's database (release.database) brought to the release's migrations; a
//              rollback with_migrations takes the rolled-back release's back (migration_step.h)
//   start      the runtime starts the release in the idle slot; the gateway's idle slot lists
//              the replicas (127.0.0.1:port)
//   health     the idle slot's endpoints pass their health check `rise` times (timeout: fail)
//   smoke      the configured requests against the idle slot's replicas directly
//   approval   only when the environment requires it: waiting_approval until approve/reject
//   switch     all at once, or weight steps with a hold at each (the triggers watch the holds)
//   bake       the environment's (or the app's) bake time while the rollback triggers watch
//   cleanup    the old slot stays warm through scale_down_delay after the bake, then stops
//
// Deployment states: pending, running, waiting_approval, switching, baking, succeeded, failed,
// rejected, rolled_back. Terminal: succeeded, failed, rejected, rolled_back. (A succeeded
// deployment may still have its cleanup step running: "cleanup" step state running.)
// Kinds: deploy, rollback (standard: the normal procedure for an earlier release),
// emergency_rollback.
//
// JSON shapes (the api slice prints them; times are milliseconds since the epoch, null when
// unset; every key is always present):
//
//   deployment(id) ->
//   {"id": "d-...", "app": "api", "env": "production", "version": "v2", "previous_version": "v1"
//    (or null), "kind": "deploy"|"rollback"|"emergency_rollback", "state": "baking",
//    "from_slot": "blue", "to_slot": "green", "actor": "alice", "reason": "" ,
//    "failure": null | "smoke: GET /api/health expected 200, got 503",
//    "baseline": {} | {"slot": "blue", "version": "v1", "latency": [{"percentile": 95,
//                 "span_ms": 600000, "ms": 12.5 | null}]}   (measured on the old slot before
//                 the switch, for the "% of baseline" rules),
//    "rollback": null | {"trigger": "error_rate"|"latency"|"health_failures"|"waf_blocks"|"sla"|
//                "manual"|"store"|"restart", "rule": "error_rate > 5% for 5m (...)",
//                "reason": "one line", "value": 6.2, "threshold": 5, "window_ms": 300000,
//                "values": [{"at": ..., "value": 6.1, "requests": 120, "breached": true,
//                "no_data": false}, ...], "at": <ms epoch>, "switch_ms": 0, "back_to": "blue"},
//                (keys beyond trigger/rule/reason/at depend on the trigger; "manual" has
//                "actor"; "restart" has "interrupted")
//    "created_at": ..., "updated_at": ..., "finished_at": ... | null,
//    "approved_by": null | "bob",
//    "steps": [{"index": 0, "name": "preflight", "state": "pending"|"running"|"succeeded"|
//               "failed"|"skipped", "started_at": ..., "ended_at": ..., "duration_ms": ... | null,
//               "result": "ok" | "reason text", "evidence": {...}}, ...]}
//
//   deployments(app, limit) -> {"deployments": [ <deployment without "steps">, ... ]}
//     newest first.
//
//   releases(app) -> {"app": "api", "live_slot": "blue"|"green"|null,
//     "slots": {"blue": {"version": "v1"|null, "state": "live"|"idle"|"warm"|"stopped"|...},
//               "green": {...}},
//     "releases": [{"version": "v2", "artifact": "...", "commit_sha": "...", "commit_time": ...,
//                   "created_by": "alice", "created_at": ..., "live": true|false}, ...]}
//     newest first.
//
//   events(id, after_seq, wait) -> {"events": [{"seq": 1, "at": ..., "type": ..., "data": {...}}],
//                                   "finished": true|false}
//     types and their data:
//       step_started    {"step": "health", "index": 2}
//       step_finished   {"step": "health", "index": 2, "state": "succeeded"|"failed"|"skipped",
//                        "duration_ms": 1200, "result": "...", "evidence": {...}}
//       trigger_values  {"phase": "switch"|"bake", "elapsed_ms": ..., "remaining_ms": ...,
//                        "values": [{"rule": "...", "metric": "error_rate", "value": 0.4,
//                                    "threshold": 5, "breaching": false}, ...]}
//       approval_needed {"env": "production", "approve": "shipgate approve d-..."}
//       state           {"state": "baking"}   (every state change, the terminal one included)
//       message         {"text": "..."}
//     seq starts at 1 and increases by 1; events are kept in memory for the deployments this
//     process ran or reconciled (a deployment known only from the store answers its current
//     state as one "state" event, seq 1). `finished` is true once the deployment is in a terminal
//     state (the answer then holds the terminal "state" event or it was returned earlier); the
//     cleanup step of a succeeded deployment may still add events after that.
//
// Errors: NotFound (unknown app, deployment or version), FailedPrecondition (a deployment is
// already running for the app; nothing to roll back to; approving a finished deployment: the
// message says its state), InvalidArgument (missing app/version/reason, bad version text).
//
// rollback() of an app with a deployment in flight: after its switch, that deployment is rolled
// back (traffic to the warm old slot at once) and its id returned; before its switch it is
// rejected (traffic never left the live release) and its id returned.
//
// Thread-safety: every public method is thread-safe. start()/stop() are called by the owner once
// each; stop() stops the worker threads (a deployment in flight stays "running" in the store and
// is reconciled at the next start()).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shipgate/common/status.h"

namespace shipgate::release {

struct DeployRequest {
  std::string app;
  std::string version;          // [A-Za-z0-9._+-]{1,64}
  std::string env;              // empty: the app's configured environment
  std::string artifact;         // process: release dir (optional); static: folder or .tar.gz
  std::string commit_sha;       // optional
  int64_t commit_time = 0;      // ms since epoch; 0 = unknown
  std::string actor;            // who asked; empty -> "unknown"
  std::string reason;           // optional for deploys
  // Deploy the live version again through the normal procedure (start in the idle slot, health,
  // smoke, approval, switch, bake), e.g. after a secret it uses changed. Without it, deploying
  // the live version is FailedPrecondition; with it, a version that is not live is.
  bool redeploy = false;
  // Let the deployment through failing or missing quality gates (the `gates` step records the
  // verdicts, the actor and `reason`, which is then required).
  bool override_gates = false;
};

// A report uploaded with a release (`release create --report KIND=FILE`).
struct ReleaseReportUpload {
  std::string kind;     // gates::parseReportKind names: lcov, cobertura, junit, npm-audit, ...
  std::string name;     // the file name
  std::string content;  // the bytes, at most store::kMaxReleaseReportBytes
  std::string sha256;   // hex of content
};

struct CreateReleaseRequest {
  std::string app;
  std::string version;      // [A-Za-z0-9._+-]{1,64}
  std::string artifact;     // as DeployRequest's
  std::string commit_sha;   // optional
  int64_t commit_time = 0;  // ms since epoch; 0 = unknown
  std::string actor;
  std::vector<ReleaseReportUpload> reports;
};

struct RollbackRequest {
  std::string app;
  std::optional<std::string> to_version;  // standard: the release to deploy; default previous
  std::string reason;                     // required
  std::string actor;
  bool emergency = false;
  // Standard rollback: the migrate step rolls back the migrations the rolled-back release's
  // deployments applied (migration_step.h). Not with `emergency` (InvalidArgument).
  bool with_migrations = false;
};

class ReleaseController {
 public:
  virtual ~ReleaseController() = default;

  // Reconciles unfinished deployments from the store, restores the persisted routing overlay,
  // starts every live slot's release again, then starts background work.
  virtual Status start() = 0;
  virtual void stop() = 0;

  virtual Result<std::string> deploy(const DeployRequest& request) = 0;
  // Records a release with its reports, all or nothing (one transaction), and an audit entry
  // "release_created". The reports are stored as given (the caller has read each with its
  // kind's reader). NotFound: no managed app of that name. InvalidArgument: bad version, an
  // unknown report kind, a report over the size limit, two reports of one kind and name.
  // AlreadyExists: the app already has this version (releases are immutable).
  virtual Status createRelease(const CreateReleaseRequest& request) = 0;
  // Idempotent: approving an approved (still running) deployment is ok. A finished deployment:
  // FailedPrecondition naming its state. A deployment not waiting for approval (e.g. still
  // health-checking): FailedPrecondition unless the environment requires approval, in which case
  // the approval is recorded and the approval step passes when reached.
  virtual Status approve(const std::string& id, const std::string& actor) = 0;
  // Idempotent: rejecting a rejected deployment is ok. Any running deployment before its switch
  // may be rejected (it stops and the new slot is stopped); after the switch: FailedPrecondition
  // (use rollback).
  virtual Status reject(const std::string& id, const std::string& actor,
                        const std::string& reason) = 0;
  virtual Result<std::string> rollback(const RollbackRequest& request) = 0;

  virtual Result<nlohmann::json> deployment(const std::string& id) const = 0;
  // app empty: all apps. limit <= 0: 50.
  virtual Result<nlohmann::json> deployments(const std::string& app, int limit) const = 0;
  virtual Result<nlohmann::json> releases(const std::string& app) const = 0;
  // Events with seq > after_seq; waits up to `wait` for at least one when none is there yet (and
  // the deployment is not finished). NotFound for an unknown id.
  virtual Result<nlohmann::json> events(const std::string& id, int64_t after_seq,
                                        std::chrono::milliseconds wait) const = 0;
};

}  // namespace shipgate::release
