#include "serve_flags.h"

#include "shipgate/common/log.h"
#include "shipgate/flags/flags_config.h"
#include "shipgate/server/ofrep_route.h"

namespace shipgate::cli {

Result<std::unique_ptr<ServeFlags>> ServeFlags::open(const config::Config& cfg,
                                                     const std::string& state_dir,
                                                     const std::string& state_url) {
  auto store = flags::openFlagStore(state_dir, state_url);
  if (!store.isOk()) return store.status();
  return std::make_unique<ServeFlags>(std::move(store).value(),
                                      flags::flagsConfigOf(cfg)->poll_interval);
}

ServeFlags::ServeFlags(std::unique_ptr<flags::FlagStore> store, Millis poll_interval)
    : store_(std::move(store)),
      live_(std::make_shared<flags::LiveFlags>()),
      poller_(*store_, *live_, poll_interval) {}

ServeFlags::~ServeFlags() { stop(); }

void ServeFlags::start() {
  if (Status s = poller_.start(); !s.isOk()) {
    log::warn("flags: cannot load the flags yet (OFREP answers FLAG_NOT_FOUND until it can): " +
              s.message());
  }
  server::installOfrepFlags(live_);
}

void ServeFlags::stop() {
  server::installOfrepFlags(nullptr);
  poller_.stop();
}

}  // namespace shipgate::cli
