#include "serve_secrets.h"

#include "shipgate/admin/admin_server.h"
#include "shipgate/common/clock.h"
#include "shipgate/common/log.h"
#include "shipgate/release/gateway_control.h"
#include "shipgate/release/secret_watch.h"
#include "shipgate/release/slot_runtime.h"
#include "shipgate/secrets/root_key.h"
#include "shipgate/secrets/secrets_config.h"
#include "shipgate/secrets/secrets_store.h"
#include "shipgate/secrets/open_secrets_backend.h"
#include "shipgate/store/open_state_store.h"

namespace shipgate::cli {

ServeSecrets::~ServeSecrets() { stopWatcher(); }

Result<std::unique_ptr<ServeSecrets>> ServeSecrets::open(const config::Config& cfg,
                                                         const std::string& state_dir,
                                                         const std::string& state_url) {
  std::unique_ptr<ServeSecrets> out(new ServeSecrets());
  auto settings = secrets::secretsConfigOf(cfg);
  if (settings == nullptr) return out;
  auto root = secrets::RootKey::loadKeyFile(settings->key_file);
  if (!root.isOk()) return Status::invalidArgument("secrets: " + root.status().message());
  auto backend = secrets::openSecretsBackend(state_dir, state_url);
  if (!backend.isOk()) return backend.status();
  auto store =
      secrets::SecretsStore::open(std::move(backend).value(), *root, RealClock::instance());
  if (!store.isOk()) return Status::internal("secrets store: " + store.status().message());
  out->store_ = std::move(store).value();
  log::info("secrets store: " + store::describeStateLocation(state_dir, state_url) + " (root key " + out->store_->rootKeyId() + ")");
  return out;
}

void ServeSecrets::wire(release::GatewayControl& gateway, release::SupervisorSlotRuntime& runtime,
                        admin::AdminServer& admin) {
  auto access = [&gateway]() -> std::shared_ptr<const secrets::SecretsConfig> {
    auto cfg = gateway.config();
    return cfg ? secrets::secretsConfigOf(*cfg) : nullptr;
  };
  release::EnvSources sources;
  sources.store = store_.get();
  sources.access = access;
  runtime.setEnvSources(std::move(sources));
  if (store_) admin.setSecrets(store_.get(), access);
}

void ServeSecrets::startWatcher(release::ReleaseController& releases,
                                release::GatewayControl& gateway,
                                release::SupervisorSlotRuntime& runtime) {
  if (!store_) return;
  watcher_ = std::make_unique<release::SecretChangeWatcher>(
      releases, gateway, *store_, [&runtime](const std::string& app, const std::string& slot) {
        return runtime.secretVersions(app, slot);
      });
  watcher_->start();
}

void ServeSecrets::stopWatcher() {
  if (watcher_) watcher_->stop();
  watcher_.reset();
}

}  // namespace shipgate::cli
