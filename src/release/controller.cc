// DeployController: the API side (requests, queries, the event stream) and the shared helpers.
#include <algorithm>
#include <cctype>
#include <utility>

#include "controller_impl.h"
#include "release_metrics.h"
#include "shipgate/common/log.h"
#include "shipgate/common/thread_name.h"
#include "shipgate/notify/notifier.h"
#include "shipgate/traffic/traffic_config.h"
#include "sla_watch.h"

namespace shipgate::release {

using json = nlohmann::json;
using store::DeploymentKind;
using store::DeploymentState;
using store::StepState;

const char* const kStepNames[kStepCount] = {
    "gates", "preflight", "migrate", "start", "health", "smoke", "accessibility",
    "approval", "switch", "bake", "cleanup"};

traffic::Slot otherSlot(traffic::Slot s) {
  return s == traffic::Slot::kBlue ? traffic::Slot::kGreen : traffic::Slot::kBlue;
}

std::optional<traffic::Slot> parseSlot(const std::string& name) {
  if (name == "blue") return traffic::Slot::kBlue;
  if (name == "green") return traffic::Slot::kGreen;
  return std::nullopt;
}

namespace {

bool validVersion(const std::string& v) {
  if (v.empty() || v.size() > 64) return false;
  return std::all_of(v.begin(), v.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == '+' || c == '-';
  });
}

json timeOrNull(int64_t ms) { return ms == 0 ? json(nullptr) : json(ms); }
json textOrNull(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }
json parsedOr(const std::string& text, json fallback) {
  if (text.empty()) return fallback;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? fallback : j;
}

std::string actorOr(const std::string& actor) { return actor.empty() ? "unknown" : actor; }

// The slot of the live release: where the router sends the app's traffic. A static app's slots
// never get endpoints, so the router's choice never moves; its live slot is the one the store
// records live (the site serves that release's directory).
traffic::Slot liveSlotOf(store::StateStore& store, const AppRelease& app, traffic::Slot routed) {
  if (app.runtime.kind != runtime::RuntimeKind::kStatic) return routed;
  auto slots = store.slotStates(app.app);
  if (!slots) return routed;
  for (const auto& s : *slots) {
    auto slot = parseSlot(s.slot);
    if (slot && s.state == store::SlotState::kLive && !s.version.empty()) return *slot;
  }
  return routed;
}

}  // namespace

json deploymentJson(const store::DeploymentRecord& d, bool with_steps) {
  json j = {{"id", d.id},
            {"app", d.app},
            {"env", d.environment},
            {"version", d.version},
            {"previous_version", textOrNull(d.previous_version)},
            {"kind", std::string(store::toString(d.kind))},
            {"state", std::string(store::toString(d.state))},
            {"from_slot", d.from_slot},
            {"to_slot", d.to_slot},
            {"actor", d.actor},
            {"reason", d.reason},
            {"failure", textOrNull(d.failure)},
            {"baseline", parsedOr(d.baseline_json, json::object())},
            {"rollback", parsedOr(d.rollback_json, json(nullptr))},
            {"created_at", timeOrNull(d.created_at)},
            {"updated_at", timeOrNull(d.updated_at)},
            {"finished_at", timeOrNull(d.finished_at)},
            {"approved_by", textOrNull(d.approved_by)}};
  if (with_steps) {
    json steps = json::array();
    for (const auto& s : d.steps) {
      json duration = nullptr;
      if (s.started_at != 0 && s.ended_at != 0) duration = s.ended_at - s.started_at;
      steps.push_back({{"index", s.index},
                       {"name", s.name},
                       {"state", std::string(store::toString(s.state))},
                       {"started_at", timeOrNull(s.started_at)},
                       {"ended_at", timeOrNull(s.ended_at)},
                       {"duration_ms", duration},
                       {"result", s.result},
                       {"evidence", parsedOr(s.evidence_json, json::object())}});
    }
    j["steps"] = std::move(steps);
  }
  return j;
}

std::unique_ptr<ReleaseController> makeReleaseController(ControllerDeps deps) {
  return std::make_unique<DeployController>(std::move(deps));
}

DeployController::DeployController(ControllerDeps deps) : deps_(std::move(deps)) {
  if (deps_.metrics != nullptr) metrics_ = std::make_unique<ReleaseMetrics>(*deps_.metrics);
}

