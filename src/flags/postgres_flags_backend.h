// PostgresFlagsBackend: the flags' tables in the state store's PostgreSQL database (state.url),
// with their own schema version table flags_schema, applied on open under an advisory lock
// (kSchemaLock), as the secrets backend does. Writers serialise on a transaction advisory lock
// (kWriteLock) so audit sequence numbers are taken in order. One libpq connection; a call
// outside a transaction that finds it broken reconnects once.
#pragma once

#include <memory>
#include <string>

#include "shipgate/flags/flag_store.h"

namespace shipgate::store::pg {
class PgConnection;
}

namespace shipgate::flags {

class PostgresFlagsBackend final : public FlagsBackend {
 public:
  static constexpr int kSchemaVersion = 1;
  static constexpr int64_t kSchemaLock = 0x7368706666676c73;  // "shpffgls"
  static constexpr int64_t kWriteLock = 0x7368706666677772;   // "shpffgwr"

  static Result<std::unique_ptr<PostgresFlagsBackend>> open(const std::string& url);
  explicit PostgresFlagsBackend(std::unique_ptr<store::pg::PgConnection> conn);
  ~PostgresFlagsBackend() override;

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
  std::string where() const override { return where_; }

 private:
  Status ready();

  const std::string where_;
  std::unique_ptr<store::pg::PgConnection> conn_;
  int depth_ = 0;
};

}  // namespace shipgate::flags
