// The active health-check targets of a config: every endpoint (both slots) of every app that has
// a `health` block, keyed by endpointKey(), which Endpoint::key also uses. They live here, not in
// health/, because apps are traffic's section; the HealthMonitor (health/) only runs targets.
// Pure functions of the config; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/health/sink.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::traffic {

// "app/slot/host:port", e.g. "api/blue/127.0.0.1:9101".
std::string endpointKey(const std::string& app, Slot slot, const config::HostPort& address);

// The targets of trafficConfigOf(config).
std::vector<health::HealthTarget> appTargets(const config::Config& config);

}  // namespace shipgate::traffic
