// SecretsBackend: where the secrets store keeps its rows. It holds only what may sit on an
// untrusted disk: sealed values, wrapped keys, names, metadata and the audit chain; sealing,
// versions, CAS, labels and the chain's hashes are SecretsStore's logic, so a second backend
// (PostgreSQL) implements these few calls and nothing else.
//
// Conventions: times are Unix milliseconds; a missing row is an empty optional, not an error;
// errors are the storage's (IoError, Unavailable, Internal) with where they happened.
//
// Thread-safety: none of its own. SecretsStore serialises every call under its mutex.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::secrets {

struct KeyRow {
  uint32_t id = 0;
  std::string purpose;      // "value" (seals values) or "audit" (keys the audit chain)
  std::string wrapped;      // a SealedRecord under the root key
  std::string root_key_id;  // the root key that wrapped it
  int64_t created_at = 0;
};

struct PathRow {
  std::string path;
  int64_t current_version = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t deleted_at = 0;  // 0: live; else soft-deleted at
};

struct VersionRow {
  std::string path;
  int64_t version = 0;
  std::optional<std::string> sealed;  // empty once destroyed
  int64_t created_at = 0;
  std::string created_by;
  int64_t destroyed_at = 0;  // 0: not destroyed
};

struct LabelRow {
  std::string path;
  std::string label;
  int64_t version = 0;
  int64_t updated_at = 0;
};

// One audit entry. Never holds a value.
struct AuditRow {
  int64_t seq = 0;  // 1, 2, 3... in order of writing
  int64_t at = 0;
  std::string actor;
  std::string action;  // put, get, list, history, rm, undelete, destroy, label, rotate-key
  std::string path;
  int64_t version = 0;    // 0 when none applies
  std::string outcome;    // "ok" or the error's code and what failed, without values
  std::string prev_hash;  // raw bytes of the previous entry's hash (empty for the first)
  std::string hash;       // raw bytes
};

class SecretsBackend {
 public:
  virtual ~SecretsBackend() = default;

  // Runs `body` as one transaction: all of its calls are applied, or none when it returns an
  // error (or throws, which is rethrown after the rollback). A call from inside a body joins the
  // open transaction.
  virtual Status atomically(const std::function<Status()>& body) = 0;

  virtual Result<std::optional<std::string>> getMeta(const std::string& key) = 0;
  virtual Status putMeta(const std::string& key, const std::string& value) = 0;

  virtual Result<std::vector<KeyRow>> listKeys() = 0;  // by id
  // Inserts `row`; its id must be new (AlreadyExists/FailedPrecondition otherwise).
  virtual Status insertKey(const KeyRow& row) = 0;
  virtual Status rewrapKey(uint32_t id, const std::string& wrapped,
                           const std::string& root_key_id) = 0;

  virtual Result<std::optional<PathRow>> findPath(const std::string& path) = 0;
  virtual Status upsertPath(const PathRow& row) = 0;
  // Paths equal to `prefix` or below it ("/" for all), by path.
  virtual Result<std::vector<PathRow>> pathsUnder(const std::string& prefix) = 0;

  virtual Status insertVersion(const VersionRow& row) = 0;
  virtual Result<std::optional<VersionRow>> findVersion(const std::string& path,
                                                        int64_t version) = 0;
  virtual Result<std::vector<VersionRow>> versionsOf(const std::string& path) = 0;  // by version
  // Erases the version's sealed value for good.
  virtual Status destroyVersion(const std::string& path, int64_t version, int64_t at) = 0;

  virtual Status putLabel(const LabelRow& row) = 0;
  virtual Result<std::optional<LabelRow>> findLabel(const std::string& path,
                                                    const std::string& label) = 0;
  virtual Result<std::vector<LabelRow>> labelsOf(const std::string& path) = 0;  // by label

  virtual Status appendAudit(const AuditRow& row) = 0;
  virtual Result<std::vector<AuditRow>> listAudit() = 0;  // by seq
};

}  // namespace shipgate::secrets
