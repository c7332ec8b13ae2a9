// LiveFlags: the flags `shipgate serve` answers OFREP with, as an immutable FlagsSnapshot
// (every environment's newest flag versions, parsed) swapped whole when the store changes.
// FlagsPoller checks the store's change mark (FlagStore::changeMark(), one cheap query) every
// poll interval and loads a new snapshot only when it moved, so a `shipgate flags set` (another
// process) takes effect within an interval, without a restart.
//
// Thread-safety: LiveFlags::current()/publish() from any thread (workers read, the poller
// writes). FlagsPoller: start()/stop() from the owning thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/periodic_thread.h"
#include "shipgate/flags/flag_definitions.h"

namespace shipgate::flags {

class FlagStore;

struct EnvironmentFlags {
  std::map<std::string, Flag> flags;        // by key
  std::map<std::string, int64_t> versions;  // key -> version
};

struct FlagsSnapshot {
  int64_t mark = 0;  // the store's change mark it was loaded at
  std::map<std::string, EnvironmentFlags> environments;
  const EnvironmentFlags* environment(const std::string& env) const {
    auto it = environments.find(env);
    return it == environments.end() ? nullptr : &it->second;
  }
};

class LiveFlags {
 public:
  LiveFlags() : current_(std::make_shared<const FlagsSnapshot>()) {}
  std::shared_ptr<const FlagsSnapshot> current() const {
    MutexLock lock(mu_);
    return current_;
  }
  void publish(std::shared_ptr<const FlagsSnapshot> s) {
    MutexLock lock(mu_);
    current_ = std::move(s);
  }

 private:
  mutable Mutex mu_;
  std::shared_ptr<const FlagsSnapshot> current_ GUARDED_BY(mu_);
};

// Every environment's newest versions from `store`. A stored definition that no longer parses
// (written by a newer shipgate) is left out and named in `skipped`.
Result<std::shared_ptr<const FlagsSnapshot>> loadFlagsSnapshot(FlagStore& store,
                                                               std::string* skipped = nullptr);

class FlagsPoller {
 public:
  // `store` and `live` must outlive the poller.
  FlagsPoller(FlagStore& store, LiveFlags& live, Millis interval);
  ~FlagsPoller();
  // Loads the first snapshot now (its error is returned, the poller still starts) and polls.
  Status start();
  void stop();
  // Checks now (tests, and after an admin API write).
  void pollNow();

 private:
  void poll();

  FlagStore& store_;
  LiveFlags& live_;
  const Millis interval_;
  Mutex mu_;  // serialises poll()
  int64_t seen_mark_ GUARDED_BY(mu_) = -1;
  bool failing_ GUARDED_BY(mu_) = false;
  PeriodicThread thread_;
};

}  // namespace shipgate::flags
