// StateStore: the release controller's durable state. Environments, apps, releases, deployments
// with their steps, incidents, an append-only audit log, the slot state per app, the runtime
// routing overlay (opaque JSON by key) and the notification delivery log.
//
// The interface names no database type, so a PostgreSQL backend can follow the SQLite one
// (sqlite_state_store.h) without touching callers. FailingStateStore (failing_state_store.h)
// wraps any StateStore and fails chosen writes, for tests of callers.
//
// Contracts common to every method:
// - Times are milliseconds since the Unix epoch, supplied by the caller (the store reads no
//   clock, so callers on SimulatedClock get simulated times back). 0 means "not set".
// - A write that returns ok is durable: it survives a SIGKILL of the process (and, with the
//   SQLite backend, a power loss) the moment the call returns, unless it runs inside
//   atomically(), in which case it becomes durable when the outermost atomically() returns ok.
// - A write that returns an error changed nothing.
// - Fields holding JSON (`*_json`) must be empty (meaning "none") or one valid JSON text;
//   anything else is InvalidArgument. The store does not interpret them.
// - Names and versions are compared byte for byte; an empty name, app or version is
//   InvalidArgument.
// - Errors every method may return besides the ones it lists: Unavailable (the database is
//   busy beyond the busy timeout, or the store is failing on purpose in tests), IoError (the
//   disk refused a read or write; the message has the path), Internal (a broken database).
//
// Thread-safety: every method is thread-safe. atomically() makes the calling thread's store
// calls inside `body` one transaction; other threads' calls wait until it ends.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::store {

// ---- Enums, each with toString (the lowercase name shown) and parse (its inverse). ----

enum class DeploymentKind { kDeploy, kRollback, kEmergencyRollback };
// deploy | rollback | emergency_rollback
std::string_view toString(DeploymentKind kind);
std::optional<DeploymentKind> parseDeploymentKind(std::string_view text);

enum class DeploymentState {
  kPending,
  kRunning,
  kWaitingApproval,
  kSwitching,
  kBaking,
  kSucceeded,   // terminal
  kFailed,      // terminal
  kRejected,    // terminal
  kRolledBack,  // terminal
};
// pending | running | waiting_approval | switching | baking | succeeded | failed | rejected |
// rolled_back
std::string_view toString(DeploymentState state);
std::optional<DeploymentState> parseDeploymentState(std::string_view text);
// succeeded, failed, rejected, rolled_back.
bool isTerminal(DeploymentState state);

enum class StepState { kPending, kRunning, kSucceeded, kFailed, kSkipped };
// pending | running | succeeded | failed | skipped
std::string_view toString(StepState state);
std::optional<StepState> parseStepState(std::string_view text);

enum class SlotState { kStopped, kStarting, kIdle, kLive, kWarm, kStopping, kFailed };
// stopped | starting | idle | live | warm | stopping | failed
//   idle: running, not serving, a new release before its switch
//   warm: running, not serving, the previous release kept for a fast rollback
std::string_view toString(SlotState state);
std::optional<SlotState> parseSlotState(std::string_view text);

enum class DeliveryOutcome { kDelivered, kFailed, kGaveUp };
// delivered | failed (an attempt failed; another follows) | gave_up (no attempt follows)
std::string_view toString(DeliveryOutcome outcome);
std::optional<DeliveryOutcome> parseDeliveryOutcome(std::string_view text);

// ---- Records (compared field by field with ==) ----

struct EnvironmentRecord {
  std::string name;  // development, staging, production, ...
  bool approval_required = false;
  int64_t bake_ms = 0;
  bool triggers = true;  // rollback triggers watched during the bake
  int64_t scale_down_delay_ms = 0;
  int64_t updated_at = 0;

  friend bool operator==(const EnvironmentRecord&, const EnvironmentRecord&) = default;
};

struct AppRecord {
  std::string name;
  std::string environment;   // an EnvironmentRecord's name, or empty
  std::string runtime_kind;  // "process", "static", or empty (unmanaged)
  int64_t updated_at = 0;

