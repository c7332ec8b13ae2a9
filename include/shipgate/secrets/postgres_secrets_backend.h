// PostgresSecretsBackend: the SecretsBackend in the state store's PostgreSQL database (state.url),
// in tables of its own (secrets_*), versioned apart from the state store's migrations in the
// table secrets_schema, as SqliteSecretsBackend does in the SQLite file. The schema is applied on
// open, each version in one transaction under an advisory lock (kSchemaLock), so nodes opening
// at once apply it once.
//
// What PostgreSQL sees: what SecretsStore hands a backend -- sealed values (SealedRecords under a
// data key), data keys wrapped under the root key, paths, labels, metadata and the audit chain.
// Values and keys in clear never reach the backend, so they never cross the connection nor land
// in the server's tables, WAL or logs. destroyVersion sets the sealed column to NULL; the old row
// version stays in the table file until VACUUM reclaims it (it is sealed under a data key the
// server never had).
//
// The audit table refuses UPDATE, DELETE and TRUNCATE (triggers); what they cannot stop (a
// superuser dropping them) the audit chain's hashes reveal.
//
// Connection: one libpq connection; a call outside atomically() that finds it broken reconnects
// once. Errors name "PostgreSQL user@host:port/db", never the password.
// Thread-safety: none of its own (SecretsStore serialises every call).
#pragma once

#include <memory>
#include <string>

#include "shipgate/secrets/secrets_backend.h"

namespace shipgate::store::pg {
class PgConnection;
}

namespace shipgate::secrets {

class PostgresSecretsBackend final : public SecretsBackend {
  struct Key {
    explicit Key() = default;
  };

 public:
  static constexpr int kSchemaVersion = 1;
  // The advisory lock key held while applying the schema ("shipsecr" in ASCII).
  static constexpr int64_t kSchemaLock = 0x7368697073656372;

  // Connects to `url` and applies the missing schema versions. Errors: InvalidArgument (not a
  // postgres(ql):// URL libpq can parse), Unavailable (the server cannot be reached),
  // FailedPrecondition (a newer secrets schema), Internal (a schema version failed; nothing of it
  // applied).
  static Result<std::unique_ptr<PostgresSecretsBackend>> open(const std::string& url);
  // Use open().
  PostgresSecretsBackend(Key, std::unique_ptr<store::pg::PgConnection> conn);
  ~PostgresSecretsBackend() override;
  PostgresSecretsBackend(const PostgresSecretsBackend&) = delete;
  PostgresSecretsBackend& operator=(const PostgresSecretsBackend&) = delete;

  // "PostgreSQL user@host:port/db".
  const std::string& where() const { return where_; }

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
  // Outside atomically(): reconnects when the connection is known to be broken.
  Status ready();

  const std::string where_;
  std::unique_ptr<store::pg::PgConnection> conn_;
  int depth_ = 0;  // open atomically() bodies
};

}  // namespace shipgate::secrets
