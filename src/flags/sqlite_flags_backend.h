// SqliteFlagsBackend: the flags' tables (flags_versions, flags_audit) in the state directory's
// SQLite file <dir>/state.db, beside the state store's and the secrets' tables, with their own
// schema version table flags_schema (applied on open, each version in one transaction). WAL,
// synchronous=FULL, a busy timeout, as the state store. Writers take BEGIN IMMEDIATE.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "shipgate/flags/flag_store.h"

namespace SQLite {
class Database;
}

namespace shipgate::flags {

class SqliteFlagsBackend final : public FlagsBackend {
 public:
  static constexpr int kSchemaVersion = 1;
  static Result<std::unique_ptr<SqliteFlagsBackend>> open(
      const std::string& dir, std::chrono::milliseconds busy_timeout = std::chrono::seconds(5));
  SqliteFlagsBackend(std::string path, std::unique_ptr<SQLite::Database> db);
  ~SqliteFlagsBackend() override;

  Status atomically(const std::function<Status()>& body) override;
  Result<std::optional<FlagVersion>> find(const std::string& env, const std::string& key,
                                          std::optional<int64_t> version) override;
  Result<std::vector<FlagVersion>> latest(const std::string& env) override;
  Result<std::vector<FlagVersion>> versions(const std::string& env,
                                            const std::string& key) override;
  Status insertVersion(const FlagVersion& v) override;
  Status appendAudit(const FlagAuditEntry& e) override;
  Result<std::vector<FlagAuditEntry>> audit(const std::string& env) override;
  Result<int64_t> changeMark() override;
  std::string where() const override { return "state database " + path_; }

 private:
  template <typename F>
  Status run(F&& fn);

  const std::string path_;
  std::unique_ptr<SQLite::Database> db_;
  int depth_ = 0;
};

}  // namespace shipgate::flags
