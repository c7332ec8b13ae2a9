// SecretsStore: versioned, encrypted secrets with an audited history, over a SecretsBackend.
//
// Envelope: the root key (root_key.h) wraps the data keys; a value is sealed (sealed_record.h)
// under the current "value" data key with its path, version and key id as associated data.
// open() with a store that has no keys yet creates a value data key and an audit key, both
// wrapped by the given root key; with an existing store it refuses a root key whose id is not the
// one recorded, and unwraps the keys (a key that fails to unwrap is reported as tampered).
// rotateRootKey re-wraps every data key under a new root key in one transaction; values are not
// touched, and the old root key no longer opens the store.
//
// Semantics (Vault KV v2 and SSM, trimmed):
//   put      a new version (1, 2, ...); with cas: 0 = only when the path has no version, N = only
//            when the current version is N (else FailedPrecondition naming both). A put on a
//            soft-deleted path makes it live again.
//   get      the latest version, a version, or the version a label pins; NotFound for a
//            soft-deleted path, a missing version or label, and a destroyed version.
//   list     metadata only (never values): paths under a prefix, direct children only unless
//            recursive; soft-deleted paths only when asked.
//   history  every version's metadata and labels.
//   remove / undelete   soft delete of a path, and its undoing.
//   destroy  erases one version's ciphertext for good (its metadata stays, marked destroyed).
//   label    pins LABEL (letters, digits, _ - ., not only digits, at most 64) to a version,
//            moving it when it pinned another.
//
// Audit: every call (reads, writes, refusals, failures) appends an entry to the hash chain
// (audit_chain.h) in the same transaction as its effect. A call whose entry cannot be written
// fails and changes nothing; a get whose entry cannot be written returns the error, not the
// value. Values never appear in the audit log, in a Status or in a log line.
//
// Thread-safety: every method may be called from any thread; calls are serialised.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/secrets/audit_chain.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secret_bytes.h"
#include "shipgate/secrets/secrets_backend.h"

namespace shipgate::secrets {

// Largest value put accepts.
inline constexpr size_t kMaxValueBytes = 64 * 1024;

struct SecretMetadata {
  std::string path;
  int64_t current_version = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  int64_t deleted_at = 0;  // 0: live
};

struct VersionMetadata {
  int64_t version = 0;
  int64_t created_at = 0;
  std::string created_by;
  int64_t destroyed_at = 0;  // 0: not destroyed
  std::vector<std::string> labels;
};

// Which version a get reads: the latest (neither set), a version, or a label.
struct Selector {
  std::optional<int64_t> version;
  std::optional<std::string> label;
};

class SecretsStore {
 public:
  // Opens the store on `backend` with `root`, initialising an empty one (see above).
  static Result<std::unique_ptr<SecretsStore>> open(std::unique_ptr<SecretsBackend> backend,
                                                    const RootKey& root, const Clock& clock);
  // The KdfParams text recorded by a store whose root key comes from a passphrase, or empty.
  static Result<std::string> recordedKdf(SecretsBackend& backend);

  SecretsStore(const SecretsStore&) = delete;
  SecretsStore& operator=(const SecretsStore&) = delete;

  // Returns the new version.
  Result<int64_t> put(const std::string& actor, const std::string& path, const SecretBytes& value,
                      std::optional<int64_t> cas = std::nullopt);
  Result<SecretBytes> get(const std::string& actor, const std::string& path,
                          const Selector& which = {});
  Result<std::vector<SecretMetadata>> list(const std::string& actor, const std::string& prefix,
                                           bool recursive, bool include_deleted = false);
  Result<std::vector<VersionMetadata>> history(const std::string& actor, const std::string& path);
  Status remove(const std::string& actor, const std::string& path);
  Status undelete(const std::string& actor, const std::string& path);
  Status destroy(const std::string& actor, const std::string& path, int64_t version);
  Status label(const std::string& actor, const std::string& path, int64_t version,
               const std::string& label);
  Status rotateRootKey(const std::string& actor, const RootKey& new_root);
  // The metadata of one path, nothing else: not audited (the release controller polls the
  // current versions of the secrets its live releases use every second or so; an entry per poll
  // would drown the log). nullopt when the path has never existed; a bad path is InvalidArgument.
  Result<std::optional<SecretMetadata>> peekMetadata(const std::string& path);
  // Checks the whole audit chain (audit_chain.h).
  Result<AuditVerification> verifyAudit();

  // The id of the root key the data keys are wrapped by now.
  std::string rootKeyId();

 private:
  struct Key {
    explicit Key() = default;
  };
  // What the mutex guards, handed whole to the helpers that run inside a transaction.
  struct State {
    std::unique_ptr<SecretsBackend> backend;
    std::string root_id;
    std::map<uint32_t, SecretBytes> value_keys;  // unwrapped, by key id
    uint32_t current_key = 0;                    // the value key new versions are sealed with
    uint32_t audit_key_id = 0;
    SecretBytes audit_key;
  };

 public:
  // Use open(). (Key is private: only open() can construct one.)
  SecretsStore(Key, State state, const Clock& clock);

 private:
  // Appends the audit entry of one call, inside the caller's transaction.
  Status audit(State& s, const std::string& actor, std::string_view action, std::string_view path,
               int64_t version, const Status& outcome);
  // Runs body(s) in a transaction together with its audit entry (both commit, or neither). When
  // the body fails, its refusal is audited in a transaction of its own. Returns the body's
  // error, or the audit's. (The body gets the state as an argument: it runs under the caller's
  // lock, which the analysis cannot see inside a lambda.)
  Status audited(State& s, const std::string& actor, std::string_view action, std::string_view path,
                 int64_t& version, const std::function<Status(State&)>& body);

  const Clock& clock_;
  Mutex mu_;
  State state_ GUARDED_BY(mu_);
};

}  // namespace shipgate::secrets