DeployController::~DeployController() { stop(); }

int64_t DeployController::monoMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             deps_.clock.now().time_since_epoch())
      .count();
}

Status DeployController::start() {
  {
    MutexLock lock(mu_);
    if (started_) return Status::failedPrecondition("the release controller is already started");
    started_ = true;
  }
  stopping_ = false;
  Status reconciled = reconcile();
  sla_watch_ = std::make_unique<SlaWatch>(*this);
  sla_watch_->start();
  return reconciled;
}

void DeployController::stop() {
  stopping_ = true;
  if (sla_watch_) sla_watch_->stop();
  std::vector<std::shared_ptr<Run>> runs;
  std::vector<std::pair<std::shared_ptr<Run>, std::thread>> threads;
  {
    MutexLock lock(mu_);
    for (auto& [id, r] : runs_) runs.push_back(r);
    threads.swap(threads_);
  }
  for (auto& r : runs) {
    MutexLock lock(r->mu);
    r->cv.notifyAll();
  }
  for (auto& [run, t] : threads) {
    if (t.joinable()) t.join();
  }
}

void DeployController::emit(Run& r, const std::string& type, json data) {
  MutexLock lock(r.mu);
  json e = {{"seq", r.next_seq++}, {"at", nowMs()}, {"type", type}, {"data", std::move(data)}};
  r.events.push_back(std::move(e));
  // Bounded: keep the first 200 events (the checklist) and the newest ones.
  constexpr size_t kMaxEvents = 20'000;
  if (r.events.size() > kMaxEvents) r.events.erase(r.events.begin() + 200);
  r.cv.notifyAll();
}

bool DeployController::waitUntil(Run& r, int64_t deadline_mono_ms,
                                 const std::function<bool()>& stop_pred) {
  MutexLock lock(r.mu);
  for (;;) {
    if (stopping_.load()) return true;
    r.mu.assertHeld();
    if (stop_pred && stop_pred()) return true;
    if (monoMs() >= deadline_mono_ms) return false;
    r.cv.waitFor(lock, deps_.poll);
  }
}

Status DeployController::saveRecord(Run& r,
                                    const std::function<void(store::DeploymentRecord&)>& edit,
                                    const store::AuditEntry* audit) {
  MutexLock write(r.write_mu);
  store::DeploymentRecord next;
  {
    MutexLock lock(r.mu);
    next = r.record;
  }
  if (edit) edit(next);
  next.updated_at = nowMs();
  if (store::isTerminal(next.state) && next.finished_at == 0) next.finished_at = next.updated_at;
  store::DeploymentRecord copy = next;
  copy.steps.clear();
  const bool terminal = store::isTerminal(next.state);
  if (terminal) {
    for (auto& step : next.steps) {
      if (step.state == StepState::kRunning && step.index != kCleanup) {
        step.state = StepState::kFailed;
        step.ended_at = next.updated_at;
        step.result = "cut short: the deployment was " + std::string(store::toString(next.state));
      }
    }
  }
  Status st = deps_.store.atomically([&]() -> Status {
    // A terminal state lands with every step as this process knows it, so a step write that
    // failed earlier cannot leave a finished deployment with a step still "running".
    if (terminal) {
      for (const auto& step : next.steps) {
        if (step.state != StepState::kPending) SG_RETURN_IF_ERROR(deps_.store.saveStep(step));
      }
    }
    SG_RETURN_IF_ERROR(deps_.store.updateDeployment(copy));
    if (audit != nullptr) {
      auto id = deps_.store.appendAudit(*audit);
      if (!id) return id.status();
    }
    return Status::success();
  });
  // The in-memory record changes after the store (so a caller that sees the new state finds it
  // stored too), and also when the store refused: memory says what happened.
  MutexLock lock(r.mu);
  r.record = std::move(next);
  if (store::isTerminal(r.record.state)) r.finished = true;
  r.cv.notifyAll();
  return st;
}

Status DeployController::saveStep(Run& r, const store::StepRecord& step,
                                  const store::AuditEntry& audit) {
  MutexLock write(r.write_mu);
  Status st = deps_.store.atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(deps_.store.saveStep(step));
    auto id = deps_.store.appendAudit(audit);
    return id ? Status::success() : id.status();
  });
  MutexLock lock(r.mu);
  for (auto& s : r.record.steps) {
    if (s.index == step.index) s = step;
  }
  return st;
}

