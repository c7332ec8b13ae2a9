// The health-check targets of a config: every endpoint (both slots) of every app that has a
// `health` block, keyed by endpointKey(), which the traffic layer's Endpoint::key also uses.
// Pure functions of the config; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "shipgate/config/config.h"
#include "shipgate/health/sink.h"

namespace shipgate::health {

// "app/slot/host:port", e.g. "api/blue/127.0.0.1:9101".
std::string endpointKey(const std::string& app, config::Slot slot, const config::HostPort& address);

std::vector<HealthTarget> appTargets(const config::Config& config);

}  // namespace shipgate::health
