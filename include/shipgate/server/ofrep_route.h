// The gateway's built-in OFREP route (flags/ofrep.h): POST /ofrep/v1/evaluate/flags[/{key}] on
// every public listener, answered before routing (after the firewall, like the RUM intake) from
// the LiveFlags `shipgate serve` keeps current, in the environment flags.environment names.
//
// installOfrepFlags() hands the route its flags; without it (or with null) /ofrep/ paths route
// like any other. It is one process-wide source read by every worker (the gateway's dependencies
// would be the natural home; it lives here so that adding it touches no header the whole data
// plane includes). Call it before Gateway::start(); it may be replaced later (tests).
// Thread-safety: installOfrepFlags() and ofrepFlags() from any thread.
#pragma once

#include <memory>

namespace shipgate::flags {
class LiveFlags;
}

namespace shipgate::server {

void installOfrepFlags(std::shared_ptr<const flags::LiveFlags> flags);
std::shared_ptr<const flags::LiveFlags> ofrepFlags();

}  // namespace shipgate::server
