// The checklist of one deployment, run on its own worker thread: gates (gate_step.cc), migrate
// (migration_step.cc), start, health, smoke, accessibility (accessibility_step.cc), approval,
// switch, bake, cleanup (preflight ran in deploy()/rollback()), the trigger watch during the
// switch holds and the bake, the automatic rollback when a rule fires, and the emergency flip.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "controller_impl.h"
#include "gate_step.h"
#include "incidents.h"
#include "migration_step.h"
#include "release_metrics.h"
#include "sla_watch.h"
#include "shipgate/common/log.h"
#include "shipgate/metrics/telemetry_reader.h"
#include "shipgate/notify/notifier.h"
#include "shipgate/rum/release_labels.h"
#include "shipgate/rum/rum_store.h"
#include "shipgate/watch/sla.h"
#include "shipgate/watch/watch_config.h"
#include "accessibility_step.h"
#include "smoke.h"

namespace shipgate::release {

using json = nlohmann::json;
using store::DeploymentKind;
using store::DeploymentState;
using store::StepState;

std::string dumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

namespace {

constexpr int64_t kSampleMs = 1'000;
// SLAs are checked as often as the triggers sample, so a short bake checks them too.
constexpr int64_t kSlaEveryMs = kSampleMs;

json textOrNullStr(const std::string& s);

// Why a watch ended.
enum class WatchEnd { kDone, kFired, kSlaAlert, kManual, kStopped };

class Worker {
 public:
  Worker(DeployController& c, std::shared_ptr<Run> run)
      : c_(c), run_(std::move(run)), r_(*run_), deps_(c.deps()) {}

  void execute();

 private:
  // ---- records ----
  store::AuditEntry audit(const std::string& actor, const std::string& action,
                          const std::string& reason, const json& detail) {
    store::AuditEntry a;
    a.at = c_.nowMs();
    a.actor = actor;
    a.action = action;
    a.subject = r_.id;
    a.reason = reason;
    a.detail_json = detail.is_null() ? "" : dumpJson(detail);
    return a;
  }
  store::StepRecord step(int index) {
    MutexLock lock(r_.mu);
    return r_.record.steps[index];
  }
  bool beginStep(int index) {
    store::StepRecord s = step(index);
    s.state = StepState::kRunning;
    s.started_at = c_.nowMs();
    step_started_mono_[index] = c_.monoMs();
    Status st = c_.saveStep(r_, s, audit("controller", "step_started", "",
                                         json{{"step", kStepNames[index]}}));
    c_.emit(r_, "step_started", {{"step", kStepNames[index]}, {"index", index}});
    if (!st.isOk()) {
      storeFailure(st);
      return false;
    }
    holdStepForTest(index);
    return true;
  }
  // SHIPGATE_TEST_HOLD_STEP=<step>:<ms> (tests only, read once): the named step, once recorded
  // running, waits that long before it does anything, so a crash test can kill `serve` inside a
  // step that is otherwise over in a millisecond (start, preflight). A stop ends the wait.
  void holdStepForTest(int index) {
    static const std::pair<std::string, int64_t> kHold = [] {
      const char* v = std::getenv("SHIPGATE_TEST_HOLD_STEP");
      if (v == nullptr) return std::pair<std::string, int64_t>{"", 0};
      std::string spec(v);
      size_t colon = spec.find(':');
      if (colon == std::string::npos) return std::pair<std::string, int64_t>{"", 0};
      return std::pair<std::string, int64_t>{spec.substr(0, colon),
                                             std::atoll(spec.c_str() + colon + 1)};
    }();
    if (kHold.second <= 0 || kHold.first != kStepNames[index]) return;
    log::warn("SHIPGATE_TEST_HOLD_STEP: holding step " + kHold.first + " for " +
              std::to_string(kHold.second) + " ms");
    (void)c_.waitUntil(r_, c_.monoMs() + kHold.second, [] { return false; });
  }
  bool endStep(int index, StepState state, const std::string& result, const json& evidence) {
    store::StepRecord s = step(index);
    s.state = state;
    if (s.started_at == 0) s.started_at = c_.nowMs();
    s.ended_at = c_.nowMs();
    s.result = result;
    s.evidence_json = evidence.is_null() ? "" : dumpJson(evidence);
    Status st = c_.saveStep(r_, s, audit("controller", "step_finished", result,
                                         json{{"step", kStepNames[index]},
                                              {"state", std::string(store::toString(state))}}));
    c_.emit(r_, "step_finished",
            {{"step", kStepNames[index]},
             {"index", index},
             {"state", std::string(store::toString(state))},
             {"duration_ms", s.ended_at - s.started_at},
             {"result", result},
             {"evidence", evidence.is_null() ? json::object() : evidence}});
    if (!st.isOk()) {
      storeFailure(st);
      return false;
    }
    return true;
  }
  bool skip(int index, const std::string& why) {
    return endStep(index, StepState::kSkipped, why, nullptr);
  }
  // A state change with its audit entry.
  bool setState(DeploymentState s, const std::string& actor, const std::string& action,
                const std::string& reason, const json& detail,
                const std::function<void(store::DeploymentRecord&)>& more = nullptr) {
    store::AuditEntry a = audit(actor, action, reason, detail);
    Status st = c_.saveRecord(
        r_,
        [&](store::DeploymentRecord& rec) {
          rec.state = s;
          if (store::isTerminal(s)) rec.finished_at = c_.nowMs();
          if (more) more(rec);
        },
        &a);
    c_.emit(r_, "state", {{"state", std::string(store::toString(s))}});
    if (!st.isOk()) {
      log::error("deployment " + r_.id + ": cannot record state " +
                 std::string(store::toString(s)) + ": " + st.message());
      if (!store::isTerminal(s)) {
        storeFailure(st);
        return false;
      }
    }
    return true;
  }
  void storeFailure(const Status& st) {
    if (!store_error_.empty()) return;
    store_error_ = "state store write failed: " + st.message();
    log::error("deployment " + r_.id + ": " + store_error_);
  }
  bool aborted() {
    if (c_.stopping() || !store_error_.empty()) return true;
    MutexLock lock(r_.mu);
    return r_.rejected;
  }
  void setSlot(traffic::Slot slot, const std::string& version, store::SlotState state) {
    store::SlotRecord rec;
    rec.app = r_.app;
    rec.slot = traffic::slotName(slot);
    rec.version = version;
    rec.state = state;
    rec.updated_at = c_.nowMs();
    Status st = deps_.store.setSlotState(rec);
    if (!st.isOk()) storeFailure(st);
    const bool running = state != store::SlotState::kStopped && state != store::SlotState::kFailed;
    if (c_.metrics() != nullptr) c_.metrics()->slotRelease(r_.app, rec.slot, running ? version : "");
    if (deps_.labels != nullptr) deps_.labels->set(r_.app, rec.slot, running ? version : "");
  }
  void notify(notify::EventKind kind, const std::string& reason,
              std::map<std::string, std::string> fields = {}, const std::string& incident = "") {
    if (deps_.notifier == nullptr) return;
    notify::Event e;
    e.kind = kind;
    e.app = r_.app;
    e.env = r_.env.name;
    {
      MutexLock lock(r_.mu);
      e.version = r_.record.version;
      e.previous_version = r_.record.previous_version;
      e.actor = r_.record.actor;
    }
    e.deployment_id = r_.id;
    e.incident_id = incident;
    e.reason = reason;
    e.fields = std::move(fields);
    e.at_ms = c_.nowMs();
    deps_.notifier->notify(std::move(e));
  }
  std::string version() {
    MutexLock lock(r_.mu);
    return r_.record.version;
  }
  std::string reason() {
    MutexLock lock(r_.mu);
    return r_.record.reason;
  }
  std::string previousVersion() {
    MutexLock lock(r_.mu);
    return r_.record.previous_version;
  }

