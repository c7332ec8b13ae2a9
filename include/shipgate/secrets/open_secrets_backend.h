// openSecretsBackend: the SecretsBackend beside the configured state store -- SQLite in
// state.dir when state.url is empty, else PostgreSQL at state.url.
#pragma once

#include <memory>
#include <string>

#include "shipgate/secrets/secrets_backend.h"

namespace shipgate::secrets {

Result<std::unique_ptr<SecretsBackend>> openSecretsBackend(const std::string& state_dir,
                                                           const std::string& state_url);

}  // namespace shipgate::secrets
