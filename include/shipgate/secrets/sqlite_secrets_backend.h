// SqliteSecretsBackend: the SecretsBackend in the state directory's SQLite file, `<dir>/state.db`,
// the file the state store uses (one file to back up and restore), in tables of its own
// (secrets_*). Its schema is versioned apart from the state store's migrations, in the table
// secrets_schema: the secrets library owns these tables and sits beside the store, not on it, so
// neither library's migrations need to know of the other's, and the numbering of one never
// collides with the other's. open() creates the directory (0700) and file (0600) when missing,
// uses WAL and synchronous=FULL like the state store, and applies its missing schema versions,
// each in one transaction.
//
// The audit table refuses UPDATE and DELETE (triggers); what they cannot stop (someone editing
// the file) the audit chain's hashes reveal.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "shipgate/secrets/secrets_backend.h"

namespace SQLite {
class Database;
}

namespace shipgate::secrets {

class SqliteSecretsBackend final : public SecretsBackend {
  struct Key {
    explicit Key() = default;
  };

 public:
  static constexpr int kSchemaVersion = 1;

  static Result<std::unique_ptr<SqliteSecretsBackend>> open(
      const std::string& dir, std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
  // Use open(). (Key is private: only open() can construct one.)
  SqliteSecretsBackend(Key, std::string path, std::unique_ptr<SQLite::Database> db);
  ~SqliteSecretsBackend() override;
  SqliteSecretsBackend(const SqliteSecretsBackend&) = delete;
  SqliteSecretsBackend& operator=(const SqliteSecretsBackend&) = delete;

  const std::string& path() const { return path_; }

  Status atomically(const std::function<Status()>& body) override;
  Result<std::optional<std::string>> getMeta(const std::string& key) override;
  Status putMeta(const std::string& key, const std::string& value) override;
  Result<std::vector<KeyRow>> listKeys() override;
  Status insertKey(const KeyRow& row) override;
  Status rewrapKey(uint32_t id, const std::string& wrapped,
                   const std::string& root_key_id) override;
  Result<std::optional<PathRow>> findPath(const std::string& path) override;
  Status upsertPath(const PathRow& row) override;
  Result<std::vector<PathRow>> pathsUnder(const std::string& prefix) override;
  Status insertVersion(const VersionRow& row) override;
  Result<std::optional<VersionRow>> findVersion(const std::string& path, int64_t version) override;
  Result<std::vector<VersionRow>> versionsOf(const std::string& path) override;
  Status destroyVersion(const std::string& path, int64_t version, int64_t at) override;
  Status putLabel(const LabelRow& row) override;
  Result<std::optional<LabelRow>> findLabel(const std::string& path,
                                            const std::string& label) override;
  Result<std::vector<LabelRow>> labelsOf(const std::string& path) override;
  Status appendAudit(const AuditRow& row) override;
  Result<std::vector<AuditRow>> listAudit() override;

 private:
  // Runs fn(db) -> Status, mapping a thrown SQLite error to a Status naming the file.
  template <typename F>
  Status run(F&& fn);
  Status fromException(std::exception_ptr e) const;

  const std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  int depth_ = 0;  // open atomically() bodies
};

}  // namespace shipgate::secrets
