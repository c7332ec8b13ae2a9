// The OFREP phase (after the firewall and RUM, before routing). See server/ofrep_route.h.
#pragma once

#include <memory>

#include "request_phase.h"

namespace shipgate::server {

std::unique_ptr<Phase> makeOfrepPhase();

}  // namespace shipgate::server
