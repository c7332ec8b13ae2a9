// The watch area's section of the config: top-level `rollback_triggers:` (a list; each item the
// seed's wording as a string, or the structured map) and `performance_slas:` (a map of metric name
// to {target, alert_threshold, percentile, window, min_samples}), read into WatchConfig.
//
// Structured trigger keys: metric (error_rate | latency | health_failures | waf_blocks), above or
// below (a number; error_rate may write 5%, latency 800ms / 2s / 200% with baseline: true, waf_blocks
// 1000/min or 20/s), or_equal (bool: >= / <=), for (window duration), percentile (latency, default
// 95, "p99" or 99), baseline (bool), min_requests, no_data (ok | breach | hold), sample (interval).
// Defaults are those of the wording (triggers.h).
//
// Absent `rollback_triggers:` = the seed's four lines (seedTriggerWording()); an empty list = no
// triggers. Absent `performance_slas:` = no SLAs.
//
// Errors are located: a wording error at the column of the offending word inside the string,
// an unknown key with a "did you mean".
//
// Use: pass watchSection() to config::loadFile()/loadString(); the settings land in
// Config::sections["watch"] and watchConfigOf() finds them there.
// Thread: pure functions; a WatchConfig is immutable once loaded.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/config/section.h"
#include "shipgate/config/yaml.h"
#include "shipgate/watch/sla.h"
#include "shipgate/watch/triggers.h"

namespace shipgate::watch {

inline constexpr std::string_view kWatchSection = "watch";

struct WatchConfig : config::SectionSettings {
  std::vector<TriggerSpec> triggers;
  bool triggers_default = true;  // true when rollback_triggers: was absent (seed's lines)
  std::vector<SlaSpec> slas;

  const SlaSpec* findSla(std::string_view metric) const;
  // The SLA metric names (the RUM intake accepts these), in file order.
  std::vector<std::string> slaMetrics() const;
};

// Reads both keys from the merged document. Null when they have errors (in `diags`).
std::shared_ptr<const WatchConfig> validateWatchConfig(const config::Config& config,
                                                       const config::YNode& document,
                                                       config::Diagnostics& diags);

std::unique_ptr<config::SectionValidator> watchSection();

// The loaded settings, or the defaults (seed triggers, no SLAs) when the section was not read.
const WatchConfig& watchConfigOf(const config::Config& config);

}  // namespace shipgate::watch