  friend bool operator==(const AppRecord&, const AppRecord&) = default;
};

// Immutable once created.
struct ReleaseRecord {
  std::string app;
  std::string version;
  std::string artifact;  // path of the folder, archive or release directory
  std::string commit_sha;
  int64_t commit_time = 0;
  std::string created_by;
  int64_t created_at = 0;

  friend bool operator==(const ReleaseRecord&, const ReleaseRecord&) = default;
};

// A report a release carries (`release create --report KIND=FILE`). Immutable once added.
struct ReleaseReportRecord {
  std::string app;
  std::string version;
  std::string kind;     // lcov, cobertura, junit, npm-audit, sarif, trivy, axe (not checked here)
  std::string name;     // the file name as uploaded
  std::string sha256;   // hex of the content
  int64_t size = 0;     // bytes of content (set by the store from content)
  std::string content;  // the bytes; empty in listReleaseReports' answers
  int64_t created_at = 0;

  friend bool operator==(const ReleaseReportRecord&, const ReleaseReportRecord&) = default;
};

// The largest report a release may carry.
inline constexpr int64_t kMaxReleaseReportBytes = 16ll << 20;  // 16 MiB

struct StepRecord {
  std::string deployment_id;  // set by the store on createDeployment
  int index = 0;              // 0-based position in the checklist
  std::string name;           // preflight, start, health, smoke, approval, switch, ...
  StepState state = StepState::kPending;
  int64_t started_at = 0;
  int64_t ended_at = 0;
  std::string result;  // "ok" or the reason it failed / was skipped
  std::string evidence_json;

  friend bool operator==(const StepRecord&, const StepRecord&) = default;
};

struct DeploymentRecord {
  std::string id;  // "d-<n>" assigned by createDeployment unless given
  std::string app;
  std::string environment;
  std::string version;
  std::string previous_version;  // empty: none (a first deployment)
  DeploymentKind kind = DeploymentKind::kDeploy;
  DeploymentState state = DeploymentState::kPending;
  std::string from_slot;
  std::string to_slot;
  std::string actor;
  std::string reason;
  std::string approved_by;    // empty: not approved (yet)
  std::string failure;        // empty: no failure
  std::string baseline_json;  // the previous release's latency baseline
  std::string rollback_json;  // the trigger that fired: rule, values, window, at
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t finished_at = 0;        // 0 until a terminal state
  std::vector<StepRecord> steps;  // ordered by index; see each method for when it is filled

  friend bool operator==(const DeploymentRecord&, const DeploymentRecord&) = default;
};

struct IncidentRecord {
  int64_t id = 0;  // assigned by openIncident
  std::string app;
  std::string deployment_id;  // empty: not tied to a deployment
  std::string cause;          // e.g. the rule that fired
  std::string detail_json;
  int64_t opened_at = 0;
  int64_t resolved_at = 0;         // 0 while open
  int64_t time_to_recover_ms = 0;  // resolved_at - opened_at, set by resolveIncident

  friend bool operator==(const IncidentRecord&, const IncidentRecord&) = default;
};

// Append-only: there is no way to change or remove an entry.
struct AuditEntry {
  int64_t id = 0;  // assigned by appendAudit, increasing
  int64_t at = 0;
  std::string actor;    // who: a user, "controller", "trigger", ...
  std::string action;   // what: deploy, approve, reject, switch, rollback, reload, ...
  std::string subject;  // on what: a deployment id, an app, ...
  std::string reason;   // why
  std::string detail_json;

  friend bool operator==(const AuditEntry&, const AuditEntry&) = default;
};

struct SlotRecord {
  std::string app;
  std::string slot;     // blue | green (any non-empty name is stored)
  std::string version;  // empty: no release in the slot
  SlotState state = SlotState::kStopped;
  int64_t updated_at = 0;

  friend bool operator==(const SlotRecord&, const SlotRecord&) = default;
};

