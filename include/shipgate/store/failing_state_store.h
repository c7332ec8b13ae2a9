// FailingStateStore: a StateStore decorator for tests of the store's callers. It passes every
// call to the wrapped store, except the writes it was told to fail, which return
// Status::unavailable("injected failure: <operation> (write #N)").
//
// Writes are the mutating operations, named as their methods: upsertEnvironment, upsertApp,
// createRelease, createDeployment, updateDeployment, saveStep, openIncident, resolveIncident,
// appendAudit, setSlotState, putRuntimeState, eraseRuntimeState, recordDelivery. They are
// numbered 1, 2, 3, ... in the order they are attempted (failed ones included) since
// construction. Reads always pass through. One more failure point, "commit", is the end of an
// outermost atomically() whose body succeeded: failing it rolls the whole body back, as a disk
// refusing the commit would; it is not a numbered write.
//
// A failure happens either before the write reaches the wrapped store (kBefore: nothing
// changed, the usual case) or after it (kAfter: the write landed but the caller is told it
// failed, like a reply lost in a crash; inside atomically() the caller's error return undoes it).
//
// Thread-safety: every method is thread-safe. REQUIRES: the wrapped store outlives this.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/store/state_store.h"

namespace shipgate::store {

class FailingStateStore final : public StateStore {
 public:
  enum class When { kBefore, kAfter };
  static constexpr int kAlways = -1;

  explicit FailingStateStore(StateStore& inner) : inner_(inner) {}

  // The next `times` calls of `operation` fail (kAlways: every one from now on).
  void failOperation(const std::string& operation, int times = 1, When when = When::kBefore);
  // The write numbered n (1-based, counted since construction) fails.
  void failWrite(int64_t n, When when = When::kBefore);
  // The write numbered n and every later one fail.
  void failWritesFrom(int64_t n, When when = When::kBefore);
  // Every write from now on fails (failWritesFrom(writesAttempted() + 1)).
  void failAllWrites();
  // Forgets every failure rule (the counters keep counting).
  void clearFailures();

  // Writes attempted so far (the number the last one got).
  int64_t writesAttempted() const;
  // Writes (and commits) failed on purpose so far.
  int64_t failuresInjected() const;
  // The operation names of the writes attempted, in order ("commit" included).
  std::vector<std::string> attempted() const;

  Status atomically(const std::function<Status()>& body) override;

  Status upsertEnvironment(const EnvironmentRecord& env) override;
  Result<std::vector<EnvironmentRecord>> listEnvironments() override;
  Status upsertApp(const AppRecord& app) override;
  Result<AppRecord> findApp(const std::string& name) override;
  Result<std::vector<AppRecord>> listApps() override;

  Status createRelease(const ReleaseRecord& release) override;
  Result<ReleaseRecord> findRelease(const std::string& app, const std::string& version) override;
  Result<std::vector<ReleaseRecord>> listReleases(const std::string& app, int limit) override;
  Status addReleaseReport(const ReleaseReportRecord& report) override;
  Result<std::vector<ReleaseReportRecord>> listReleaseReports(const std::string& app,
                                                              const std::string& version) override;
  Result<ReleaseReportRecord> readReleaseReport(const std::string& app, const std::string& version,
                                                const std::string& kind,
                                                const std::string& name) override;

  Result<std::string> createDeployment(const DeploymentRecord& deployment) override;
  Status updateDeployment(const DeploymentRecord& deployment) override;
  Status saveStep(const StepRecord& step) override;
  Result<DeploymentRecord> getDeployment(const std::string& id) override;
  Result<std::vector<DeploymentRecord>> listDeployments(const std::string& app, int limit) override;
  Result<std::vector<DeploymentRecord>> unfinishedDeployments() override;

  Result<int64_t> openIncident(const IncidentRecord& incident) override;
  Status resolveIncident(int64_t id, int64_t resolved_at) override;
  Result<IncidentRecord> findIncident(int64_t id) override;
  Result<std::vector<IncidentRecord>> listIncidents(const std::string& app, bool open_only,
                                                    int limit) override;

  Result<int64_t> appendAudit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> listAudit(int64_t after_id, int limit) override;

  Status setSlotState(const SlotRecord& slot) override;
  Result<std::vector<SlotRecord>> slotStates(const std::string& app) override;

  Status putRuntimeState(const std::string& key, const std::string& json,
                         int64_t updated_at) override;
  Result<std::optional<std::string>> getRuntimeState(const std::string& key) override;
  Status eraseRuntimeState(const std::string& key) override;

  Result<int64_t> recordDelivery(const DeliveryRecord& delivery) override;
  Result<std::vector<DeliveryRecord>> listDeliveries(const std::string& channel,
                                                     int limit) override;

 private:
  struct Decision {
    bool fail = false;
    When when = When::kBefore;
    int64_t number = 0;  // the write's number (0 for "commit")
  };
  struct OperationRule {
    std::string operation;
    int remaining;  // kAlways or > 0
    When when;
  };

  // Counts the write (unless it is "commit") and decides whether it fails.
  Decision decide(const std::string& operation);
  static Status injected(const std::string& operation, int64_t number);
  // Runs a write returning Status / Result<T> under the decision for `operation`.
  template <typename F>
  auto run(const std::string& operation, F&& call) -> decltype(call());

  StateStore& inner_;
  mutable Mutex mu_;
  int64_t writes_ GUARDED_BY(mu_) = 0;
  int64_t failures_ GUARDED_BY(mu_) = 0;
  std::vector<std::string> attempted_ GUARDED_BY(mu_);
  std::vector<OperationRule> operation_rules_ GUARDED_BY(mu_);
  std::vector<std::pair<int64_t, When>> nth_rules_ GUARDED_BY(mu_);
  int64_t fail_from_ GUARDED_BY(mu_) = 0;  // 0: none
  When fail_from_when_ GUARDED_BY(mu_) = When::kBefore;
};

}  // namespace shipgate::store
