// DeployController: the ReleaseController (release_controller.h) built by makeReleaseController().
// Private to src/release. The checklist runs in deployment_run.cc, reconciliation in
// reconcile.cc, the API side (requests, queries, events) in controller.cc.
//
// Locking: mu_ guards the maps of runs and per-app state; each Run has its own mutex for its
// fields, events and condition variable. Lock order: mu_ before a Run's mu, never the reverse.
// Store writes happen with no lock held except a Run's write_mu (which serialises the writes of
// one deployment's record so the last write carries the newest fields).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "shipgate/common/mutex.h"
#include "shipgate/release/controller.h"
#include "shipgate/release/release_config.h"
#include "shipgate/store/state_store.h"
#include "shipgate/traffic/traffic_config.h"
#include "shipgate/watch/triggers.h"

namespace shipgate::release {

class ReleaseMetrics;
class SlaWatch;

// Step indexes of the checklist.
enum StepIndex : int {
  kGates = 0,
  kPreflight,
  kMigrate,  // migration_step.h
  kStart,
  kHealth,
  kSmoke,
  kAccessibility,
  kApproval,
  kSwitch,
  kBake,
  kCleanup,
  kStepCount
};
extern const char* const kStepNames[kStepCount];

traffic::Slot otherSlot(traffic::Slot s);
std::optional<traffic::Slot> parseSlot(const std::string& name);

// One deployment this process runs (or reconciled).
struct Run {
  // Fixed at creation.
  std::string id;
  std::string app;
  store::DeploymentKind kind = store::DeploymentKind::kDeploy;
  std::string artifact;
  AppRelease release;          // the app's release settings when the deployment was made
  EnvironmentConfig env;
  traffic::Slot from = traffic::Slot::kBlue;  // live before
  traffic::Slot to = traffic::Slot::kGreen;   // the slot the new release goes to
  bool emergency_flip = false;                // emergency rollback to a warm slot
  bool override_gates = false;                // deploy --override-gates (reason: record.reason)
  bool resume_bake = false;                   // reconciled: resume the bake after a restart
  bool with_migrations = false;               // rollback: take the database back too
  int64_t requested_mono_ms = 0;              // when the request came in (emergency timing)

  mutable Mutex mu;
  CondVar cv;
  store::DeploymentRecord record GUARDED_BY(mu);  // the mirror of the stored deployment
  std::vector<nlohmann::json> events GUARDED_BY(mu);
  int64_t next_seq GUARDED_BY(mu) = 1;
  bool finished GUARDED_BY(mu) = false;     // terminal state reached (cleanup may still run)
  bool done GUARDED_BY(mu) = false;         // the worker ended
  bool approved GUARDED_BY(mu) = false;
  bool rejected GUARDED_BY(mu) = false;
  std::string reject_actor GUARDED_BY(mu);
  std::string reject_reason GUARDED_BY(mu);
  // A manual rollback of this deployment after its switch (rollback() while it bakes).
  bool rollback_requested GUARDED_BY(mu) = false;
  std::string rollback_actor GUARDED_BY(mu);
  std::string rollback_reason GUARDED_BY(mu);
  bool rollback_emergency GUARDED_BY(mu) = false;  // --emergency: the rollback opens an incident
  bool cancel_cleanup GUARDED_BY(mu) = false;  // another deployment took the old slot
  std::string cancel_cleanup_by GUARDED_BY(mu);

  Mutex write_mu;  // serialises store writes of this run's record
};

class DeployController final : public ReleaseController {
 public:
  explicit DeployController(ControllerDeps deps);
  ~DeployController() override;

  Status start() override;
  void stop() override;
  Result<std::string> deploy(const DeployRequest& request) override;
  Status createRelease(const CreateReleaseRequest& request) override;  // release_create.cc
  Status approve(const std::string& id, const std::string& actor) override;
  Status reject(const std::string& id, const std::string& actor,
                const std::string& reason) override;
  Result<std::string> rollback(const RollbackRequest& request) override;
  Result<nlohmann::json> deployment(const std::string& id) const override;
  Result<nlohmann::json> deployments(const std::string& app, int limit) const override;
  Result<nlohmann::json> releases(const std::string& app) const override;
  Result<nlohmann::json> events(const std::string& id, int64_t after_seq,
                                std::chrono::milliseconds wait) const override;

  // ---- for the worker (deployment_run.cc) and reconciliation (reconcile.cc) ----
  ControllerDeps& deps() { return deps_; }
  int64_t nowMs() const { return deps_.clock.wallMillis(); }
  int64_t monoMs() const;
  void emit(Run& r, const std::string& type, nlohmann::json data);
  // Waits (on deps.clock) until `deadline_mono_ms` or until `stop_pred` (checked under r.mu)
  // holds; returns true when stop_pred ended the wait, or the controller is stopping.
  bool waitUntil(Run& r, int64_t deadline_mono_ms, const std::function<bool()>& stop_pred);
  bool stopping() const { return stopping_.load(); }

  // Writes r.record changed by `edit` (called on a copy, no lock held) together with an audit
  // entry, then makes the copy the in-memory record (also when the store refused it).
  Status saveRecord(Run& r, const std::function<void(store::DeploymentRecord&)>& edit,
                    const store::AuditEntry* audit);
  Status saveStep(Run& r, const store::StepRecord& step, const store::AuditEntry& audit);

  // The worker body (deployment_run.cc).
  void execute(const std::shared_ptr<Run>& run);
  // Per-app warm slot handling.
  struct Warm {
    std::string run_id;  // the deployment whose cleanup keeps it warm
    traffic::Slot slot = traffic::Slot::kBlue;
    std::string version;
  };
  std::optional<Warm> warmOf(const std::string& app);
  void setWarm(const std::string& app, std::optional<Warm> warm);
  // Another deployment needs the warm slot: cancels the owner's cleanup and returns it.
  std::optional<Warm> takeWarm(const std::string& app, const std::string& by);
  void finishRun(Run& r);  // clears active_[app] when it is r
  ReleaseMetrics* metrics() { return metrics_.get(); }
  std::shared_ptr<Run> findRun(const std::string& id) const;
  // The unfinished deployment of `app` this process runs, or null.
  std::shared_ptr<Run> activeRun(const std::string& app) const;

 private:
  Result<std::string> createRun(std::shared_ptr<Run> run, const std::string& version,
                                const std::string& previous, const std::string& actor,
                                const std::string& reason, const std::string& audit_action,
                                const store::ReleaseRecord* new_release);
  void launch(const std::shared_ptr<Run>& run);
  Status reconcile();
  std::string liveVersion(const std::string& app, traffic::Slot live);

  ControllerDeps deps_;
  std::unique_ptr<ReleaseMetrics> metrics_;
  std::unique_ptr<SlaWatch> sla_watch_;  // the live releases' SLAs after their bake
  std::atomic<bool> stopping_{false};
  mutable Mutex mu_;
  std::map<std::string, std::shared_ptr<Run>> runs_ GUARDED_BY(mu_);
  std::map<std::string, std::string> active_ GUARDED_BY(mu_);  // app -> running deployment id
  std::map<std::string, Warm> warm_ GUARDED_BY(mu_);           // app -> warm old slot
  // Worker threads with their runs; finished ones are joined at the next launch().
  std::vector<std::pair<std::shared_ptr<Run>, std::thread>> threads_ GUARDED_BY(mu_);
  bool started_ GUARDED_BY(mu_) = false;
};

nlohmann::json deploymentJson(const store::DeploymentRecord& d, bool with_steps);

}  // namespace shipgate::release
