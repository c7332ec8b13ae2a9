// SecretChangeWatcher: the rolling restart of releases whose secrets changed. Every `interval`
// (1 s), for each managed app with `release.restart_on_secret_change: true` and a live release,
// it compares the versions of the secrets the live slot's processes started with (`secret:/path`
// references without a `#N`/`@label` pin, as recorded by the start: `used`) with their current
// versions — metadata only, through SecretsStore::peekMetadata, so the poll neither reads a
// value nor writes an audit entry. (The CLI writes the database directly while serve runs, so
// polling is what notices.) When one differs (a put, a delete: current version 0), the live
// version is deployed again through the normal procedure (ReleaseController::deploy with
// redeploy: true) as actor "secrets" with the reason "secret /path changed (version N)": new
// processes start in the idle slot with the new value, pass health and smoke, wait for approval
// when the environment requires it, switch, and bake. The deployment and its audit entry
// ("redeploy") name the path, never the value. A deployment that starts after the change reads
// the new value itself, so it needs no restart; while one runs, the watcher waits. One change
// triggers one redeploy: a redeploy that fails (e.g. the secret was deleted) is not retried
// until the version changes again.
//
// Thread-safety: start/stop from the owning thread; pollOnce() from one thread at a time (the
// watcher's own while started).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "shipgate/common/clock.h"
#include "shipgate/common/periodic_thread.h"
#include "shipgate/release/gateway_control.h"
#include "shipgate/release/release_controller.h"

namespace shipgate::secrets {
class SecretsStore;
}

namespace shipgate::release {

class SecretChangeWatcher {
 public:
  // app, slot -> path -> the version its current processes read (SupervisorSlotRuntime::
  // secretVersions).
  using UsedVersions =
      std::function<std::map<std::string, int64_t>(const std::string&, const std::string&)>;

  // REQUIRES: every argument outlives the watcher.
  SecretChangeWatcher(ReleaseController& releases, GatewayControl& gateway,
                      secrets::SecretsStore& store, UsedVersions used,
                      Millis interval = Millis(1000));
  ~SecretChangeWatcher();
  SecretChangeWatcher(const SecretChangeWatcher&) = delete;
  SecretChangeWatcher& operator=(const SecretChangeWatcher&) = delete;

  void start();
  void stop();
  // One poll: starts the redeploys that are due. Returns how many were accepted.
  int pollOnce();

 private:
  ReleaseController& releases_;
  GatewayControl& gateway_;
  secrets::SecretsStore& store_;
  const UsedVersions used_;
  const Millis interval_;
  // (app, path) -> the version a redeploy was last asked for (one change, one redeploy).
  std::map<std::pair<std::string, std::string>, int64_t> requested_;
  std::unique_ptr<PeriodicThread> thread_;
};

}  // namespace shipgate::release
