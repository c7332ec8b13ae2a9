#include "shipgate/store/open_state_store.h"

#include "shipgate/store/postgres_connection.h"
#include "shipgate/store/postgres_state_store.h"
#include "shipgate/store/sqlite_state_store.h"

namespace shipgate::store {

Result<std::unique_ptr<StateStore>> openStateStore(const std::string& dir, const std::string& url) {
  if (url.empty()) {
    auto sqlite = SqliteStateStore::open(dir);
    if (!sqlite.isOk()) return sqlite.status();
    return std::unique_ptr<StateStore>(std::move(sqlite).value());
  }
  SG_RETURN_IF_ERROR(pg::validateUrl(url));
  auto postgres = PostgresStateStore::open(url);
  if (!postgres.isOk()) return postgres.status();
  return std::unique_ptr<StateStore>(std::move(postgres).value());
}

std::string describeStateLocation(const std::string& dir, const std::string& url) {
  if (url.empty()) return dir;
  return "PostgreSQL " + pg::describeUrl(url);
}

}  // namespace shipgate::store
