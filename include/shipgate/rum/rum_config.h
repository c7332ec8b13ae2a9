// RumConfig: the `rum:` section (real-user monitoring intake on the public listener), read and
// validated by rumSection() into immutable settings stored under Config::sections["rum"].
//
//   rum:
//     enabled: true                 # false: no intake, no script, no sg_rel cookie
//     path: /_shipgate/rum          # POST beacons here; the script is served at <path>.js
//     max_body_bytes: 4KiB          # 413 above
//     rate_limit: 60/min            # beacons per client address: N/s | N/min | N/h, or off
//     max_value_ms: 600000          # accepted values: finite, 0..max_value_ms
//     max_metrics_per_beacon: 16
//     metrics: [homepage_load_time] # default: the keys of performance_slas when that block is
//                                   # present, else the seed's four names
//
// Every key is optional; a config without `rum:` gets these defaults (rumConfigOf). Thread-safety:
// immutable once loaded.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/common/clock.h"
#include "shipgate/config/section.h"

namespace shipgate::rum {

// The seed's performance_slas names, the default metrics without a performance_slas block.
inline constexpr std::string_view kSeedMetrics[] = {
    "homepage_load_time", "api_response_time", "wallet_connection_time",
    "transaction_confirmation"};

struct RumConfig final : config::SectionSettings {
  bool enabled = true;
  std::string path = "/_shipgate/rum";
  size_t max_body_bytes = 4096;
  int64_t rate_limit_count = 60;    // beacons per rate_limit_period per client; 0 = no limit
  Millis rate_limit_period{60'000};
  double max_value_ms = 600'000;
  size_t max_metrics_per_beacon = 16;
  std::vector<std::string> metrics = {std::string(kSeedMetrics[0]), std::string(kSeedMetrics[1]),
                                      std::string(kSeedMetrics[2]), std::string(kSeedMetrics[3])};

  std::string scriptPath() const { return path + ".js"; }
  bool operator==(const RumConfig& o) const {
    return enabled == o.enabled && path == o.path && max_body_bytes == o.max_body_bytes &&
           rate_limit_count == o.rate_limit_count && rate_limit_period == o.rate_limit_period &&
           max_value_ms == o.max_value_ms && max_metrics_per_beacon == o.max_metrics_per_beacon &&
           metrics == o.metrics;
  }
};

// The validator of `rum:` (key "rum").
std::unique_ptr<config::SectionValidator> rumSection();

// The settings of a loaded config, or the defaults when it has no "rum" section settings (the
// validator was not run). Never null.
std::shared_ptr<const RumConfig> rumConfigOf(const config::Config& config);

// "N/s", "N/sec", "N/min", "N/m", "N/h", "N/hour" (N >= 1), or "off" / "0" (no limit).
// False on anything else.
bool parseRate(std::string_view text, int64_t& count, Millis& period);

}  // namespace shipgate::rum
