// PostgresStateStore: the StateStore in a PostgreSQL database (Debian's libpq), chosen by
// `state: {url: postgres://user@host:port/dbname}`. Several shipgate processes (nodes) may use one
// database at once.
//
// Schema: the tables and columns of the SQLite backend (sqlite_state_store.h), with the same
// numbered migrations (same versions and names; kSchemaVersion equals SqliteStateStore's), listed
// in schema_migrations(version, name, applied_at). open() applies the missing ones, each in one
// transaction holding a transaction-scoped advisory lock (pg_advisory_xact_lock(kMigrationLock)),
// so two nodes opening an empty database at once do not both migrate: the second waits, then
// sees the first's migrations and skips them. A database whose schema is newer than this
// binary's is refused (FailedPrecondition). Text columns that are ordered or compared by range
// use COLLATE "C" (byte order, as the interface requires). JSON columns are checked with the
// function shipgate_json_valid() (PostgreSQL's json parser). Deployment ids "d-<n>" come from
// the sequence deployment_ids (numbers of rolled-back creations are not reused); an id given by
// the caller that collides with a future one is skipped.
//
// At most one unfinished deployment per app holds across processes: createDeployment locks the
// app's row (SELECT ... FOR UPDATE) before looking for an unfinished one, and the partial unique
// index deployments_one_unfinished_per_app backs it.
//
// Change notification contract (what multi-node followers rely on):
//   Every write that changes routing- or deployment-relevant state -- putRuntimeState,
//   eraseRuntimeState, setSlotState, createDeployment, updateDeployment, saveStep, upsertApp,
//   upsertEnvironment, createRelease, openIncident, resolveIncident -- in the same transaction
//   increments the one row of state_version(id = 1, version) and calls
//     pg_notify('shipgate_state', '<new version> <kind> <key>')
//   with kind and key:
//     runtime      the runtime state key          (putRuntimeState, eraseRuntimeState)
//     slot         "<app>/<slot>"                  (setSlotState)
//     deployment   the deployment id               (createDeployment, updateDeployment, saveStep)
//     app          the app name                    (upsertApp)
//     environment  the environment name            (upsertEnvironment)
//     release      "<app>/<version>"               (createRelease)
//     incident     the incident id                 (openIncident, resolveIncident)
//   The key is everything after the second space (it may hold spaces itself).
//   (eraseRuntimeState of a key that is not there changes nothing and notifies nothing.)
//   PostgreSQL delivers a notification only when its transaction commits, so a listener never
//   hears of a write that was rolled back (a failed write, a failed or rolled-back atomically(),
//   an inner atomically() that failed). Versions are increasing and gap-free among committed
//   writes: a listener that sees version v may re-read the state and knows it saw every change up
//   to v. Writing the counter row serialises these writes across processes; every such write
//   locks it first, before any other row, so they cannot deadlock on each other.
//   appendAudit and recordDelivery do not notify.
//
// Busy: a write waiting more than 5 s for a row another connection has locked (lock_timeout, see
// PgConnection::connect) fails Unavailable and changed nothing, like SQLite's busy timeout.
//
// Connection: one libpq connection. A call that finds it broken outside a transaction
// reconnects once and retries; inside atomically() the transaction is lost, and the call (and
// the rest of the body, and atomically()) fail with Unavailable. Errors name the server as
// "PostgreSQL user@host:port/db", never the password.
//
// Durability: a write is durable when the server has committed it (with the server's
// synchronous_commit=on, the default: in its WAL on disk). A SIGKILL of this process loses
// nothing committed.
//
// Thread-safety: the connection is guarded by a Mutex as in SqliteStateStore; atomically() holds
// it for the whole body (the owning thread's calls inside re-enter without locking).
#pragma once

#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <thread>

#include "shipgate/common/mutex.h"
#include "shipgate/store/sqlite_state_store.h"
#include "shipgate/store/state_store.h"

namespace shipgate::store {

namespace pg {
class PgConnection;
}

class PostgresStateStore final : public StateStore {
  struct Key {
    explicit Key() = default;
  };

 public:
  // The channel of the change notifications.
  static constexpr const char* kChannel = "shipgate_state";
  // The advisory lock key held while migrating (an arbitrary constant: "shipgate" in ASCII).
  static constexpr int64_t kMigrationLock = 0x7368697067617465;

  struct Options {
    // Tests only: apply migrations up to this version (0: all).
    int migrate_up_to_for_test = 0;
  };

  // The migrations this binary knows (PostgreSQL dialect), in order; same versions and names as
  // SqliteStateStore::migrations().
  static std::span<const Migration> migrations();
  static const int kSchemaVersion;

  // Connects to `url` and applies the missing migrations. Errors: InvalidArgument (not a
  // postgres:// or postgresql:// URL, or one libpq cannot parse), Unavailable (the server cannot
  // be reached or refuses the login; the message has user@host:port/db), FailedPrecondition (the
  // database's schema is newer than this binary's), Internal (a migration failed; nothing of it
  // is applied).
  static Result<std::unique_ptr<PostgresStateStore>> open(const std::string& url, Options options);
  static Result<std::unique_ptr<PostgresStateStore>> open(const std::string& url) {
    return open(url, Options{});
  }

  // Use open().
  PostgresStateStore(Key, std::unique_ptr<pg::PgConnection> conn);
  ~PostgresStateStore() override;
  PostgresStateStore(const PostgresStateStore&) = delete;
  PostgresStateStore& operator=(const PostgresStateStore&) = delete;

  // "PostgreSQL user@host:port/db".
  const std::string& where() const { return where_; }
  // The newest applied migration's version.
  Result<int> schemaVersion();
  // The change counter (state_version.version) as committed, or as this thread's open
  // atomically() has it.
  Result<int64_t> stateVersion();

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
  class Session;
  friend class Session;

  // Runs fn(PgConnection&) -> Status as one transaction (BEGIN at the top, a SAVEPOINT inside
  // atomically()); undoes everything fn did when it returns an error or throws.
  template <typename F>
  Status write(F&& fn) REQUIRES(mu_);
  // Runs fn in a read-only REPEATABLE READ transaction (a consistent view), or inside the open
  // transaction under a savepoint.
  template <typename F>
  Status read(F&& fn) REQUIRES(mu_);
  // BEGIN (top) or SAVEPOINT; at the top, reconnects once when the connection is broken.
  Status begin(bool top, bool read_only) REQUIRES(mu_);
  Status brokenStatus() const REQUIRES(mu_);

  const std::string where_;
  Mutex mu_;
  std::unique_ptr<pg::PgConnection> conn_ GUARDED_BY(mu_);
  std::atomic<std::thread::id> owner_{};
  int depth_ GUARDED_BY(mu_) = 0;
  // Set when the open transaction was lost (the connection broke, a rollback to a savepoint
  // failed): the error that did it. Every later call in that transaction fails with it.
  std::string broken_ GUARDED_BY(mu_);
};

}  // namespace shipgate::store
