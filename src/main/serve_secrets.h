// The secrets side of `shipgate serve`, kept apart from serve.cc: with a `secrets:` section, the
// secrets store is opened beside the state store (state.dir's database, or state.url's
// PostgreSQL database; the same one as the CLI's) with the root key file,
// before privileges are dropped; release starts resolve `secret:` references through it
// (release/release_env.h), the admin API serves /api/v1/secrets on it, and the
// SecretChangeWatcher redeploys apps with restart_on_secret_change. Without the section, there
// is no store: `${NAME}` still works, a `secret:` reference fails the start, and the secrets
// routes answer 503. The access rules are read from the current config (a reload applies them).
// Thread: owned by runServe's thread.
#pragma once

#include <memory>
#include <string>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"

namespace shipgate::admin {
class AdminServer;
}
namespace shipgate::release {
class GatewayControl;
class ReleaseController;
class SecretChangeWatcher;
class SupervisorSlotRuntime;
}  // namespace shipgate::release
namespace shipgate::secrets {
class SecretsStore;
}

namespace shipgate::cli {

class ServeSecrets {
 public:
  // Opens the store when `cfg` has `secrets:` (errors name the key file or the database).
  static Result<std::unique_ptr<ServeSecrets>> open(const config::Config& cfg,
                                                    const std::string& state_dir,
                                                    const std::string& state_url);
  ~ServeSecrets();

  // Hands the store and the access rules (read from `gateway`'s current config) to the slot
  // runtime and the admin API. REQUIRES: before either starts; everything outlives this.
  void wire(release::GatewayControl& gateway, release::SupervisorSlotRuntime& runtime,
            admin::AdminServer& admin);
  // The rolling restart on secret change (a no-op without a store).
  void startWatcher(release::ReleaseController& releases, release::GatewayControl& gateway,
                    release::SupervisorSlotRuntime& runtime);
  void stopWatcher();

 private:
  ServeSecrets() = default;
  std::unique_ptr<secrets::SecretsStore> store_;  // null without secrets:
  std::unique_ptr<release::SecretChangeWatcher> watcher_;
};

}  // namespace shipgate::cli
