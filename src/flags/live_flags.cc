#include "shipgate/flags/live_flags.h"

#include "shipgate/common/log.h"
#include "shipgate/flags/flag_store.h"

namespace shipgate::flags {

Result<std::shared_ptr<const FlagsSnapshot>> loadFlagsSnapshot(FlagStore& store,
                                                               std::string* skipped) {
  auto mark = store.changeMark();
  if (!mark.isOk()) return mark.status();
  auto all = store.list("");
  if (!all.isOk()) return all.status();
  auto snap = std::make_shared<FlagsSnapshot>();
  snap->mark = mark.value();
  for (const FlagVersion& v : all.value()) {
    ParsedDefinitions p = definitionsFromJson(v.definition, v.key);
    if (!p.ok() || p.flags.size() != 1) {
      if (skipped != nullptr) {
        *skipped += (skipped->empty() ? "" : ", ") + v.environment + "/" + v.key;
      }
      continue;
    }
    EnvironmentFlags& env = snap->environments[v.environment];
    env.flags.emplace(v.key, std::move(p.flags[0]));
    env.versions[v.key] = v.version;
  }
  return std::shared_ptr<const FlagsSnapshot>(std::move(snap));
}

FlagsPoller::FlagsPoller(FlagStore& store, LiveFlags& live, Millis interval)
    : store_(store),
      live_(live),
      interval_(interval),
      thread_(
          "sg-flags", [this] { return Clock::time_point::duration(interval_); },
          [this] { poll(); }) {}

FlagsPoller::~FlagsPoller() { stop(); }

Status FlagsPoller::start() {
  Status first = Status::success();
  {
    MutexLock lock(mu_);
    std::string skipped;
    auto snap = loadFlagsSnapshot(store_, &skipped);
    if (snap.isOk()) {
      seen_mark_ = snap.value()->mark;
      live_.publish(snap.value());
      if (!skipped.empty()) log::warn("flags: stored definitions left out: " + skipped);
    } else {
      first = snap.status();
      failing_ = true;
    }
  }
  thread_.start();
  return first;
}

void FlagsPoller::stop() { thread_.stop(); }

void FlagsPoller::pollNow() { poll(); }

void FlagsPoller::poll() {
  MutexLock lock(mu_);
  auto mark = store_.changeMark();
  if (!mark.isOk()) {
    if (!failing_) log::warn("flags: cannot read the store: " + mark.status().message());
    failing_ = true;
    return;
  }
  if (mark.value() == seen_mark_ && !failing_) return;
  std::string skipped;
  auto snap = loadFlagsSnapshot(store_, &skipped);
  if (!snap.isOk()) {
    if (!failing_) log::warn("flags: cannot load flags: " + snap.status().message());
    failing_ = true;
    return;
  }
  if (failing_) log::info("flags: the store answers again");
  failing_ = false;
  seen_mark_ = snap.value()->mark;
  live_.publish(snap.value());
  if (!skipped.empty()) log::warn("flags: stored definitions left out: " + skipped);
}

}  // namespace shipgate::flags
