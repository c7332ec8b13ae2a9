#include "shipgate/release/secret_watch.h"

#include <nlohmann/json.hpp>

#include "shipgate/common/log.h"
#include "shipgate/release/release_config.h"
#include "shipgate/release/release_env.h"
#include "shipgate/secrets/secrets_store.h"

namespace shipgate::release {

SecretChangeWatcher::SecretChangeWatcher(ReleaseController& releases, GatewayControl& gateway,
                                         secrets::SecretsStore& store, UsedVersions used,
                                         Millis interval)
    : releases_(releases),
      gateway_(gateway),
      store_(store),
      used_(std::move(used)),
      interval_(interval) {}

SecretChangeWatcher::~SecretChangeWatcher() { stop(); }

void SecretChangeWatcher::start() {
  thread_ = std::make_unique<PeriodicThread>(
      "sg-secretwatch", [this] { return interval_; }, [this] { (void)pollOnce(); });
  thread_->start();
}

void SecretChangeWatcher::stop() {
  if (thread_) thread_->stop();
  thread_.reset();
}

int SecretChangeWatcher::pollOnce() {
  auto cfg = gateway_.config();
  if (cfg == nullptr) return 0;
  const ReleaseConfig& rc = releaseConfigOf(*cfg);
  int started = 0;
  for (const AppRelease& app : rc.apps) {
    if (!app.restart_on_secret_change || app.runtime.kind != runtime::RuntimeKind::kProcess) {
      continue;
    }
    auto releases = releases_.releases(app.app);
    if (!releases.isOk()) continue;
    std::string live, live_slot;
    if (releases->contains("live_slot") && (*releases)["live_slot"].is_string()) {
      live_slot = (*releases)["live_slot"].get<std::string>();
    }
    for (const auto& rel : releases->value("releases", nlohmann::json::array())) {
      if (rel.value("live", false)) live = rel.value("version", "");
    }
    if (live.empty() || live_slot.empty()) continue;
    const std::map<std::string, int64_t> used = used_(app.app, live_slot);
    std::string reason;
    std::pair<std::string, int64_t> target;
    for (const auto& [path, version] : used) {
      auto meta = store_.peekMetadata(path);
      if (!meta.isOk()) continue;  // a busy database: next poll
      const int64_t now =
          !meta->has_value() || (*meta)->deleted_at != 0 ? 0 : (*meta)->current_version;
      if (now == version) continue;
      auto asked = requested_.find({app.app, path});
      if (asked != requested_.end() && asked->second == now) continue;  // asked already
      reason = "secret " + path +
               (now == 0 ? std::string(" was deleted")
                         : " changed (version " + std::to_string(now) + ")");
      target = {path, now};
      break;
    }
    if (reason.empty()) continue;
    DeployRequest req;
    req.app = app.app;
    req.version = live;
    req.actor = "secrets";
    req.reason = reason;
    req.redeploy = true;
    auto id = releases_.deploy(req);
    if (id.isOk()) {
      log::info("secrets: " + reason + ": redeploying " + app.app + " " + live + " as " + *id);
      requested_[{app.app, target.first}] = target.second;
      ++started;
    } else if (id.status().code() == Status::Code::kFailedPrecondition &&
               id.status().message().find("already running") != std::string::npos) {
      // A deployment of the app is under way: look again once it is done.
    } else {
      log::warn("secrets: " + reason + ": cannot redeploy " + app.app + ": " +
                id.status().message());
      requested_[{app.app, target.first}] = target.second;
    }
  }
  return started;
}

}  // namespace shipgate::release