  // ---- steps ----
  bool gatesStep();
  bool gates_refused_ = false;  // the gates step ended the deployment: nothing was started
  bool migrateStep();
  bool startStep();
  bool healthStep(traffic::Slot slot, int index);
  bool smokeStep();
  bool accessibilityStep();  // accessibility_step.h
  bool approvalStep();
  bool switchStep();
  bool bakeStep(int64_t bake_ms);
  void cleanupStep();
  void emergencyFlip();
  void resumeBake();

  // Ends the deployment before its switch: the new slot stops, traffic never moved.
  void failBeforeSwitch(const std::string& reason, DeploymentState state = DeploymentState::kFailed,
                        const std::string& actor = "controller");
  void stopNewSlot();
  // Traffic back to the old slot after a rule fired (or a manual rollback / store failure).
  void rollBackAfterSwitch(const std::string& trigger, std::string reason,
                           const json& detail, bool open_incident, const std::string& actor);
  void succeed();
  // An emergency rollback is an incident: opened as of the request, resolved once the restored
  // release is healthy in its slot; left open when the rollback failed.
  void emergencyIncident(bool restored);
  // Waits (up to the release's health_timeout) until every endpoint of `slot` is healthy (a
  // static release: at once); false when the time ran out or the controller is stopping.
  bool waitUntilHealthy(traffic::Slot slot);

  // The trigger watch until `deadline_mono` (sampling each second of the clock).
  WatchEnd watchUntil(int64_t deadline_mono, const std::string& phase, bool check_slas);
  watch::Sample sampleNow(int64_t at_mono);

  DeployController& c_;
  std::shared_ptr<Run> run_;
  Run& r_;
  ControllerDeps& deps_;
  std::string store_error_;
  int64_t step_started_mono_[kStepCount] = {};
  std::vector<config::HostPort> endpoints_;  // of the new slot
  std::optional<watch::TriggerWatch> watch_;
  std::vector<watch::SlaSpec> slas_;
  int64_t next_sample_mono_ = 0;
  int64_t samples_ = 0;
  json last_values_ = json::array();
  std::optional<watch::Firing> firing_;
  std::optional<watch::SlaResult> sla_alert_;
  std::string static_root_;  // static releases: the directory of the new release
  // Static releases: what the site served before this deployment (the previous release's
  // directory, or the config's root before the first release), found before the switch so a
  // rollback is one swap of the site's root. Empty when the previous release is not on disk.
  std::string previous_static_root_;
  void rememberPreviousStaticRoot();