struct DeliveryRecord {
  int64_t id = 0;  // assigned by recordDelivery, increasing
  int64_t at = 0;
  std::string channel;  // slack | pagerduty | ...
  std::string event;    // deploy_started, incident_opened, ...
  std::string subject;  // deployment / incident id, or the PagerDuty dedup key
  int attempt = 1;      // 1-based
  DeliveryOutcome outcome = DeliveryOutcome::kDelivered;
  int http_status = 0;  // 0: no HTTP answer
  std::string error;    // empty when delivered

  friend bool operator==(const DeliveryRecord&, const DeliveryRecord&) = default;
};

// ---- The interface ----

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Runs `body` as one transaction: every store call the calling thread makes inside it commits
  // when body returns ok, and none does when it returns an error or throws (the exception is
  // rethrown after the rollback). Nested atomically() calls on the same thread are savepoints:
  // an inner failure undoes only the inner body's writes and is returned to the outer body,
  // which decides. Other threads' calls wait until the outermost body ends.
  // Returns body's error, or the commit's error (then nothing was written). When a write fails
  // in a way that makes the backend abandon the whole transaction (a full disk, an I/O error),
  // every later call in the body fails with that error, and so does atomically(), even if the
  // body ignores it and returns ok: nothing of the body is written.
  // REQUIRES: body does not wait for another thread that uses this store.
  virtual Status atomically(const std::function<Status()>& body) = 0;

  // -- Environments and apps (upsert: insert, or replace every field of the same name). --
  // InvalidArgument: empty name.
  virtual Status upsertEnvironment(const EnvironmentRecord& env) = 0;
  virtual Result<std::vector<EnvironmentRecord>> listEnvironments() = 0;  // by name
  // InvalidArgument: empty name.
  virtual Status upsertApp(const AppRecord& app) = 0;
  // NotFound: no app of that name.
  virtual Result<AppRecord> findApp(const std::string& name) = 0;
  virtual Result<std::vector<AppRecord>> listApps() = 0;  // by name

  // -- Releases (immutable). --
  // InvalidArgument: empty app or version. FailedPrecondition: the app was never upserted.
  // AlreadyExists: the app already has this version (the stored one is left as it was).
  virtual Status createRelease(const ReleaseRecord& release) = 0;
  // NotFound: no such app + version.
  virtual Result<ReleaseRecord> findRelease(const std::string& app, const std::string& version) = 0;
  // Newest first (created_at, then creation order). limit <= 0: all. An unknown app: empty.
  virtual Result<std::vector<ReleaseRecord>> listReleases(const std::string& app, int limit) = 0;

  // -- Reports of a release (immutable). --
  // InvalidArgument: empty app, version, kind or name, or content larger than
  // kMaxReleaseReportBytes (the message names both sizes). FailedPrecondition: the release (app,
  // version) is not recorded. AlreadyExists: the release already has a report of that kind and
  // name. `size` is taken from content.
  virtual Status addReleaseReport(const ReleaseReportRecord& report) = 0;
  // The release's reports without their content (content empty), by kind then name. An unknown
  // release: empty.
  virtual Result<std::vector<ReleaseReportRecord>> listReleaseReports(
      const std::string& app, const std::string& version) = 0;
  // One report with its content. NotFound: no such report.
  virtual Result<ReleaseReportRecord> readReleaseReport(const std::string& app,
                                                       const std::string& version,
                                                       const std::string& kind,
                                                       const std::string& name) = 0;

  // -- Deployments and their steps. --
  // Records `deployment` with its planned steps (deployment.steps; their deployment_id is
  // ignored and set to the new id) and returns the id: deployment.id when given, else "d-<n>".
  // InvalidArgument: empty app/version/environment, steps with duplicate indexes or a negative
  // index. FailedPrecondition: the app was never upserted, or the release (app, version) is not
  // recorded, or the app already has a deployment in a non-terminal state (the message names
  // it: at most one unfinished deployment per app). AlreadyExists: the given id is taken.
  virtual Result<std::string> createDeployment(const DeploymentRecord& deployment) = 0;
  // Replaces the mutable fields of deployment.id: state, from_slot, to_slot, reason,
  // approved_by, failure, baseline_json, rollback_json, updated_at, finished_at. The identity
  // fields (app, environment, version, previous_version, kind, actor, created_at) and the steps
  // are left as stored. NotFound: no such id. FailedPrecondition: the stored deployment is
  // terminal and the update would change its state (a finished deployment stays finished; its
  // other mutable fields may still be updated).
  virtual Status updateDeployment(const DeploymentRecord& deployment) = 0;
  // Inserts or replaces the step (step.deployment_id, step.index).
  // NotFound: no such deployment. InvalidArgument: negative index or empty name.
  virtual Status saveStep(const StepRecord& step) = 0;
  // With its steps. NotFound: no such id.
  virtual Result<DeploymentRecord> getDeployment(const std::string& id) = 0;
  // Newest first (creation order), without steps. app empty: every app. limit <= 0: all.
  virtual Result<std::vector<DeploymentRecord>> listDeployments(const std::string& app,
                                                                int limit) = 0;
  // Every deployment in a non-terminal state, with its steps, oldest first: what a restarted
  // controller reconciles.
  virtual Result<std::vector<DeploymentRecord>> unfinishedDeployments() = 0;

  // -- Incidents. --
  // Returns the new id. InvalidArgument: empty app or cause; opened_at 0.
  // FailedPrecondition: the app was never upserted, or deployment_id (when given) names no
  // deployment. (resolved_at and time_to_recover_ms of the argument are ignored: an incident
  // opens open.)
  virtual Result<int64_t> openIncident(const IncidentRecord& incident) = 0;
  // Sets resolved_at and time_to_recover_ms = resolved_at - opened_at.
  // NotFound: no such id. FailedPrecondition: already resolved (the stored times are kept).
  // InvalidArgument: resolved_at 0 or earlier than opened_at.
  virtual Status resolveIncident(int64_t id, int64_t resolved_at) = 0;
  // NotFound: no such id.
  virtual Result<IncidentRecord> findIncident(int64_t id) = 0;
  // Newest first (by id). app empty: every app. open_only: unresolved ones only. limit <= 0: all.
  virtual Result<std::vector<IncidentRecord>> listIncidents(const std::string& app, bool open_only,
                                                            int limit) = 0;

  // -- Audit log (append-only). --
  // Returns the new entry's id (greater than every earlier one). InvalidArgument: empty action
  // or at 0.
  virtual Result<int64_t> appendAudit(const AuditEntry& entry) = 0;
  // Entries with id > after_id, oldest first, at most limit (limit <= 0: all).
  virtual Result<std::vector<AuditEntry>> listAudit(int64_t after_id, int limit) = 0;

  // -- Slot state per app. --
  // Inserts or replaces (app, slot). InvalidArgument: empty app or slot.
  // FailedPrecondition: the app was never upserted.
  virtual Status setSlotState(const SlotRecord& slot) = 0;
  // The app's slots ordered by slot name; empty for an unknown app.
  virtual Result<std::vector<SlotRecord>> slotStates(const std::string& app) = 0;

  // -- Runtime state: opaque JSON by key (the routing overlay, persisted switches). --
  // Inserts or replaces. InvalidArgument: empty key, or json not one valid JSON text.
  virtual Status putRuntimeState(const std::string& key, const std::string& json,
                                 int64_t updated_at) = 0;
  // std::nullopt when the key was never put (or was erased).
  virtual Result<std::optional<std::string>> getRuntimeState(const std::string& key) = 0;
  // Removes the key; ok when it was not there.
  virtual Status eraseRuntimeState(const std::string& key) = 0;

  // -- Notification delivery log. --
  // Returns the new id. InvalidArgument: empty channel or event, at 0, attempt < 1.
  virtual Result<int64_t> recordDelivery(const DeliveryRecord& delivery) = 0;
  // Newest first (by id). channel empty: every channel. limit <= 0: all.
  virtual Result<std::vector<DeliveryRecord>> listDeliveries(const std::string& channel,
                                                             int limit) = 0;
};

}  // namespace shipgate::store
