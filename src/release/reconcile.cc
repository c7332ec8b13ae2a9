// Reconciliation at start(): what a restarted shipgate does with the state a previous run left.
//
// The rule (the runtime's children died with the previous process; nothing is adopted):
// - The persisted routing overlay is published again (GatewayControl::restoreRouting).
// - A deployment that had not switched traffic yet (pending, running, waiting_approval), or was
//   in the middle of its switch (switching), is rolled back: its new slot is stopped, the release
//   that was live before it is started again in its slot and traffic is put there. State
//   rolled_back, failure "shipgate restarted during <step>; ...". An interrupted emergency
//   rollback follows the same rule (run it again).
// - A deployment that had switched and was baking resumes: the new release is started again in
//   its (live) slot, the previous release in the other slot (warm, so a rollback stays instant),
//   traffic goes to the new slot, and the bake continues for what was left of it (measured from
//   the bake step's recorded start on the wall clock) with a fresh trigger watch: the windows
//   start over, because their samples died with the process. If the new release cannot start,
//   the deployment is rolled back to the previous release.
// - Every slot the store records as live and not handled above gets its release started again and
//   traffic goes there; slots recorded idle/warm/starting are recorded stopped.
#include "controller_impl.h"
#include "release_metrics.h"
#include "shipgate/common/log.h"
#include "shipgate/rum/release_labels.h"

namespace shipgate::release {

using json = nlohmann::json;
using store::DeploymentKind;
using store::DeploymentState;
using store::StepState;

std::string dumpJson(const json& j);

namespace {

struct Reconciler {
  DeployController& c;
  ControllerDeps& deps;
  std::set<std::pair<std::string, std::string>> started;  // (app, slot)

  void slotState(const std::string& app, traffic::Slot slot, const std::string& version,
                 store::SlotState state) {
    store::SlotRecord rec;
    rec.app = app;
    rec.slot = traffic::slotName(slot);
    rec.version = version;
    rec.state = state;
    rec.updated_at = c.nowMs();
    Status st = deps.store.setSlotState(rec);
    if (!st.isOk()) log::error("reconcile: cannot record slot " + rec.slot + " of " + app + ": " +
                               st.message());
    const bool running = state != store::SlotState::kStopped && state != store::SlotState::kFailed;
    if (c.metrics() != nullptr) c.metrics()->slotRelease(app, rec.slot, running ? version : "");
    if (deps.labels != nullptr) deps.labels->set(app, rec.slot, running ? version : "");
  }

  // Starts `version` of `app` in `slot` again and gives the gateway its endpoints.
  Status startSlot(const AppRelease& app, traffic::Slot slot, const std::string& version,
                   bool live) {
    auto rel = deps.store.findRelease(app.app, version);
    std::string artifact = rel ? rel->artifact : "";
    auto s = deps.runtime.start(app, traffic::slotName(slot), version, artifact);
    if (!s) return s.status();
    started.insert({app.app, traffic::slotName(slot)});
    if (!s->static_root.empty()) {
      if (live) return deps.gateway.setStaticRoot(app.runtime.static_site.site, s->static_root);
      return Status::success();
    }
    return deps.gateway.setSlotEndpoints(app.app, slot, s->endpoints);
  }

  Status finish(store::DeploymentRecord d, DeploymentState state, const std::string& why,
                const json& detail) {
    const int64_t now = c.nowMs();
    for (auto& s : d.steps) {
      if (s.state == StepState::kRunning) {
        s.state = StepState::kFailed;
        s.ended_at = now;
        s.result = "interrupted by a restart of shipgate";
      }
    }
    d.state = state;
    d.failure = why;
    d.finished_at = now;
    d.updated_at = now;
    if (state == DeploymentState::kRolledBack) d.rollback_json = dumpJson(detail);
    return deps.store.atomically([&]() -> Status {
      for (const auto& s : d.steps) {
        if (s.result == "interrupted by a restart of shipgate") {
          SG_RETURN_IF_ERROR(deps.store.saveStep(s));
        }
      }
      store::DeploymentRecord copy = d;
      copy.steps.clear();
      SG_RETURN_IF_ERROR(deps.store.updateDeployment(copy));
      store::AuditEntry a;
      a.at = now;
      a.actor = "controller";
      a.action = "reconcile";
      a.subject = d.id;
      a.reason = why;
      a.detail_json = dumpJson(detail);
      auto id = deps.store.appendAudit(a);
      return id ? Status::success() : id.status();
    });
  }