std::optional<DeployController::Warm> DeployController::warmOf(const std::string& app) {
  MutexLock lock(mu_);
  auto it = warm_.find(app);
  if (it == warm_.end()) return std::nullopt;
  return it->second;
}

void DeployController::setWarm(const std::string& app, std::optional<Warm> warm) {
  MutexLock lock(mu_);
  if (warm) {
    warm_[app] = *warm;
  } else {
    warm_.erase(app);
  }
}

std::optional<DeployController::Warm> DeployController::takeWarm(const std::string& app,
                                                                 const std::string& by) {
  std::shared_ptr<Run> owner;
  std::optional<Warm> warm;
  {
    MutexLock lock(mu_);
    auto it = warm_.find(app);
    if (it == warm_.end()) return std::nullopt;
    warm = it->second;
    warm_.erase(it);
    auto r = runs_.find(warm->run_id);
    if (r != runs_.end()) owner = r->second;
  }
  if (owner) {
    MutexLock lock(owner->mu);
    owner->cancel_cleanup = true;
    owner->cancel_cleanup_by = by;
    owner->cv.notifyAll();
  }
  return warm;
}

void DeployController::finishRun(Run& r) {
  {
    MutexLock lock(mu_);
    auto it = active_.find(r.app);
    if (it != active_.end() && it->second == r.id) active_.erase(it);
  }
  if (deps_.on_finished) deps_.on_finished();
}

std::shared_ptr<Run> DeployController::activeRun(const std::string& app) const {
  std::shared_ptr<Run> run;
  {
    MutexLock lock(mu_);
    auto it = active_.find(app);
    if (it == active_.end()) return nullptr;
    auto r = runs_.find(it->second);
    if (r == runs_.end()) return nullptr;
    run = r->second;
  }
  MutexLock lock(run->mu);
  return run->finished ? nullptr : run;
}

std::shared_ptr<Run> DeployController::findRun(const std::string& id) const {
  MutexLock lock(mu_);
  auto it = runs_.find(id);
  return it == runs_.end() ? nullptr : it->second;
}

std::string DeployController::liveVersion(const std::string& app, traffic::Slot live) {
  auto slots = deps_.store.slotStates(app);
  if (!slots) return "";
  for (const auto& s : *slots) {
    if (s.slot == traffic::slotName(live) && !s.version.empty() &&
        (s.state == store::SlotState::kLive || s.state == store::SlotState::kIdle ||
         s.state == store::SlotState::kWarm)) {
      return s.version;
    }
  }
  return "";
}

void DeployController::launch(const std::shared_ptr<Run>& run) {
  MutexLock lock(mu_);
  // Join the threads of runs that ended, so the list stays short.
  for (auto it = threads_.begin(); it != threads_.end();) {
    bool done = false;
    {
      MutexLock run_lock(it->first->mu);
      done = it->first->done;
    }
    if (done) {
      it->second.join();
      it = threads_.erase(it);
    } else {
      ++it;
    }
  }
  threads_.emplace_back(run, std::thread([this, run] {
                          setThreadName("sg-release");
                          execute(run);
                        }));
}

