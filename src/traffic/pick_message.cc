// unavailableMessage(): the 503 text for a failed pick, formatted by the caller's side (off the
// picking loop), with the approval command when a failover waits for one.
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"

namespace shipgate::traffic {

std::string unavailableMessage(const Pick& pick, std::string_view app) {
  std::string out =
      pick.error.empty() ? "no healthy upstream for app " + std::string(app) : pick.error;
  if (pick.waiting_approval) {
    out +=
        ": run `" + approveCommand(pick.waiting_approval->app, pick.waiting_approval->region) + "`";
  }
  return out;
}

}  // namespace shipgate::traffic
