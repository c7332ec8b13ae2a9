#include "shipgate/store/failing_state_store.h"

#include <algorithm>

namespace shipgate::store {
namespace {
// atomically() nesting of the calling thread, to find the outermost body's commit.
thread_local int t_atomic_depth = 0;
}  // namespace

void FailingStateStore::failOperation(const std::string& operation, int times, When when) {
  MutexLock lock(mu_);
  if (times == 0 || times < kAlways) return;
  operation_rules_.push_back({operation, times, when});
}

void FailingStateStore::failWrite(int64_t n, When when) {
  MutexLock lock(mu_);
  nth_rules_.emplace_back(n, when);
}

void FailingStateStore::failWritesFrom(int64_t n, When when) {
  MutexLock lock(mu_);
  fail_from_ = std::max<int64_t>(n, 1);
  fail_from_when_ = when;
}

void FailingStateStore::failAllWrites() {
  MutexLock lock(mu_);
  fail_from_ = writes_ + 1;
  fail_from_when_ = When::kBefore;
}

void FailingStateStore::clearFailures() {
  MutexLock lock(mu_);
  operation_rules_.clear();
  nth_rules_.clear();
  fail_from_ = 0;
}

int64_t FailingStateStore::writesAttempted() const {
  MutexLock lock(mu_);
  return writes_;
}

int64_t FailingStateStore::failuresInjected() const {
  MutexLock lock(mu_);
  return failures_;
}

std::vector<std::string> FailingStateStore::attempted() const {
  MutexLock lock(mu_);
  return attempted_;
}

FailingStateStore::Decision FailingStateStore::decide(const std::string& operation) {
  MutexLock lock(mu_);
  Decision d;
  attempted_.push_back(operation);
  if (operation != "commit") d.number = ++writes_;
  for (auto it = operation_rules_.begin(); it != operation_rules_.end(); ++it) {
    if (it->operation != operation) continue;
    d.fail = true;
    d.when = it->when;
    if (it->remaining != kAlways && --it->remaining == 0) operation_rules_.erase(it);
    break;
  }
  if (!d.fail && d.number > 0) {
    for (auto it = nth_rules_.begin(); it != nth_rules_.end(); ++it) {
      if (it->first != d.number) continue;
      d.fail = true;
      d.when = it->second;
      nth_rules_.erase(it);
      break;
    }
    if (!d.fail && fail_from_ > 0 && d.number >= fail_from_) {
      d.fail = true;
      d.when = fail_from_when_;
    }
  }
  if (d.fail) ++failures_;
  return d;
}

Status FailingStateStore::injected(const std::string& operation, int64_t number) {
  return Status::unavailable("injected failure: " + operation +
                             (number > 0 ? " (write #" + std::to_string(number) + ")" : ""));
}

template <typename F>
auto FailingStateStore::run(const std::string& operation, F&& call) -> decltype(call()) {
  const Decision d = decide(operation);
  if (d.fail && d.when == When::kBefore) return injected(operation, d.number);
  auto result = call();
  if (d.fail && result.isOk()) return injected(operation, d.number);
  return result;
}

Status FailingStateStore::atomically(const std::function<Status()>& body) {
  const bool outermost = t_atomic_depth == 0;
  ++t_atomic_depth;
  struct Leave {
    ~Leave() { --t_atomic_depth; }
  } leave;
  return inner_.atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(body());
    if (!outermost) return Status::success();
    const Decision d = decide("commit");
    // A failed commit undoes the body either way; kAfter cannot apply to a rolled-back commit.
    return d.fail ? injected("commit", 0) : Status::success();
  });
}

// ---- Writes ----