Result<std::string> DeployController::createRun(std::shared_ptr<Run> run,
                                                const std::string& version,
                                                const std::string& previous,
                                                const std::string& actor,
                                                const std::string& reason,
                                                const std::string& audit_action,
                                                const store::ReleaseRecord* new_release) {
  const int64_t now = nowMs();
  store::DeploymentRecord rec;
  rec.app = run->app;
  rec.environment = run->env.name;
  rec.version = version;
  rec.previous_version = previous;
  rec.kind = run->kind;
  rec.state = DeploymentState::kPending;
  rec.from_slot = traffic::slotName(run->from);
  rec.to_slot = traffic::slotName(run->to);
  rec.actor = actorOr(actor);
  rec.reason = reason;
  rec.created_at = now;
  rec.updated_at = now;
  for (int i = 0; i < kStepCount; ++i) {
    store::StepRecord s;
    s.index = i;
    s.name = kStepNames[i];
    rec.steps.push_back(s);
  }
  json evidence = {{"config", "valid"},
                   {"environment", run->env.name},
                   {"live_slot", traffic::slotName(run->from)},
                   {"idle_slot", traffic::slotName(run->to)},
                   {"rollback_target", textOrNull(previous)},
                   {"running_deployment", nullptr},
                   {"release", new_release != nullptr ? "recorded now" : "already recorded"}};
  store::StepRecord& pre = rec.steps[kPreflight];
  pre.state = StepState::kSucceeded;
  pre.started_at = now;
  pre.ended_at = now;
  pre.result = "ok";
  pre.evidence_json = evidence.dump();

  std::string id;
  Status st = deps_.store.atomically([&]() -> Status {
    store::EnvironmentRecord env;
    env.name = run->env.name;
    env.approval_required = run->env.approval_required;
    env.bake_ms = run->env.bake.count();
    env.triggers = run->env.triggers;
    env.scale_down_delay_ms = run->env.scale_down_delay.count();
    env.updated_at = now;
    SG_RETURN_IF_ERROR(deps_.store.upsertEnvironment(env));
    store::AppRecord app;
    app.name = run->app;
    app.environment = run->env.name;
    app.runtime_kind = runtime::kindName(run->release.runtime.kind);
    app.updated_at = now;
    SG_RETURN_IF_ERROR(deps_.store.upsertApp(app));
    if (new_release != nullptr) {
      Status created = deps_.store.createRelease(*new_release);
      if (!created.isOk() && created.code() != Status::Code::kAlreadyExists) return created;
    }
    auto created = deps_.store.createDeployment(rec);
    if (!created) return created.status();
    id = *created;
    store::AuditEntry audit;
    audit.at = now;
    audit.actor = rec.actor;
    audit.action = audit_action;
    audit.subject = id;
    audit.reason = reason;
    audit.detail_json = json{{"app", rec.app},
                             {"version", version},
                             {"previous_version", textOrNull(previous)},
                             {"environment", rec.environment},
                             {"kind", std::string(store::toString(rec.kind))}}
                            .dump();
    auto a = deps_.store.appendAudit(audit);
    return a ? Status::success() : a.status();
  });
  if (!st.isOk()) return st;
  rec.id = id;
  for (auto& s : rec.steps) s.deployment_id = id;
  run->id = id;
  {
    MutexLock lock(run->mu);
    run->record = rec;
  }
  {
    MutexLock lock(mu_);
    runs_[id] = run;
    active_[run->app] = id;
  }
  emit(*run, "state", {{"state", "pending"}});
  emit(*run, "step_finished", {{"step", "preflight"},
                               {"index", static_cast<int>(kPreflight)},
                               {"state", "succeeded"},
                               {"duration_ms", 0},
                               {"result", "ok"},
                               {"evidence", evidence}});
  launch(run);
  return id;
}

