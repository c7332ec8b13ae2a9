// SqliteStateStore: the StateStore on one SQLite file, `<dir>/state.db` (Debian's libsqlite3
// through SQLiteCpp).
//
// open(dir) creates the directory (mode 0700) and the database file (mode 0600; SQLite gives
// its -wal and -shm files the same mode), and sets:
//   journal_mode=WAL      readers never block the writer
//   synchronous=FULL      every commit is fsynced before the call returns: a SIGKILL (or a power
//                         loss) of the process loses nothing that was committed
//   busy_timeout          another process holding the write lock is waited for, then Unavailable
//   foreign_keys=ON       a deployment names a recorded release of a recorded app, and so on
// then checks the file (PRAGMA quick_check) and applies the store's own numbered schema
// migrations: the table schema_migrations(version, name, applied_at) lists those applied; each
// missing one runs in its own transaction together with its schema_migrations row, so a crash
// mid-migration leaves the previous version intact. A database whose newest migration is newer
// than this binary's kSchemaVersion is refused (FailedPrecondition, naming both versions and the
// path); an unreadable or corrupt file is refused (Internal or IoError, with the path).
// (schema_migrations.applied_at is the real wall clock: it records when this file changed.)
//
// Guards kept by the schema itself (so no caller, and no sqlite3 shell session, breaks them):
// the audit log refuses UPDATE and DELETE (triggers), releases refuse UPDATE, at most one
// unfinished deployment per app (a partial unique index), JSON columns hold valid JSON (CHECK).
//
// Thread-safety: one connection guarded by a Mutex; every method takes it for its duration, and
// atomically() holds it for the whole body (the owning thread's calls inside the body re-enter
// without locking). So calls from different threads are serialised, which at the controller's
// write rate (a few per second) costs nothing and keeps transactions simple. Several processes
// may open the same directory; SQLite's file locks and the busy timeout serialise their writes.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>

#include "shipgate/common/mutex.h"
#include "shipgate/store/state_store.h"

namespace SQLite {
class Database;
}

namespace shipgate::store {

// One numbered schema change. Versions start at 1 and increase by 1.
struct Migration {
  int version;
  std::string_view name;
  std::string_view sql;
};

class SqliteStateStore final : public StateStore {
  struct Key {
    explicit Key() = default;
  };

 public:
  struct Options {
    // How long a write waits for another process's write lock before Unavailable.
    std::chrono::milliseconds busy_timeout{5000};
    // Tests only: apply migrations up to this version (0: all), to build an older database.
    int migrate_up_to_for_test = 0;
    // Tests only: cap the file at this many pages (0: no cap), to see a full disk.
    int max_page_count_for_test = 0;
  };

  // The migrations this binary knows, in order; kSchemaVersion is the last one's version.
  static std::span<const Migration> migrations();
  static const int kSchemaVersion;

  // Opens (creating when missing) `<dir>/state.db`. Errors: IoError (the directory or file
  // cannot be created or opened: the message has the path and the reason), FailedPrecondition
  // (the database's schema is newer than this binary's), Internal (a corrupt file or a
  // migration that failed: the message has the path; nothing of that migration is applied).
  static Result<std::unique_ptr<SqliteStateStore>> open(const std::string& dir, Options options);
  static Result<std::unique_ptr<SqliteStateStore>> open(const std::string& dir) {
    return open(dir, Options{});
  }

  // Use open(). (Key is private: only open() can construct one.)
  SqliteStateStore(Key, std::string path, std::unique_ptr<SQLite::Database> db);
  ~SqliteStateStore() override;
  SqliteStateStore(const SqliteStateStore&) = delete;
  SqliteStateStore& operator=(const SqliteStateStore&) = delete;

  // The database file's path.
  const std::string& path() const { return path_; }
  // The newest applied migration's version.
  Result<int> schemaVersion();

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

  // Runs fn (-> Status) as one transaction (BEGIN IMMEDIATE at the top, a SAVEPOINT inside
  // atomically()); undoes everything fn did when it returns an error or throws.
  template <typename F>
  Status write(F&& fn) REQUIRES(mu_);
  // Runs fn (-> Status) in a read transaction unless one is open, for a consistent view.
  template <typename F>
  Status read(F&& fn) REQUIRES(mu_);
  // Maps an exception escaping a database call to a Status with the path.
  Status fromException(std::exception_ptr e) const;
  Status brokenStatus() const REQUIRES(mu_);

  const std::string path_;
  Mutex mu_;
  std::unique_ptr<SQLite::Database> db_ GUARDED_BY(mu_);
  // The thread inside atomically() (holding mu_), or none.
  std::atomic<std::thread::id> owner_{};
  int depth_ GUARDED_BY(mu_) = 0;  // open transaction + savepoints
  // Set when SQLite rolled the open transaction back on its own (after a full disk, an I/O
  // error): the error that did it. Every later call in that transaction fails with it.
  std::string broken_ GUARDED_BY(mu_);
};

}  // namespace shipgate::store
