// ServeFlags: the feature flags `shipgate serve` answers OFREP with: the FlagStore beside the
// state store, the LiveFlags the gateway's OFREP route reads (server/ofrep_route.h), and the
// poller that reloads them when another process (`shipgate flags set`) changed the store.
#pragma once

#include <memory>
#include <string>

#include "shipgate/config/config.h"
#include "shipgate/flags/flag_store.h"
#include "shipgate/flags/live_flags.h"

namespace shipgate::cli {

class ServeFlags {
 public:
  static Result<std::unique_ptr<ServeFlags>> open(const config::Config& cfg,
                                                  const std::string& state_dir,
                                                  const std::string& state_url);
  ServeFlags(std::unique_ptr<flags::FlagStore> store, Millis poll_interval);
  ~ServeFlags();
  // Loads the flags, starts polling and installs them for the gateway's OFREP route.
  void start();
  void stop();
  // Reloads now when the store changed (after an admin API write).
  void pollNow() { poller_.pollNow(); }
  flags::FlagStore& store() { return *store_; }

 private:
  std::unique_ptr<flags::FlagStore> store_;
  std::shared_ptr<flags::LiveFlags> live_;
  flags::FlagsPoller poller_;
};

}  // namespace shipgate::cli