Result<std::string> DeployController::deploy(const DeployRequest& req) {
  if (req.app.empty()) return Status::invalidArgument("deploy: app is required");
  if (!validVersion(req.version)) {
    return Status::invalidArgument("deploy: version \"" + req.version +
                                   "\" is not valid (1 to 64 of letters, digits, . _ + -)");
  }
  if (req.override_gates && req.reason.empty()) {
    return Status::invalidArgument("deploy: --override-gates needs a reason (who overrides the "
                                   "quality gates, and why, is recorded)");
  }
  if (stopping_) return Status::unavailable("the release controller is stopping");
  auto cfg = deps_.gateway.config();
  const ReleaseConfig& rc = releaseConfigOf(*cfg);
  const AppRelease* app = rc.findApp(req.app);
  if (app == nullptr) {
    if (traffic::trafficConfigOf(*cfg).findApp(req.app) != nullptr) {
      return Status::notFound("app " + req.app +
                              " is not managed by shipgate (it has no release: block)");
    }
    return Status::notFound("no app named " + req.app);
  }
  const EnvironmentConfig* env = rc.findEnvironment(app->environment);
  if (env == nullptr) return Status::internal("app " + req.app + " has no environment");
  if (!req.env.empty() && req.env != app->environment) {
    return Status::invalidArgument("app " + req.app + " is in environment " + app->environment +
                                   ", not " + req.env);
  }
  if (std::shared_ptr<Run> running = activeRun(req.app)) {
    return Status::failedPrecondition("deployment " + running->id +
                                      " is already running for app " + req.app);
  }
  auto eff = deps_.gateway.effective(req.app);
  if (!eff) return eff.status();
  auto run = std::make_shared<Run>();
  run->app = req.app;
  run->kind = DeploymentKind::kDeploy;
  run->override_gates = req.override_gates;
  run->release = *app;
  run->env = *env;
  run->from = liveSlotOf(deps_.store, *app, eff->active_slot);
  run->to = otherSlot(run->from);
  run->requested_mono_ms = monoMs();
  std::string previous = liveVersion(req.app, run->from);
  if (previous == req.version && !req.redeploy) {
    return Status::failedPrecondition("version " + req.version + " of app " + req.app +
                                      " is already live in slot " +
                                      traffic::slotName(run->from));
  }
  if (req.redeploy && previous != req.version) {
    return Status::failedPrecondition("redeploy: version " + req.version + " of app " + req.app +
                                      " is not live (live: " +
                                      (previous.empty() ? std::string("none") : previous) + ")");
  }
  std::optional<store::ReleaseRecord> new_release;
  auto existing = deps_.store.findRelease(req.app, req.version);
  if (existing) {
    run->artifact = req.artifact.empty() ? existing->artifact : req.artifact;
  } else if (existing.status().code() == Status::Code::kNotFound) {
    store::ReleaseRecord rel;
    rel.app = req.app;
    rel.version = req.version;
    rel.artifact = req.artifact;
    rel.commit_sha = req.commit_sha;
    rel.commit_time = req.commit_time;
    rel.created_by = actorOr(req.actor);
    rel.created_at = nowMs();
    new_release = rel;
    run->artifact = req.artifact;
  } else {
    return existing.status();
  }
  return createRun(run, req.version, previous, req.actor, req.reason,
                   req.redeploy ? "redeploy" : "deploy", new_release ? &*new_release : nullptr);
}

Result<std::string> DeployController::rollback(const RollbackRequest& req) {
  if (req.app.empty()) return Status::invalidArgument("rollback: app is required");
  if (req.reason.empty()) return Status::invalidArgument("rollback: a reason is required");
  if (req.with_migrations && req.emergency) {
    return Status::invalidArgument("rollback: --with-migrations cannot go with --emergency (an "
                                   "emergency rollback never touches the database)");
  }
  if (req.to_version && !validVersion(*req.to_version)) {
    return Status::invalidArgument("rollback: version \"" + *req.to_version + "\" is not valid");
  }
  auto cfg = deps_.gateway.config();
  const ReleaseConfig& rc = releaseConfigOf(*cfg);
  const AppRelease* app = rc.findApp(req.app);
  if (app == nullptr) return Status::notFound("no managed app named " + req.app);
  const EnvironmentConfig* env = rc.findEnvironment(app->environment);
  if (env == nullptr) return Status::internal("app " + req.app + " has no environment");

  // A deployment in flight: after its switch it is rolled back (traffic back on the warm old
  // slot); before it, it is rejected (traffic never left the live release).
  if (std::shared_ptr<Run> running = activeRun(req.app)) {
    MutexLock lock(running->mu);
    DeploymentState s = running->record.state;
    if (s == DeploymentState::kSwitching || s == DeploymentState::kBaking) {
      running->rollback_requested = true;
      running->rollback_actor = actorOr(req.actor);
      running->rollback_reason = req.reason;
      running->rollback_emergency = req.emergency;
    } else {
      running->rejected = true;
      running->reject_actor = actorOr(req.actor);
      running->reject_reason = "rolled back before its switch: " + req.reason;
    }
    running->cv.notifyAll();
    return running->id;
  }

  auto eff = deps_.gateway.effective(req.app);
  if (!eff) return eff.status();
  const traffic::Slot live = liveSlotOf(deps_.store, *app, eff->active_slot);
  const std::string live_version = liveVersion(req.app, live);
  auto run = std::make_shared<Run>();
  run->app = req.app;
  run->release = *app;
  run->env = *env;
  run->from = live;
  run->to = otherSlot(live);
  run->requested_mono_ms = monoMs();
  run->kind = req.emergency ? DeploymentKind::kEmergencyRollback : DeploymentKind::kRollback;
  run->with_migrations = req.with_migrations;

  std::string target;
  if (req.emergency) {
    auto warm = warmOf(req.app);
    if (warm && warm->slot == run->to && (!req.to_version || *req.to_version == warm->version)) {
      target = warm->version;
      run->emergency_flip = true;
    }
  }
  if (target.empty() && req.to_version) target = *req.to_version;
  if (target.empty()) {
    // The release the live one replaced.
    auto deps = deps_.store.listDeployments(req.app, 0);
    if (!deps) return deps.status();
    for (const auto& d : *deps) {
      if (d.state == DeploymentState::kSucceeded && d.version == live_version) {
        target = d.previous_version;
        break;
      }
    }
    if (target.empty()) {
      return Status::failedPrecondition("app " + req.app + " has no previous release to roll back to" +
                                        (live_version.empty() ? "" : " (live: " + live_version + ")"));
    }
  }
  if (target == live_version) {
    return Status::failedPrecondition("version " + target + " of app " + req.app +
                                      " is already live");
  }
  auto rel = deps_.store.findRelease(req.app, target);
  if (!rel) {
    if (rel.status().code() == Status::Code::kNotFound) {
      return Status::notFound("app " + req.app + " has no release " + target);
    }
    return rel.status();
  }
  run->artifact = rel->artifact;
  if (run->emergency_flip) {
    // Take the warm slot over now, so its owner's cleanup cannot stop it.
    auto taken = takeWarm(req.app, "an emergency rollback");
    if (!taken || taken->slot != run->to) run->emergency_flip = false;
  }
  return createRun(run, target, live_version, req.actor, req.reason,
                   req.emergency ? "emergency_rollback" : "rollback", nullptr);
}