Status FailingStateStore::upsertEnvironment(const EnvironmentRecord& env) {
  return run("upsertEnvironment", [&] { return inner_.upsertEnvironment(env); });
}
Status FailingStateStore::upsertApp(const AppRecord& app) {
  return run("upsertApp", [&] { return inner_.upsertApp(app); });
}
Status FailingStateStore::createRelease(const ReleaseRecord& release) {
  return run("createRelease", [&] { return inner_.createRelease(release); });
}
Result<std::string> FailingStateStore::createDeployment(const DeploymentRecord& deployment) {
  return run("createDeployment", [&] { return inner_.createDeployment(deployment); });
}
Status FailingStateStore::updateDeployment(const DeploymentRecord& deployment) {
  return run("updateDeployment", [&] { return inner_.updateDeployment(deployment); });
}
Status FailingStateStore::saveStep(const StepRecord& step) {
  return run("saveStep", [&] { return inner_.saveStep(step); });
}
Result<int64_t> FailingStateStore::openIncident(const IncidentRecord& incident) {
  return run("openIncident", [&] { return inner_.openIncident(incident); });
}
Status FailingStateStore::resolveIncident(int64_t id, int64_t resolved_at) {
  return run("resolveIncident", [&] { return inner_.resolveIncident(id, resolved_at); });
}
Result<int64_t> FailingStateStore::appendAudit(const AuditEntry& entry) {
  return run("appendAudit", [&] { return inner_.appendAudit(entry); });
}
Status FailingStateStore::setSlotState(const SlotRecord& slot) {
  return run("setSlotState", [&] { return inner_.setSlotState(slot); });
}
Status FailingStateStore::putRuntimeState(const std::string& key, const std::string& json,
                                          int64_t updated_at) {
  return run("putRuntimeState", [&] { return inner_.putRuntimeState(key, json, updated_at); });
}
Status FailingStateStore::eraseRuntimeState(const std::string& key) {
  return run("eraseRuntimeState", [&] { return inner_.eraseRuntimeState(key); });
}
Status FailingStateStore::addReleaseReport(const ReleaseReportRecord& report) {
  return run("addReleaseReport", [&] { return inner_.addReleaseReport(report); });
}
Result<int64_t> FailingStateStore::recordDelivery(const DeliveryRecord& delivery) {
  return run("recordDelivery", [&] { return inner_.recordDelivery(delivery); });
}

// ---- Reads pass through ----

Result<std::vector<EnvironmentRecord>> FailingStateStore::listEnvironments() {
  return inner_.listEnvironments();
}
Result<AppRecord> FailingStateStore::findApp(const std::string& name) {
  return inner_.findApp(name);
}
Result<std::vector<AppRecord>> FailingStateStore::listApps() { return inner_.listApps(); }
Result<ReleaseRecord> FailingStateStore::findRelease(const std::string& app,
                                                     const std::string& version) {
  return inner_.findRelease(app, version);
}
Result<std::vector<ReleaseRecord>> FailingStateStore::listReleases(const std::string& app,
                                                                   int limit) {
  return inner_.listReleases(app, limit);
}
Result<std::vector<ReleaseReportRecord>> FailingStateStore::listReleaseReports(
    const std::string& app, const std::string& version) {
  return inner_.listReleaseReports(app, version);
}
Result<ReleaseReportRecord> FailingStateStore::readReleaseReport(const std::string& app,
                                                                 const std::string& version,
                                                                 const std::string& kind,
                                                                 const std::string& name) {
  return inner_.readReleaseReport(app, version, kind, name);
}
Result<DeploymentRecord> FailingStateStore::getDeployment(const std::string& id) {
  return inner_.getDeployment(id);
}
Result<std::vector<DeploymentRecord>> FailingStateStore::listDeployments(const std::string& app,
                                                                         int limit) {
  return inner_.listDeployments(app, limit);
}
Result<std::vector<DeploymentRecord>> FailingStateStore::unfinishedDeployments() {
  return inner_.unfinishedDeployments();
}
Result<IncidentRecord> FailingStateStore::findIncident(int64_t id) {
  return inner_.findIncident(id);
}
Result<std::vector<IncidentRecord>> FailingStateStore::listIncidents(const std::string& app,
                                                                     bool open_only, int limit) {
  return inner_.listIncidents(app, open_only, limit);
}
Result<std::vector<AuditEntry>> FailingStateStore::listAudit(int64_t after_id, int limit) {
  return inner_.listAudit(after_id, limit);
}
Result<std::vector<SlotRecord>> FailingStateStore::slotStates(const std::string& app) {
  return inner_.slotStates(app);
}
Result<std::optional<std::string>> FailingStateStore::getRuntimeState(const std::string& key) {
  return inner_.getRuntimeState(key);
}
Result<std::vector<DeliveryRecord>> FailingStateStore::listDeliveries(const std::string& channel,
                                                                      int limit) {
  return inner_.listDeliveries(channel, limit);
}

}  // namespace shipgate::store
