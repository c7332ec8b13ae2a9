// FlagStore: the feature flags of every environment, in the state store's database, versioned and
// audited. Each (environment, flag key) has versions 1, 2, ... each holding the flag's flagd
// definition (flag_definitions.h's Flag::toJson(), $refs resolved), who wrote it, when and why;
// history is kept. Every write also appends to the flags audit log (flags_audit, append-only:
// triggers refuse UPDATE, DELETE and TRUNCATE), whose sequence number is the change mark a
// reader polls (changeMark()) to learn cheaply that something changed.
//
// The tables are the flags area's own (flags_*), versioned apart from the state store's
// migrations in flags_schema, beside the secrets' tables: in the SQLite file <state.dir>/state.db
// or in the PostgreSQL database of state.url (openFlagStore picks as the store does).
//
// Thread-safety: every method may be called from any thread (one mutex around the backend).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/flags/flag_definitions.h"

namespace shipgate::flags {

struct FlagVersion {
  std::string environment;
  std::string key;
  int64_t version = 0;
  nlohmann::json definition;  // the flag's flagd JSON
  int64_t created_at = 0;     // ms since the epoch
  std::string created_by;
  std::string reason;
  int64_t seq = 0;            // the audit entry that wrote it
};

struct FlagAuditEntry {
  int64_t seq = 0;
  int64_t at = 0;
  std::string actor, action, environment, key;
  int64_t version = 0;
  std::string reason;
};

// What a backend keeps; FlagStore holds the logic. Calls are serialised by FlagStore.
class FlagsBackend {
 public:
  virtual ~FlagsBackend() = default;
  // Runs body in one transaction that excludes other writers (nested calls join it).
  virtual Status atomically(const std::function<Status()>& body) = 0;
  virtual Result<std::optional<FlagVersion>> find(const std::string& env, const std::string& key,
                                                  std::optional<int64_t> version) = 0;
  // The newest version of every flag of `env` (every environment when empty), by env then key.
  virtual Result<std::vector<FlagVersion>> latest(const std::string& env) = 0;
  // Every version of `key` in `env` (every key when empty), oldest first.
  virtual Result<std::vector<FlagVersion>> versions(const std::string& env,
                                                    const std::string& key) = 0;
  virtual Status insertVersion(const FlagVersion& v) = 0;
  virtual Status appendAudit(const FlagAuditEntry& e) = 0;
  virtual Result<std::vector<FlagAuditEntry>> audit(const std::string& env) = 0;
  // The highest audit sequence number (0 when none).
  virtual Result<int64_t> changeMark() = 0;
  // "state database PATH" or "PostgreSQL user@host:port/db".
  virtual std::string where() const = 0;
};

// The backend beside the configured state store: SQLite in state_dir when state_url is empty,
// else PostgreSQL at state_url.
Result<std::unique_ptr<FlagsBackend>> openFlagsBackend(const std::string& state_dir,
                                                       const std::string& state_url);

// One environment name: 1..64 of [a-z0-9_-].
bool validEnvironment(std::string_view env);

struct SetOutcome {
  std::vector<FlagVersion> written;      // new versions
  std::vector<std::string> unchanged;    // keys whose definition was already current
};

class FlagStore {
 public:
  explicit FlagStore(std::unique_ptr<FlagsBackend> backend) : backend_(std::move(backend)) {}

  // Writes a new version of each of `flags` whose definition differs from its newest one, in one
  // transaction, with one audit entry each. `cas`: only when `flags` is one flag whose newest
  // version is *cas (0: the flag does not exist yet); else FailedPrecondition naming both.
  // Errors: InvalidArgument (bad environment, no flags, a CAS with several flags).
  Result<SetOutcome> set(const std::string& env, const std::vector<Flag>& flags,
                         std::optional<int64_t> cas, const std::string& actor,
                         const std::string& reason, int64_t now_ms);
  // A version of a flag (the newest when version is nullopt). NotFound when absent.
  Result<FlagVersion> get(const std::string& env, const std::string& key,
                          std::optional<int64_t> version = std::nullopt);
  Result<std::vector<FlagVersion>> list(const std::string& env);
  Result<std::vector<FlagVersion>> history(const std::string& env, const std::string& key);
  Result<std::vector<FlagAuditEntry>> audit(const std::string& env);
  Result<int64_t> changeMark();
  // {flag key -> version} of the newest versions in `env`: what a deployment records.
  Result<std::map<std::string, int64_t>> versionsInForce(const std::string& env);

 private:
  Mutex mu_;
  std::unique_ptr<FlagsBackend> backend_ GUARDED_BY(mu_);
};

// Opens the FlagStore beside the configured state store.
Result<std::unique_ptr<FlagStore>> openFlagStore(const std::string& state_dir,
                                                 const std::string& state_url);

}  // namespace shipgate::flags