Status DeployController::approve(const std::string& id, const std::string& actor) {
  std::shared_ptr<Run> r = findRun(id);
  if (!r) {
    auto d = deps_.store.getDeployment(id);
    if (!d) return d.status();
    return Status::failedPrecondition("deployment " + id + " is " +
                                      std::string(store::toString(d->state)) +
                                      (d->approved_by.empty() ? "" : " (approved by " +
                                                                         d->approved_by + ")"));
  }
  std::string who = actorOr(actor);
  {
    MutexLock lock(r->mu);
    if (r->finished || r->rejected) {
      return Status::failedPrecondition("deployment " + id + " is " +
                                        std::string(store::toString(r->record.state)) +
                                        (r->rejected ? " (rejected)" : ""));
    }
    if (r->approved) return Status::success();
    if (!r->env.approval_required || r->kind == DeploymentKind::kEmergencyRollback) {
      return Status::failedPrecondition("deployment " + id + " needs no approval (environment " +
                                        r->env.name + ")");
    }
  }
  store::AuditEntry audit;
  audit.at = nowMs();
  audit.actor = who;
  audit.action = "approve";
  audit.subject = id;
  // Recorded first: the worker reads approved_by once it sees the approval.
  Status st = saveRecord(*r, [&](store::DeploymentRecord& rec) { rec.approved_by = who; }, &audit);
  if (!st.isOk()) return st;
  {
    MutexLock lock(r->mu);
    r->approved = true;
    r->cv.notifyAll();
  }
  emit(*r, "message", {{"text", "approved by " + who}});
  return Status::success();
}

Status DeployController::reject(const std::string& id, const std::string& actor,
                                const std::string& reason) {
  std::shared_ptr<Run> r = findRun(id);
  if (!r) {
    auto d = deps_.store.getDeployment(id);
    if (!d) return d.status();
    if (d->state == DeploymentState::kRejected) return Status::success();
    return Status::failedPrecondition("deployment " + id + " is " +
                                      std::string(store::toString(d->state)));
  }
  MutexLock lock(r->mu);
  if (r->rejected) return Status::success();
  if (r->finished) {
    return Status::failedPrecondition("deployment " + id + " is " +
                                      std::string(store::toString(r->record.state)));
  }
  DeploymentState s = r->record.state;
  if (s == DeploymentState::kSwitching || s == DeploymentState::kBaking) {
    return Status::failedPrecondition("deployment " + id + " has switched traffic already (" +
                                      std::string(store::toString(s)) +
                                      "): use shipgate rollback --app " + r->app);
  }
  r->rejected = true;
  r->reject_actor = actorOr(actor);
  r->reject_reason = reason;
  r->cv.notifyAll();
  return Status::success();
}

