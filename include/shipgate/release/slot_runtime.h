// SlotRuntime: how the release controller runs a release in a slot, as one seam over the runtime
// library: runtime::ProcessSupervisor for `kind: process` (replicas on 127.0.0.1 ports) and
// runtime::StaticReleases for `kind: static` (an imported, immutable directory). The real one is
// SupervisorSlotRuntime below; unit tests of the controller give it a fake.
//
// Thread-safety: implementations are thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/release/release_config.h"
#include "shipgate/release/release_env.h"

namespace shipgate::runtime {
class ProcessSupervisor;
class StaticReleases;
}  // namespace shipgate::runtime

namespace shipgate::release {

struct SlotStart {
  std::vector<config::HostPort> endpoints;  // process: 127.0.0.1:port of each replica
  std::string static_root;                  // static: the release directory
  std::vector<int> pids;                    // process: for the evidence
};

// How a slot's processes are doing now.
struct SlotRunState {
  bool running = false;    // every replica running (static: the directory exists)
  bool crash_loop = false;
  std::string reason;      // crash_loop: which replica, its exit and its last log lines
};

class SlotRuntime {
 public:
  virtual ~SlotRuntime() = default;
  // Starts `version` of `app` in `slot`. `artifact`: process: the release directory
  // ({release_dir}; empty = <release_root>/<version>, or the current directory); static: a folder
  // or archive to import (empty: an already imported version).
  virtual Result<SlotStart> start(const AppRelease& app, const std::string& slot,
                                  const std::string& version, const std::string& artifact) = 0;
  // Stops the slot (graceful); ok when it was not running.
  virtual Status stop(const AppRelease& app, const std::string& slot) = 0;
  virtual SlotRunState state(const AppRelease& app, const std::string& slot) const = 0;
  // Removes releases beyond keep_releases (static only), never `keep`.
  virtual void prune(const AppRelease& app, const std::set<std::string>& keep) {}
  // Static only: the directory of `version`, already imported (NotFound when it is not on disk).
  virtual Result<std::string> staticRoot(const AppRelease& app, const std::string& version) const {
    return Status::notFound("app " + app.app + " has no static releases");
  }
  // The folder that holds `version`'s files before it starts (where its `migrations/` is):
  // process: the release directory start() would use; static: the artifact when it is a
  // folder, else the imported release. The default: the artifact, else the current directory.
  virtual Result<std::string> releaseFiles(const AppRelease& app, const std::string& version,
                                           const std::string& artifact) const;
  // A setting resolved like an env value (release_env.h resolveSetting) with this runtime's
  // sources; the default resolves ${NAME} from shipgate's environment only.
  virtual Result<std::string> resolveSetting(const AppRelease& app, const std::string& what,
                                             const std::string& value) const;
};

// The real SlotRuntime. REQUIRES: supervisor and releases outlive this.
class SupervisorSlotRuntime final : public SlotRuntime {
 public:
  SupervisorSlotRuntime(runtime::ProcessSupervisor& supervisor, runtime::StaticReleases& releases);
  // Where ${NAME} and secret: references of runtime.env are resolved from (release_env.h); the
  // default resolves ${NAME} only. REQUIRES: called before the first start().
  void setEnvSources(EnvSources sources) { sources_ = std::move(sources); }
  // The current versions of the unpinned secrets the last start of app/slot read
  // (ResolvedRuntime::versions); empty when it read none or never started.
  std::map<std::string, int64_t> secretVersions(const std::string& app,
                                                const std::string& slot) const;
  Result<SlotStart> start(const AppRelease& app, const std::string& slot,
                          const std::string& version, const std::string& artifact) override;
  Status stop(const AppRelease& app, const std::string& slot) override;
  SlotRunState state(const AppRelease& app, const std::string& slot) const override;
  void prune(const AppRelease& app, const std::set<std::string>& keep) override;
  Result<std::string> staticRoot(const AppRelease& app, const std::string& version) const override;
  Result<std::string> releaseFiles(const AppRelease& app, const std::string& version,
                                   const std::string& artifact) const override;
  Result<std::string> resolveSetting(const AppRelease& app, const std::string& what,
                                     const std::string& value) const override;

 private:
  runtime::ProcessSupervisor& supervisor_;
  runtime::StaticReleases& releases_;
  EnvSources sources_;
  mutable Mutex mu_;
  std::map<std::pair<std::string, std::string>, std::map<std::string, int64_t>> versions_
      GUARDED_BY(mu_);
};

}  // namespace shipgate::release
