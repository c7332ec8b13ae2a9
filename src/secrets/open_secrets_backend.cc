#include "shipgate/secrets/open_secrets_backend.h"

#include "shipgate/secrets/postgres_secrets_backend.h"
#include "shipgate/secrets/sqlite_secrets_backend.h"
#include "shipgate/store/postgres_connection.h"

namespace shipgate::secrets {

Result<std::unique_ptr<SecretsBackend>> openSecretsBackend(const std::string& state_dir,
                                                           const std::string& state_url) {
  if (state_url.empty()) {
    auto sqlite = SqliteSecretsBackend::open(state_dir);
    if (!sqlite.isOk()) return sqlite.status();
    return std::unique_ptr<SecretsBackend>(std::move(sqlite).value());
  }
  SG_RETURN_IF_ERROR(store::pg::validateUrl(state_url));
  auto postgres = PostgresSecretsBackend::open(state_url);
  if (!postgres.isOk()) return postgres.status();
  return std::unique_ptr<SecretsBackend>(std::move(postgres).value());
}

}  // namespace shipgate::secrets