  std::string interruptedStep(const store::DeploymentRecord& d) {
    for (const auto& s : d.steps) {
      if (s.state == StepState::kRunning) return s.name;
    }
    for (auto it = d.steps.rbegin(); it != d.steps.rend(); ++it) {
      if (it->state != StepState::kPending) return "after " + it->name;
    }
    return std::string(store::toString(d.state));
  }
};

// Whether the stored steps are this build's checklist, by name and in order.
bool sameChecklist(const store::DeploymentRecord& d) {
  if (d.steps.size() != static_cast<size_t>(kStepCount)) return false;
  for (int i = 0; i < kStepCount; ++i) {
    if (d.steps[static_cast<size_t>(i)].name != kStepNames[i]) return false;
  }
  return true;
}

}  // namespace

Status DeployController::reconcile() {
  Status restored = deps_.gateway.restoreRouting();
  if (!restored.isOk()) log::warn("reconcile: the saved routing was not restored: " +
                                  restored.message());
  auto cfg = deps_.gateway.config();
  const ReleaseConfig& rc = releaseConfigOf(*cfg);
  auto unfinished = deps_.store.unfinishedDeployments();
  if (!unfinished) return unfinished.status();
  Reconciler rec{*this, deps_, {}};

  for (const store::DeploymentRecord& d : *unfinished) {
    const AppRelease* app = rc.findApp(d.app);
    auto from = parseSlot(d.from_slot);
    auto to = parseSlot(d.to_slot);
    if (app == nullptr || !from || !to) {
      Status st = rec.finish(d, DeploymentState::kFailed,
                             "shipgate restarted and app " + d.app + " is no longer managed",
                             json{{"rule", "restart"}});
      if (!st.isOk()) return st;
      continue;
    }
    const EnvironmentConfig* env = rc.findEnvironment(app->environment);
    // A bake resumes only on this build's checklist: the run reads its steps by index, so a
    // deployment recorded by a shipgate with other steps (an upgrade during a bake) rolls back.
    const bool same_checklist = sameChecklist(d);
    if (d.state == DeploymentState::kBaking && !same_checklist) {
      log::warn("reconcile: " + d.id + " was recorded with another checklist (" +
                std::to_string(d.steps.size()) + " steps); its bake is not resumed");
    }
    const bool baking = d.state == DeploymentState::kBaking && same_checklist &&
                        d.steps[kSwitch].state == StepState::kSucceeded;
    if (baking) {
      Status st = rec.startSlot(*app, *to, d.version, /*live=*/true);
      if (st.isOk()) {
        rec.slotState(d.app, *to, d.version, store::SlotState::kLive);
        bool warm_ok = false;
        if (!d.previous_version.empty()) {
          Status warm = rec.startSlot(*app, *from, d.previous_version, /*live=*/false);
          warm_ok = warm.isOk();
          rec.slotState(d.app, *from, d.previous_version,
                        warm.isOk() ? store::SlotState::kWarm : store::SlotState::kFailed);
          if (!warm.isOk()) {
            log::warn("reconcile: " + d.id + ": the previous release " + d.previous_version +
                      " did not start again (" + warm.message() + "); a rollback will start it");
          }
        }
        (void)deps_.gateway.switchSlot(d.app, *to);
        auto run = std::make_shared<Run>();
        run->id = d.id;
        run->app = d.app;
        run->kind = d.kind;
        run->release = *app;
        run->env = env != nullptr ? *env : EnvironmentConfig{};
        run->from = *from;
        run->to = *to;
        run->resume_bake = true;
        run->requested_mono_ms = monoMs();
        {
          MutexLock lock(run->mu);
          run->record = d;
          run->approved = !d.approved_by.empty();
          // Events live in memory: the earlier process numbered its own from 1. Starting past
          // any number it can have reached (wall ms x 1000) keeps seq increasing across the
          // restart, so a client resuming with after= or Last-Event-ID misses nothing new.
          run->next_seq = nowMs() * 1000;
        }
        {
          MutexLock lock(mu_);
          runs_[d.id] = run;
          active_[d.app] = d.id;
        }
        // The old slot is warm again and this deployment's cleanup owns it, as before the
        // restart: a later deploy into that slot takes it over (cancelling the cleanup), so the
        // cleanup can never stop a release that replaced the old one. A static app has no warm
        // slot to flip to (its rollback points the site at the previous directory instead).
        if (warm_ok && app->runtime.kind != runtime::RuntimeKind::kStatic) {
          setWarm(d.app, Warm{d.id, *from, d.previous_version});
        }
        emit(*run, "state", {{"state", "baking"}});
        log::info("reconcile: " + d.id + " (" + d.app + " " + d.version +
                  ") resumes its bake after a restart");
        launch(run);
        continue;
      }
      log::error("reconcile: " + d.id + ": " + d.version + " did not start again: " +
                 st.message() + "; rolling back to " + d.previous_version);
    }
    // Roll back: traffic on the release that was live before the deployment.
    const std::string step = rec.interruptedStep(d);
    (void)deps_.runtime.stop(*app, traffic::slotName(*to));
    (void)deps_.gateway.setSlotEndpoints(d.app, *to, {});
    rec.slotState(d.app, *to, "", store::SlotState::kStopped);
    std::string where = "traffic stays on " + d.from_slot;
    if (!d.previous_version.empty()) {
      Status st = rec.startSlot(*app, *from, d.previous_version, /*live=*/true);
      rec.slotState(d.app, *from, d.previous_version,
                    st.isOk() ? store::SlotState::kLive : store::SlotState::kFailed);
      if (!st.isOk()) {
        where += " but " + d.previous_version + " did not start again: " + st.message();
      } else {
        where += " (" + d.previous_version + ")";
      }
      (void)deps_.gateway.switchSlot(d.app, *from);
    }
    std::string why = "shipgate restarted during " + step + "; " + where;
    Status st = rec.finish(d, DeploymentState::kRolledBack, why,
                           json{{"rule", "restart"}, {"interrupted", step},
                                {"back_to", d.from_slot}, {"at", nowMs()}});
    if (!st.isOk()) return st;
    if (metrics_) {
      metrics_->rolledBack(d.app, "restart");
      metrics_->deploymentFinished(d.app, "rolled_back");
    }
    log::warn("reconcile: " + d.id + ": " + why);
  }

  // Every slot recorded live runs again, with traffic on it.
  for (const AppRelease& app : rc.apps) {
    auto slots = deps_.store.slotStates(app.app);
    if (!slots) return slots.status();
    for (const auto& s : *slots) {
      auto slot = parseSlot(s.slot);
      if (!slot || rec.started.count({app.app, s.slot}) > 0) continue;
      if (s.state == store::SlotState::kLive && !s.version.empty()) {
        Status st = rec.startSlot(app, *slot, s.version, /*live=*/true);
        if (!st.isOk()) {
          log::error("reconcile: " + app.app + " " + s.version + " did not start again in " +
                     s.slot + ": " + st.message());
          rec.slotState(app.app, *slot, s.version, store::SlotState::kFailed);
          continue;
        }
        rec.slotState(app.app, *slot, s.version, store::SlotState::kLive);
        auto eff = deps_.gateway.effective(app.app);
        if (eff && (eff->active_slot != *slot || eff->weights)) {
          (void)deps_.gateway.switchSlot(app.app, *slot);
        }
      } else if (s.state != store::SlotState::kStopped && s.state != store::SlotState::kFailed) {
        rec.slotState(app.app, *slot, "", store::SlotState::kStopped);
      }
    }
  }
  return Status::success();
}

}  // namespace shipgate::release