Result<json> DeployController::deployment(const std::string& id) const {
  if (std::shared_ptr<Run> r = findRun(id)) {
    MutexLock lock(r->mu);
    return deploymentJson(r->record, true);
  }
  auto d = deps_.store.getDeployment(id);
  if (!d) return d.status();
  return deploymentJson(*d, true);
}

Result<json> DeployController::deployments(const std::string& app, int limit) const {
  auto list = deps_.store.listDeployments(app, limit <= 0 ? 50 : limit);
  if (!list) return list.status();
  json out = json::array();
  for (const auto& d : *list) {
    if (std::shared_ptr<Run> r = findRun(d.id)) {
      MutexLock lock(r->mu);
      out.push_back(deploymentJson(r->record, false));
    } else {
      out.push_back(deploymentJson(d, false));
    }
  }
  return json{{"deployments", std::move(out)}};
}

Result<json> DeployController::releases(const std::string& app) const {
  if (app.empty()) return Status::invalidArgument("releases: app is required");
  auto cfg = deps_.gateway.config();
  bool configured = releaseConfigOf(*cfg).findApp(app) != nullptr;
  auto known = deps_.store.findApp(app);
  if (!configured && !known) return Status::notFound("no managed app named " + app);
  auto rels = deps_.store.listReleases(app, 0);
  if (!rels) return rels.status();
  auto slots = deps_.store.slotStates(app);
  if (!slots) return slots.status();
  json slot_json = {{"blue", {{"version", nullptr}, {"state", "stopped"}}},
                    {"green", {{"version", nullptr}, {"state", "stopped"}}}};
  json live_slot = nullptr;
  std::string live_version;
  auto eff = deps_.gateway.effective(app);
  for (const auto& s : *slots) {
    slot_json[s.slot] = {{"version", textOrNull(s.version)},
                         {"state", std::string(store::toString(s.state))}};
    if (s.state == store::SlotState::kLive) {
      live_slot = s.slot;
      live_version = s.version;
    }
  }
  if (live_slot.is_null() && eff) live_slot = traffic::slotName(eff->active_slot);
  json list = json::array();
  for (const auto& r : *rels) {
    list.push_back({{"version", r.version},
                    {"artifact", r.artifact},
                    {"commit_sha", r.commit_sha},
                    {"commit_time", timeOrNull(r.commit_time)},
                    {"created_by", r.created_by},
                    {"created_at", timeOrNull(r.created_at)},
                    {"live", r.version == live_version}});
  }
  return json{{"app", app}, {"live_slot", live_slot}, {"slots", slot_json}, {"releases", list}};
}

Result<json> DeployController::events(const std::string& id, int64_t after_seq,
                                      std::chrono::milliseconds wait) const {
  std::shared_ptr<Run> r = findRun(id);
  if (!r) {
    auto d = deps_.store.getDeployment(id);
    if (!d) return d.status();
    json events = json::array();
    if (after_seq < 1) {
      events.push_back({{"seq", 1},
                        {"at", d->updated_at},
                        {"type", "state"},
                        {"data", {{"state", std::string(store::toString(d->state))}}}});
    }
    return json{{"events", events}, {"finished", store::isTerminal(d->state)}};
  }
  const auto deadline = std::chrono::steady_clock::now() + wait;
  MutexLock lock(r->mu);
  for (;;) {
    bool has_new = !r->events.empty() && r->events.back()["seq"].get<int64_t>() > after_seq;
    if (has_new || r->finished || r->done || stopping_.load()) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
    r->cv.waitFor(lock, std::min<std::chrono::steady_clock::duration>(
                            deadline - std::chrono::steady_clock::now(),
                            std::chrono::milliseconds(200)));
  }
  json out = json::array();
  for (const auto& e : r->events) {
    if (e["seq"].get<int64_t>() > after_seq) out.push_back(e);
  }
  return json{{"events", std::move(out)}, {"finished", r->finished}};
}

}  // namespace shipgate::release