  void handleWatchEnd(WatchEnd end);
};

json textOrNullStr(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

bool Worker::gatesStep() {
  if (!beginStep(kGates)) return false;
  std::string actor;
  {
    MutexLock lock(r_.mu);
    actor = r_.record.actor;
  }
  GateStepResult g = runGateStep(*deps_.gateway.config(), deps_.store,
                                 {r_.app, version(), r_.env.name, r_.artifact, r_.kind,
                                  r_.override_gates, actor, reason()});
  if (g.overridden) {
    Status st = deps_.store.appendAudit(audit(actor, "gates_overridden", reason(), g.evidence)).status();
    if (!st.isOk()) storeFailure(st);
  }
  if (!endStep(kGates, g.state, g.result, g.evidence)) return false;
  if (g.state != StepState::kFailed) return true;
  gates_refused_ = true;
  failBeforeSwitch("gates: " + g.result);
  return false;
}

bool Worker::migrateStep() {
  if (!beginStep(kMigrate)) return false;
  MigrateStepInput in;
  in.release = &r_.release;
  in.env = &r_.env;
  in.kind = r_.kind;
  in.deployment_id = r_.id;
  in.version = version();
  in.previous_version = previousVersion();
  in.artifact = r_.artifact;
  in.with_migrations = r_.with_migrations;
  {
    MutexLock lock(r_.mu);
    in.actor = r_.record.actor;
  }
  MigrateStepOutcome out = runMigrateStep(in, deps_.store, deps_.runtime);
  if (out.state == StepState::kFailed) {
    endStep(kMigrate, StepState::kFailed, out.result, out.evidence);
    failBeforeSwitch("migrate: " + out.result);
    return false;
  }
  return endStep(kMigrate, out.state, out.result, out.evidence);
}

bool Worker::startStep() {
  if (!beginStep(kStart)) return false;
  // The idle slot may still hold the previous release, kept warm by an earlier deployment.
  if (auto warm = c_.takeWarm(r_.app, r_.id); warm && warm->slot == r_.to) {
    c_.emit(r_, "message", {{"text", "stopping " + warm->version + " (kept warm in " +
                                         traffic::slotName(warm->slot) + ") to make room"}});
    (void)deps_.runtime.stop(r_.release, traffic::slotName(r_.to));
    (void)deps_.gateway.setSlotEndpoints(r_.app, r_.to, {});
    setSlot(r_.to, "", store::SlotState::kStopped);
  }
  setSlot(r_.to, version(), store::SlotState::kStarting);
  auto started = deps_.runtime.start(r_.release, traffic::slotName(r_.to), version(), r_.artifact);
  if (!started) {
    endStep(kStart, StepState::kFailed, started.status().message(), nullptr);
    failBeforeSwitch("start: " + started.status().message());
    return false;
  }
  endpoints_ = started->endpoints;
  json eps = json::array();
  for (const auto& e : endpoints_) eps.push_back(e.toString());
  json evidence = {{"slot", traffic::slotName(r_.to)}, {"endpoints", eps}, {"pids", started->pids}};
  if (!started->static_root.empty()) {
    evidence["static_root"] = started->static_root;
    static_root_ = started->static_root;
    rememberPreviousStaticRoot();
    evidence["previous_static_root"] = textOrNullStr(previous_static_root_);
  } else {
    Status st = deps_.gateway.setSlotEndpoints(r_.app, r_.to, endpoints_);
    if (!st.isOk()) {
      endStep(kStart, StepState::kFailed, st.message(), evidence);
      failBeforeSwitch("start: the gateway refused the slot's endpoints: " + st.message());
      return false;
    }
  }
  setSlot(r_.to, version(), store::SlotState::kIdle);
  return endStep(kStart, StepState::kSucceeded, "ok", evidence);
}

void Worker::rememberPreviousStaticRoot() {
  const std::string previous = previousVersion();
  if (previous.empty()) {
    const std::string& site = r_.release.runtime.static_site.site;
    for (const auto& s : traffic::trafficConfigOf(*deps_.gateway.config()).sites) {
      if (s.name == site) previous_static_root_ = s.static_site.root;
    }
    return;
  }
  auto root = deps_.runtime.staticRoot(r_.release, previous);
  if (root) {
    previous_static_root_ = *root;
    return;
  }
  // Not fatal: this deployment may be the fix for exactly that; it only cannot flip back.
  log::warn("deployment " + r_.id + ": " + root.status().message());
  c_.emit(r_, "message", {{"text", "the previous release " + previous + " is not on disk (" +
                                       root.status().message() +
                                       "): a rollback cannot flip back to it"}});
}

bool Worker::healthStep(traffic::Slot slot, int index) {
  if (!beginStep(index)) return false;
  if (!static_root_.empty()) {
    return skip(index, "static release: nothing runs, the files are in place");
  }
  const int64_t deadline = c_.monoMs() + r_.release.health_timeout.count();
  json last = json::array();
  for (;;) {
    if (aborted()) return false;
    SlotRunState rs = deps_.runtime.state(r_.release, traffic::slotName(slot));
    if (rs.crash_loop) {
      endStep(index, StepState::kFailed, rs.reason, {{"endpoints", last}});
      failBeforeSwitch("health: the release is crash-looping: " + rs.reason);
      return false;
    }
    auto health = deps_.gateway.slotHealth(r_.app, slot);
    last = json::array();
    size_t healthy = 0;
    for (const auto& h : health) {
      last.push_back({{"endpoint", h.key},
                      {"passes", h.consecutive_passes},
                      {"failures", h.consecutive_failures},
                      {"healthy", h.healthy},
                      {"detail", h.detail}});
      healthy += h.healthy ? 1 : 0;
    }
    if (!health.empty() && healthy == health.size() && healthy >= endpoints_.size()) {
      return endStep(index, StepState::kSucceeded, "ok", {{"endpoints", last}});
    }
    if (c_.monoMs() >= deadline) {
      std::string why = "not healthy after " + watch::formatDuration(r_.release.health_timeout) +
                        " (" + std::to_string(healthy) + " of " +
                        std::to_string(std::max(health.size(), endpoints_.size())) +
                        " endpoints healthy)";
      for (const auto& h : health) {
        if (!h.healthy && !h.detail.empty()) {
          why += "; " + h.key + ": " + h.detail;
          break;
        }
      }
      endStep(index, StepState::kFailed, why, {{"endpoints", last}});
      failBeforeSwitch("health: " + why);
      return false;
    }
    c_.waitUntil(r_, std::min(deadline, c_.monoMs() + 500), [this] {
      r_.mu.assertHeld();
      return r_.rejected;
    });
  }
}

bool Worker::smokeStep() {
  if (!beginStep(kSmoke)) return false;
  if (r_.kind == DeploymentKind::kEmergencyRollback) {
    return skip(kSmoke, "emergency rollback: smoke checks skipped");
  }
  if (r_.release.smoke.empty()) return skip(kSmoke, "no smoke checks configured");
  if (endpoints_.empty()) return skip(kSmoke, "static release: no replicas to send requests to");
  SmokeOutcome out = runSmokeChecks(r_.release.smoke, endpoints_);
  if (!out.ok) {
    endStep(kSmoke, StepState::kFailed, out.failure, {{"requests", out.evidence}});
    failBeforeSwitch("smoke: " + out.failure);
    return false;
  }
  return endStep(kSmoke, StepState::kSucceeded, "ok", {{"requests", out.evidence}});
}

bool Worker::accessibilityStep() {
  if (!beginStep(kAccessibility)) return false;
  if (r_.kind != DeploymentKind::kDeploy) {
    return skip(kAccessibility, "rollback: the accessibility scan never blocks a rollback");
  }
  if (r_.release.accessibility.url_paths.empty()) {
    return skip(kAccessibility, "no accessibility.url_paths configured");
  }
  const std::shared_ptr<const config::Config> cfg = deps_.gateway.config();
  auto it = cfg->quality_gates.find("accessibility");
  AccessibilityOutcome out = runAccessibilityStep(
      r_.release.accessibility,
      accessibilityWording(it == cfg->quality_gates.end() ? "" : it->second), endpoints_,
      static_root_);
  if (out.verdict == AccessibilityOutcome::Verdict::kFailed) {
    endStep(kAccessibility, StepState::kFailed, out.result, out.evidence);
    failBeforeSwitch("accessibility: " + out.result);
    return false;
  }
  return endStep(kAccessibility, StepState::kSucceeded, out.result, out.evidence);
}

bool Worker::approvalStep() {
  if (!beginStep(kApproval)) return false;
  if (r_.kind == DeploymentKind::kEmergencyRollback) {
    return skip(kApproval, "emergency rollback: approval skipped");
  }
  if (!r_.env.approval_required) {
    return skip(kApproval, "environment " + r_.env.name + " needs no approval");
  }
  bool approved = false;
  {
    MutexLock lock(r_.mu);
    approved = r_.approved;
  }
  if (!approved) {
    if (!setState(DeploymentState::kWaitingApproval, "controller", "approval_needed", "",
                  json{{"environment", r_.env.name}})) {
      return false;
    }
    c_.emit(r_, "approval_needed",
            {{"env", r_.env.name}, {"approve", "shipgate approve " + r_.id}});
    notify(notify::EventKind::kApprovalNeeded, "environment " + r_.env.name + " requires approval",
           {{"approve", "shipgate approve " + r_.id}});
    c_.waitUntil(r_, INT64_MAX, [this] {
      r_.mu.assertHeld();
      return r_.approved || r_.rejected;
    });
  }
  std::string approver;
  {
    MutexLock lock(r_.mu);
    if (!r_.approved) return false;  // rejected or stopping: the caller decides
    approver = r_.record.approved_by;
  }
  if (!setState(DeploymentState::kRunning, "controller", "approved", "", nullptr)) return false;
  return endStep(kApproval, StepState::kSucceeded, "approved by " + approver,
                 {{"approved_by", approver}});
}

watch::Sample Worker::sampleNow(int64_t at_mono) {
  const std::string slot = traffic::slotName(r_.to);
  const auto span = std::chrono::milliseconds(kSampleMs);
  watch::Sample s;
  s.at = std::chrono::milliseconds(at_mono);
  metrics::RequestCounts rc = deps_.telemetry.requests(r_.app, slot, span);
  s.requests = static_cast<int64_t>(rc.total);
  s.errors_5xx = static_cast<int64_t>(rc.serverErrors());
  if (watch_) {
    for (double p : watch::latencyPercentiles(watch_->specs())) {
      if (auto q = deps_.telemetry.latencyQuantile(r_.app, slot, p / 100.0, span)) {
        s.latency.push_back({p, *q * 1000.0});
      }
    }
  }
  s.waf_blocked = static_cast<int64_t>(deps_.telemetry.wafBlocked(span));
  int worst = 0;
  auto health = deps_.gateway.slotHealth(r_.app, r_.to);
  for (const auto& h : health) worst = std::max(worst, h.consecutive_failures);
  s.health_failures = health.empty() ? std::optional<int64_t>() : worst;
  return s;
}

WatchEnd Worker::watchUntil(int64_t deadline_mono, const std::string& phase, bool check_slas) {
  const int64_t phase_start = c_.monoMs();
  int64_t next_sla = phase_start + kSlaEveryMs;
  if (next_sample_mono_ == 0) next_sample_mono_ = phase_start + kSampleMs;
  for (;;) {
    if (c_.stopping()) return WatchEnd::kStopped;
    {
      MutexLock lock(r_.mu);
      if (r_.rollback_requested) return WatchEnd::kManual;
    }
    const int64_t now = c_.monoMs();
    bool sampled = false;
    while (watch_ && next_sample_mono_ <= now && next_sample_mono_ <= deadline_mono) {
      watch_->observe(sampleNow(next_sample_mono_));
      next_sample_mono_ += kSampleMs;
      ++samples_;
      sampled = true;
      if (watch_->verdict()) {
        firing_ = watch_->verdict();
        return WatchEnd::kFired;
      }
    }
    if (!watch_) {
      while (next_sample_mono_ <= now) next_sample_mono_ += kSampleMs;
    }
    if (sampled) {
      json values = json::array();
      for (const auto& v : watch_->values()) {
        json value = v.value ? json(*v.value) : json(nullptr);
        values.push_back({{"rule", v.rule_text},
                          {"metric", watch::metricName(v.metric)},
                          {"value", value},
                          {"unit", v.unit},
                          {"threshold", v.threshold ? json(*v.threshold) : json(nullptr)},
                          {"breaching", v.breached},
                          {"breaching_samples", v.breaching},
                          {"needed", v.needed},
                          {"note", v.note}});
        if (c_.metrics() != nullptr && v.value) {
          c_.metrics()->triggerValue(r_.app, v.rule_text, *v.value);
        }
      }
      last_values_ = values;
      c_.emit(r_, "trigger_values", {{"phase", phase},
                                     {"elapsed_ms", now - phase_start},
                                     {"remaining_ms", std::max<int64_t>(0, deadline_mono - now)},
                                     {"values", values}});
    }
    if (check_slas && !slas_.empty() && now >= next_sla) {
      next_sla = now + kSlaEveryMs;
      LiveSlaSource source(deps_.telemetry, deps_.rum, r_.app, traffic::slotName(r_.to),
                           version());
      for (const auto& res : watch::evaluateSlas(slas_, source)) {
        if (res.verdict == watch::SlaVerdict::kAlert) {
          sla_alert_ = res;
          return WatchEnd::kSlaAlert;
        }
      }
    }
    if (now >= deadline_mono) return WatchEnd::kDone;
    int64_t wake = std::min(deadline_mono, watch_ ? next_sample_mono_ : deadline_mono);
    c_.waitUntil(r_, std::max(wake, now + 1), [this] {
      r_.mu.assertHeld();
      return r_.rollback_requested;
    });
  }
}

bool Worker::switchStep() {
  if (!beginStep(kSwitch)) return false;
  auto cfg = deps_.gateway.config();
  const watch::WatchConfig& wc = watch::watchConfigOf(*cfg);
  const bool triggers = r_.env.triggers && r_.kind != DeploymentKind::kEmergencyRollback;
  watch::Baseline baseline;
  json baseline_json = json::object();
  if (triggers && !wc.triggers.empty()) {
    json lat = json::array();
    for (const auto& need : watch::baselineNeeds(wc.triggers)) {
      auto q = deps_.telemetry.latencyQuantile(r_.app, traffic::slotName(r_.from),
                                               need.percentile / 100.0, need.span);
      if (q) baseline.latency.push_back({need.percentile, *q * 1000.0});
      lat.push_back({{"percentile", need.percentile},
                     {"span_ms", need.span.count()},
                     {"ms", q ? json(*q * 1000.0) : json(nullptr)}});
    }
    if (!lat.empty()) {
      baseline_json = {{"slot", traffic::slotName(r_.from)},
                       {"version", textOrNullStr(previousVersion())},
                       {"latency", lat}};
    }
    watch_.emplace(wc.triggers, baseline);
  }
  if (triggers) slas_ = wc.slas;
  if (!setState(DeploymentState::kSwitching, "controller", "switch", "",
                json{{"from", traffic::slotName(r_.from)}, {"to", traffic::slotName(r_.to)}},
                [&](store::DeploymentRecord& rec) { rec.baseline_json = dumpJson(baseline_json); })) {
    return false;
  }
  json evidence = {{"from", traffic::slotName(r_.from)},
                   {"to", traffic::slotName(r_.to)},
                   {"baseline", baseline_json}};
  const auto& steps = r_.release.switch_spec.steps;
  if (!static_root_.empty()) {
    Status st = deps_.gateway.setStaticRoot(r_.release.runtime.static_site.site, static_root_);
    if (!st.isOk()) {
      endStep(kSwitch, StepState::kFailed, st.message(), evidence);
      failBeforeSwitch("switch: " + st.message());
      return false;
    }
  } else if (steps.empty() || r_.kind == DeploymentKind::kEmergencyRollback ||
             previousVersion().empty()) {
    // With nothing live before (a first deploy), there is no traffic to shift by weight.
    if (!steps.empty() && r_.kind != DeploymentKind::kEmergencyRollback) {
      c_.emit(r_, "message", {{"text", "no release was live: all traffic on " +
                                           std::string(traffic::slotName(r_.to)) + " at once"}});
    }
    Status st = deps_.gateway.switchSlot(r_.app, r_.to);
    if (!st.isOk()) {
      endStep(kSwitch, StepState::kFailed, st.message(), evidence);
      failBeforeSwitch("switch: " + st.message());
      return false;
    }
    evidence["steps"] = json::array({100});
  } else {
    json done = json::array();
    for (int pct : steps) {
      Status st = pct >= 100 ? deps_.gateway.switchSlot(r_.app, r_.to)
                  : r_.to == traffic::Slot::kGreen ? deps_.gateway.setWeights(r_.app, 100 - pct, pct)
                                                   : deps_.gateway.setWeights(r_.app, pct, 100 - pct);
      if (!st.isOk()) {
        (void)deps_.gateway.switchSlot(r_.app, r_.from);
        endStep(kSwitch, StepState::kFailed, st.message(), evidence);
        failBeforeSwitch("switch: " + st.message());
        return false;
      }
      done.push_back(pct);
      c_.emit(r_, "message", {{"text", std::to_string(pct) + "% of traffic on " +
                                           traffic::slotName(r_.to)}});
      if (pct >= 100) break;
      WatchEnd end = watchUntil(c_.monoMs() + r_.release.switch_spec.hold.count(), "switch",
                                false);
      if (end == WatchEnd::kStopped) return false;
      if (end != WatchEnd::kDone) {
        evidence["steps"] = done;
        endStep(kSwitch, StepState::kFailed, "rolled back during the hold at " +
                                                 std::to_string(pct) + "%", evidence);
        handleWatchEnd(end);
        return false;
      }
    }
    evidence["steps"] = done;
  }
  evidence["switch_ms"] = c_.monoMs() - step_started_mono_[kSwitch];
  // The feature flags the new release went live with (flag key -> version).
  if (deps_.flag_versions) evidence["flags"] = deps_.flag_versions(r_.env.name);
  setSlot(r_.to, version(), store::SlotState::kLive);
  if (!previousVersion().empty()) {
    // A static release stays on disk (kept by keep_releases), so its slot is warm too: the
    // store must not keep calling it live.
    setSlot(r_.from, previousVersion(), store::SlotState::kWarm);
    // From now on the old slot is the warm rollback target (an emergency rollback flips to it).
    if (r_.kind != DeploymentKind::kEmergencyRollback && static_root_.empty()) {
      c_.setWarm(r_.app, DeployController::Warm{r_.id, r_.from, previousVersion()});
    }
  }
  if (!store_error_.empty()) {
    // Traffic moved but the store does not say so: the caller rolls back.
    endStep(kSwitch, StepState::kFailed, store_error_, evidence);
    return false;
  }
  return endStep(kSwitch, StepState::kSucceeded, "ok", evidence);
}


bool Worker::bakeStep(int64_t bake_ms) {
  if (!beginStep(kBake)) return false;
  if (!setState(DeploymentState::kBaking, "controller", "bake", "",
                json{{"bake_ms", bake_ms}})) {
    return false;
  }
  if (r_.kind == DeploymentKind::kEmergencyRollback) {
    return skip(kBake, "emergency rollback: no bake");
  }
  const int64_t deadline = step_started_mono_[kBake] + bake_ms;
  WatchEnd end = watchUntil(deadline, "bake", true);
  if (end == WatchEnd::kStopped) return false;
  json evidence = {{"bake_ms", bake_ms},
                   {"samples", samples_},
                   {"triggers", watch_ ? json(true) : json(false)},
                   {"values", last_values_}};
  if (end != WatchEnd::kDone) {
    endStep(kBake, StepState::kFailed, "rolled back during the bake", evidence);
    handleWatchEnd(end);
    return false;
  }
  return endStep(kBake, StepState::kSucceeded, "ok", evidence);
}

void Worker::handleWatchEnd(WatchEnd end) {
  if (end == WatchEnd::kFired && firing_) {
    json points = json::array();
    for (const auto& p : firing_->points) {
      points.push_back({{"at", p.at.count()},
                        {"value", p.value ? json(*p.value) : json(nullptr)},
                        {"requests", p.requests},
                        {"breached", p.breached},
                        {"no_data", p.no_data}});
    }
    json detail = {{"rule", firing_->rule_text},
                   {"wording", firing_->spec.wording},
                   {"reason", firing_->reason},
                   {"threshold", firing_->threshold},
                   {"baseline_ms", firing_->baseline_ms ? json(*firing_->baseline_ms) : json(nullptr)},
                   {"value", firing_->value ? json(*firing_->value) : json(nullptr)},
                   {"window_ms", firing_->window.count()},
                   {"values", points}};
    rollBackAfterSwitch(watch::metricName(firing_->spec.metric), firing_->reason, detail, true,
                        "trigger");
  } else if (end == WatchEnd::kSlaAlert && sla_alert_) {
    json detail = {{"rule", "sla " + sla_alert_->metric},
                   {"reason", sla_alert_->summary},
                   {"value", sla_alert_->value_ms ? json(*sla_alert_->value_ms) : json(nullptr)},
                   {"threshold", sla_alert_->alert_threshold_ms},
                   {"window_ms", sla_alert_->window.count()},
                   {"samples", sla_alert_->samples}};
    rollBackAfterSwitch("sla", sla_alert_->summary, detail, true, "trigger");
  } else if (end == WatchEnd::kManual) {
    std::string actor, reason;
    bool emergency = false;
    {
      MutexLock lock(r_.mu);
      actor = r_.rollback_actor;
      reason = r_.rollback_reason;
      emergency = r_.rollback_emergency;
    }
    rollBackAfterSwitch("manual",
                        (emergency ? "emergency rollback by " : "rolled back by ") + actor + ": " +
                            reason,
                        json{{"rule", "manual"},
                             {"actor", actor},
                             {"reason", reason},
                             {"emergency", emergency}},
                        emergency, actor);
  }
}

void Worker::stopNewSlot() {
  if (gates_refused_) return;  // nothing started; the idle slot may hold the warm release
  if (static_root_.empty()) {
    (void)deps_.gateway.setSlotEndpoints(r_.app, r_.to, {});
    Status st = deps_.runtime.stop(r_.release, traffic::slotName(r_.to));
    if (!st.isOk()) log::warn("deployment " + r_.id + ": stopping the new slot: " + st.message());
  }
  setSlot(r_.to, "", store::SlotState::kStopped);
}

void Worker::failBeforeSwitch(const std::string& reason, DeploymentState state,
                              const std::string& actor) {
  stopNewSlot();
  std::string why = reason;
  if (!store_error_.empty() && why.find(store_error_) == std::string::npos) {
    why = store_error_ + (why.empty() ? "" : " (" + why + ")");
  }
  // Reset the store error so the terminal write is tried (best effort).
  store_error_.clear();
  setState(state, actor, state == DeploymentState::kRejected ? "reject" : "deploy_failed", why,
           json{{"traffic", traffic::slotName(r_.from)}},
           [&](store::DeploymentRecord& rec) { rec.failure = why; });
  if (c_.metrics() != nullptr) {
    c_.metrics()->deploymentFinished(r_.app, std::string(store::toString(state)));
  }
  notify(notify::EventKind::kDeployFailed, why);
  c_.finishRun(r_);
  if (r_.kind == DeploymentKind::kEmergencyRollback) emergencyIncident(false);
}

void Worker::rollBackAfterSwitch(const std::string& trigger, std::string reason,
                                 const json& detail, bool open_incident, const std::string& actor) {
  // Traffic first: nothing (store, notifications) may delay it.
  const int64_t t0 = c_.monoMs();
  Status st = static_root_.empty() ? deps_.gateway.switchSlot(r_.app, r_.from)
               : previous_static_root_.empty()
                   ? Status::notFound("the directory of the previous release " +
                                      previousVersion() + " was missing when the deployment "
                                      "started; the site keeps serving " + version())
                   : deps_.gateway.setStaticRoot(r_.release.runtime.static_site.site,
                                                 previous_static_root_);
  const int64_t switch_ms = c_.monoMs() - t0;
  if (auto warm = c_.warmOf(r_.app); warm && warm->run_id == r_.id) c_.setWarm(r_.app, std::nullopt);
  if (!st.isOk()) {
    log::error("deployment " + r_.id + ": switching " + r_.app + " back to " +
               traffic::slotName(r_.from) + " failed: " + st.message());
  }
  json rb = detail;
  rb["at"] = c_.nowMs();
  rb["trigger"] = trigger;
  rb["switch_ms"] = switch_ms;
  rb["back_to"] = traffic::slotName(r_.from);
  store_error_.clear();
  const int64_t opened_at = c_.nowMs();
  setState(DeploymentState::kRolledBack, actor, "rollback", reason, rb,
           [&](store::DeploymentRecord& rec) {
             rec.failure = reason;
             rec.rollback_json = dumpJson(rb);
           });
  c_.emit(r_, "message", {{"text", "rolled back to " + std::string(traffic::slotName(r_.from)) + ": " + reason}});
  if (c_.metrics() != nullptr) {
    c_.metrics()->rolledBack(r_.app, trigger);
    c_.metrics()->deploymentFinished(r_.app, "rolled_back");
    c_.metrics()->clearTriggerValues(r_.app);
  }
  std::string incident;
  if (open_incident) {
    store::IncidentRecord inc;
    inc.app = r_.app;
    inc.deployment_id = r_.id;
    inc.cause = reason;
    inc.detail_json = dumpJson(rb);
    inc.opened_at = opened_at;
    auto id = deps_.store.openIncident(inc);
    if (id) {
      incident = std::to_string(*id);
    } else {
      log::error("deployment " + r_.id + ": cannot open the incident: " + id.status().message());
    }
  }
  std::map<std::string, std::string> fields = {{"trigger", trigger}};
  if (detail.contains("rule")) fields["rule"] = detail["rule"].get<std::string>();
  if (detail.contains("window_ms")) fields["window_ms"] = detail["window_ms"].dump();
  notify(notify::EventKind::kRolledBack, reason, fields, incident);
  if (!incident.empty()) notify(notify::EventKind::kIncidentOpened, reason, fields, incident);
  setSlot(r_.from, previousVersion(), store::SlotState::kLive);
  // The cleanup after a rollback is stopping the new release's slot (the old one is live).
  (void)beginStep(kCleanup);
  stopNewSlot();
  endStep(kCleanup, StepState::kSucceeded,
          "rolled back: stopped " + version() + " in " + traffic::slotName(r_.to),
          {{"slot", traffic::slotName(r_.to)}, {"version", version()}});
  c_.finishRun(r_);
  if (incident.empty()) return;
  // Resolved when the old release is healthy again: the time to recover.
  if (!waitUntilHealthy(r_.from)) return;  // stays open
  Status resolved = deps_.store.resolveIncident(std::stoll(incident), c_.nowMs());
  if (!resolved.isOk()) log::error("cannot resolve incident " + incident + ": " + resolved.message());
  notify(notify::EventKind::kIncidentResolved, std::string(traffic::slotName(r_.from)) + " (" +
                                                   previousVersion() + ") is healthy again",
         fields, incident);
  c_.emit(r_, "message", {{"text", "incident " + incident + " resolved: " +
                                       traffic::slotName(r_.from) + " is healthy"}});
}

bool Worker::waitUntilHealthy(traffic::Slot slot) {
  const int64_t deadline = c_.monoMs() + r_.release.health_timeout.count();
  for (;;) {
    auto health = deps_.gateway.slotHealth(r_.app, slot);
    bool healthy = !health.empty() || !static_root_.empty();
    for (const auto& h : health) healthy = healthy && h.healthy;
    if (healthy) return true;
    if (c_.stopping() || c_.monoMs() >= deadline) return false;
    c_.waitUntil(r_, c_.monoMs() + 500, nullptr);
  }
}

void Worker::succeed() {
  const bool rollback = r_.kind != DeploymentKind::kDeploy;
  setState(DeploymentState::kSucceeded, "controller",
           rollback ? "rollback_succeeded" : "deploy_succeeded", "", nullptr);
  if (c_.metrics() != nullptr) {
    c_.metrics()->deploymentFinished(r_.app, "succeeded");
    c_.metrics()->clearTriggerValues(r_.app);
    if (rollback) {
      c_.metrics()->rolledBack(
          r_.app, r_.kind == DeploymentKind::kEmergencyRollback ? "emergency" : "manual");
    }
  }
  notify(rollback ? notify::EventKind::kRolledBack : notify::EventKind::kDeploySucceeded,
         rollback ? reason() : "");
  c_.finishRun(r_);
}

void Worker::cleanupStep() {
  if (!beginStep(kCleanup)) return;
  const std::string old_version = previousVersion();
  if (old_version.empty() || !static_root_.empty()) {
    if (!static_root_.empty()) {
      std::set<std::string> keep = {version()};
      if (!old_version.empty()) keep.insert(old_version);
      deps_.runtime.prune(r_.release, keep);
    }
    endStep(kCleanup, StepState::kSucceeded, old_version.empty() ? "no old release" : "ok",
            nullptr);
    return;
  }
  const bool immediate = r_.kind == DeploymentKind::kEmergencyRollback;
  const int64_t delay =
      immediate ? 0 : releaseConfigOf(*deps_.gateway.config()).scaleDownDelayOf(r_.release).count();
  c_.emit(r_, "message", {{"text", "keeping " + old_version + " warm in " +
                                       traffic::slotName(r_.from) + " for " +
                                       watch::formatDuration(std::chrono::milliseconds(delay))}});
  bool cancelled = c_.waitUntil(r_, c_.monoMs() + delay, [this] {
    r_.mu.assertHeld();
    return r_.cancel_cleanup;
  });
  std::string by;
  {
    MutexLock lock(r_.mu);
    cancelled = r_.cancel_cleanup;
    by = r_.cancel_cleanup_by;
  }
  if (cancelled) {
    endStep(kCleanup, StepState::kSucceeded, "the old slot was taken over by " + by,
            {{"slot", traffic::slotName(r_.from)}, {"version", old_version}});
    return;
  }
  if (c_.stopping()) return;  // reconciled at the next start
  if (c_.takeWarm(r_.app, r_.id) == std::nullopt) {
    // Someone took the slot between the wait and now.
    MutexLock lock(r_.mu);
    if (r_.cancel_cleanup) {
      by = r_.cancel_cleanup_by;
      cancelled = true;
    }
  }
  if (cancelled) {
    endStep(kCleanup, StepState::kSucceeded, "the old slot was taken over by " + by,
            {{"slot", traffic::slotName(r_.from)}, {"version", old_version}});
    return;
  }
  // Last guard: stop the old slot only while the store still says it holds the old release (a
  // deployment that replaced it owns it now, whatever happened to the warm hand-over).
  if (auto slots = deps_.store.slotStates(r_.app); slots.isOk()) {
    for (const auto& rec : slots.value()) {
      if (rec.slot == traffic::slotName(r_.from) && rec.version != old_version) {
        endStep(kCleanup, StepState::kSucceeded,
                "the old slot now holds " + (rec.version.empty() ? "nothing" : rec.version) +
                    "; left alone",
                {{"slot", traffic::slotName(r_.from)}, {"version", old_version}});
        return;
      }
    }
  }
  (void)deps_.gateway.setSlotEndpoints(r_.app, r_.from, {});
  Status st = deps_.runtime.stop(r_.release, traffic::slotName(r_.from));
  setSlot(r_.from, "", store::SlotState::kStopped);
  endStep(kCleanup, st.isOk() ? StepState::kSucceeded : StepState::kFailed,
          st.isOk() ? "stopped " + old_version : st.message(),
          {{"slot", traffic::slotName(r_.from)}, {"version", old_version}, {"delay_ms", delay}});
}

void Worker::emergencyFlip() {
  // The previous release is still warm in the idle slot: flip, then record.
  if (!beginStep(kSwitch)) {
    // Not even the step could be recorded: flip anyway, a rollback must not wait on the store.
  }
  const int64_t t0 = c_.monoMs();
  Status st = deps_.gateway.switchSlot(r_.app, r_.to);
  const int64_t flip_ms = c_.monoMs() - t0;
  const int64_t total_ms = c_.monoMs() - r_.requested_mono_ms;
  store_error_.clear();
  if (!st.isOk()) {
    endStep(kSwitch, StepState::kFailed, st.message(), nullptr);
    failBeforeSwitch("emergency rollback: " + st.message());
    return;
  }
  const std::string why =
      "the previous release was still warm in " + std::string(traffic::slotName(r_.to));
  skip(kMigrate, "emergency rollback: the database is never touched");
  for (int i : {kGates, kStart, kHealth, kSmoke, kAccessibility, kApproval}) skip(i, why);
  endStep(kSwitch, StepState::kSucceeded, "ok",
          {{"from", traffic::slotName(r_.from)},
           {"to", traffic::slotName(r_.to)},
           {"flip_ms", flip_ms},
           {"request_to_switch_ms", total_ms}});
  setSlot(r_.to, version(), store::SlotState::kLive);
  skip(kBake, "emergency rollback: no bake");
  succeed();
  // The bad release stops at once.
  beginStep(kCleanup);
  (void)deps_.gateway.setSlotEndpoints(r_.app, r_.from, {});
  Status stopped = deps_.runtime.stop(r_.release, traffic::slotName(r_.from));
  setSlot(r_.from, "", store::SlotState::kStopped);
  endStep(kCleanup, stopped.isOk() ? StepState::kSucceeded : StepState::kFailed,
          stopped.isOk() ? "stopped " + previousVersion() : stopped.message(),
          {{"slot", traffic::slotName(r_.from)}});
  emergencyIncident(true);
}

void Worker::emergencyIncident(bool restored) {
  std::string actor, why;
  int64_t requested_at = 0;
  {
    MutexLock lock(r_.mu);
    actor = r_.record.actor;
    why = r_.record.reason;
    requested_at = r_.record.created_at;
  }
  store::IncidentRecord inc;
  inc.app = r_.app;
  inc.deployment_id = r_.id;
  inc.cause = "emergency rollback by " + actor + ": " + why;
  inc.detail_json = dumpJson({{"source", "emergency_rollback"},
                              {"actor", actor},
                              {"reason", why},
                              {"from_version", textOrNullStr(previousVersion())},
                              {"to_version", version()},
                              {"restored", restored}});
  inc.opened_at = requested_at != 0 ? requested_at : c_.nowMs();
  IncidentContext ctx{r_.env.name, version(), previousVersion(), actor, {{"trigger", "emergency"}}};
  const int64_t id = openIncident(deps_, inc, ctx);
  if (id == 0) return;
  c_.emit(r_, "message", {{"text", "incident " + std::to_string(id) + " opened: " + inc.cause}});
  if (!restored || !waitUntilHealthy(r_.to)) return;  // stays open
  const std::string text = version() + " is live in " + traffic::slotName(r_.to) + " and healthy";
  if (resolveIncident(deps_, id, r_.app, r_.id, text, ctx)) {
    c_.emit(r_, "message", {{"text", "incident " + std::to_string(id) + " resolved: " + text}});
  }
}

// Reconciled after a restart during the bake: the releases were started again (reconcile.cc);
// the watch starts over (its samples died with the process) for what is left of the bake.
void Worker::resumeBake() {
  auto cfg = deps_.gateway.config();
  const watch::WatchConfig& wc = watch::watchConfigOf(*cfg);
  watch::Baseline baseline;
  json recorded;
  int64_t bake_started = 0;
  {
    MutexLock lock(r_.mu);
    recorded = json::parse(r_.record.baseline_json.empty() ? "{}" : r_.record.baseline_json,
                           nullptr, false);
    bake_started = r_.record.steps[kBake].started_at;
  }
  if (recorded.is_object() && recorded.contains("latency") && recorded["latency"].is_array()) {
    for (const auto& l : recorded["latency"]) {
      if (l.contains("ms") && l["ms"].is_number()) {
        baseline.latency.push_back({l["percentile"].get<double>(), l["ms"].get<double>()});
      }
    }
  }
  if (r_.env.triggers && !wc.triggers.empty()) watch_.emplace(wc.triggers, baseline);
  if (r_.env.triggers) slas_ = wc.slas;
  if (r_.release.runtime.kind == runtime::RuntimeKind::kStatic) {
    // Reconciliation pointed the site at this release again; a rollback flips it back.
    auto root = deps_.runtime.staticRoot(r_.release, version());
    if (root) static_root_ = *root;
    rememberPreviousStaticRoot();
  }
  const int64_t bake = releaseConfigOf(*cfg).bakeOf(r_.release).count();
  const int64_t elapsed = bake_started == 0 ? 0 : std::max<int64_t>(0, c_.nowMs() - bake_started);
  const int64_t remaining = std::max<int64_t>(0, bake - elapsed);
  c_.emit(r_, "message", {{"text", "resuming the bake after a restart: " +
                                       watch::formatDuration(std::chrono::milliseconds(remaining)) +
                                       " left"}});
  step_started_mono_[kBake] = c_.monoMs();
  WatchEnd end = watchUntil(c_.monoMs() + remaining, "bake", true);
  if (end == WatchEnd::kStopped) return;
  json evidence = {{"bake_ms", bake},
                   {"resumed_after_restart", true},
                   {"samples", samples_},
                   {"values", last_values_}};
  if (end != WatchEnd::kDone) {
    endStep(kBake, StepState::kFailed, "rolled back during the bake", evidence);
    handleWatchEnd(end);
    return;
  }
  if (!endStep(kBake, StepState::kSucceeded, "ok", evidence)) {
    rollBackAfterSwitch("store", store_error_, json{{"rule", "state store"}}, false, "controller");
    return;
  }
  succeed();
  cleanupStep();
}

void Worker::execute() {
  const bool is_rollback = r_.kind != DeploymentKind::kDeploy;
  if (!r_.resume_bake &&
      !setState(DeploymentState::kRunning, "controller",
                is_rollback ? "rollback_started" : "deploy_started", "", nullptr)) {
    failBeforeSwitch(store_error_);
    return;
  }
  if (!is_rollback) notify(notify::EventKind::kDeployStarted, "");
  if (r_.emergency_flip) {
    emergencyFlip();
    return;
  }
  if (r_.resume_bake) {
    resumeBake();
    return;
  }
  auto rejectedOrStopped = [this]() {
    if (c_.stopping()) return true;  // left unfinished: reconciled at the next start
    bool rejected = false;
    std::string actor, reason;
    {
      MutexLock lock(r_.mu);
      rejected = r_.rejected;
      actor = r_.reject_actor;
      reason = r_.reject_reason;
    }
    if (rejected) {
      failBeforeSwitch("rejected by " + actor + (reason.empty() ? "" : ": " + reason),
                       DeploymentState::kRejected, actor);
      return true;
    }
    if (!store_error_.empty()) {
      failBeforeSwitch(store_error_);
      return true;
    }
    return false;
  };
  // Each step returns false when it ended the deployment itself or when it was cut short.
  auto finished = [this] {
    MutexLock lock(r_.mu);
    return r_.finished;
  };
  if (!gatesStep() || rejectedOrStopped()) {
    if (!finished()) rejectedOrStopped();
    return;
  }
  if (!migrateStep() || rejectedOrStopped() || !startStep()) {
    if (!finished()) rejectedOrStopped();
    return;
  }
  for (auto [fn, index] : {std::pair{0, kHealth}, std::pair{1, kSmoke},
                           std::pair{3, kAccessibility}, std::pair{2, kApproval}}) {
    if (rejectedOrStopped()) return;
    bool ok = fn == 0   ? healthStep(r_.to, index)
              : fn == 1 ? smokeStep()
              : fn == 3 ? accessibilityStep()
                        : approvalStep();
    if (!ok) {
      if (!finished() && !rejectedOrStopped()) failBeforeSwitch("stopped");
      return;
    }
  }
  if (rejectedOrStopped()) return;
  if (!switchStep()) {
    if (!finished() && !c_.stopping()) {
      if (!store_error_.empty()) {
        rollBackAfterSwitch("store", store_error_, json{{"rule", "state store"}}, false,
                            "controller");
      }
    }
    return;
  }
  const int64_t bake = releaseConfigOf(*deps_.gateway.config()).bakeOf(r_.release).count();
  if (!bakeStep(bake)) {
    if (!finished() && !c_.stopping() && !store_error_.empty()) {
      rollBackAfterSwitch("store", store_error_, json{{"rule", "state store"}}, false,
                          "controller");
    }
    return;
  }
  succeed();
  cleanupStep();
  if (r_.kind == DeploymentKind::kEmergencyRollback) emergencyIncident(true);
}

}  // namespace

void DeployController::execute(const std::shared_ptr<Run>& run) {
  Worker worker(*this, run);
  worker.execute();
  MutexLock lock(run->mu);
  run->done = true;
  run->cv.notifyAll();
}

}  // namespace shipgate::release
