// Event kind names, priorities, dedup keys and default summaries (see notify/event.h).
#include "shipgate/notify/event.h"

#include "shipgate/notify/delivery_log.h"

namespace shipgate::notify {

std::string_view eventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kDeployStarted: return "deploy_started";
    case EventKind::kDeploySucceeded: return "deploy_succeeded";
    case EventKind::kDeployFailed: return "deploy_failed";
    case EventKind::kRolledBack: return "rolled_back";
    case EventKind::kApprovalNeeded: return "approval_needed";
    case EventKind::kIncidentOpened: return "incident_opened";
    case EventKind::kIncidentResolved: return "incident_resolved";
  }
  return "unknown";
}

std::optional<EventKind> eventKindFromName(std::string_view name) {
  for (EventKind k : kAllEventKinds) {
    if (eventKindName(k) == name) return k;
  }
  return std::nullopt;
}

bool isHighPriority(EventKind kind) {
  switch (kind) {
    case EventKind::kDeployFailed:
    case EventKind::kRolledBack:
    case EventKind::kIncidentOpened:
    case EventKind::kIncidentResolved:
      return true;
    default:
      return false;
  }
}

std::string defaultDedupKey(const Event& event) {
  std::string key = "shipgate/" + event.app;
  if (!event.incident_id.empty()) return key + "/incident/" + event.incident_id;
  if (!event.deployment_id.empty()) return key + "/deployment/" + event.deployment_id;
  return key;
}

std::string summaryOf(const Event& e) {
  if (!e.summary.empty()) return e.summary;
  std::string app = e.app.empty() ? std::string("an app") : e.app;
  std::string version = e.version.empty() ? std::string() : " " + e.version;
  std::string where = e.env.empty() ? std::string() : " in " + e.env;
  switch (e.kind) {
    case EventKind::kDeployStarted:
      return "Deploying " + app + version + where +
             (e.previous_version.empty() ? "" : " (replacing " + e.previous_version + ")");
    case EventKind::kDeploySucceeded:
      return app + version + " is live" + where;
    case EventKind::kDeployFailed:
      return "Deploy of " + app + version + where + " failed";
    case EventKind::kRolledBack:
      return app + version + " rolled back" +
             (e.previous_version.empty() ? "" : " to " + e.previous_version) + where;
    case EventKind::kApprovalNeeded:
      return app + version + where + " is waiting for approval" +
             (e.deployment_id.empty() ? "" : " (deployment " + e.deployment_id + ")");
    case EventKind::kIncidentOpened:
      return "Incident opened on " + app + version + where;
    case EventKind::kIncidentResolved:
      return "Incident resolved on " + app + where +
             (e.previous_version.empty() ? "" : " (" + e.previous_version + " healthy again)");
  }
  return app + version + where;
}

std::string_view deliveryResultName(DeliveryResult result) {
  switch (result) {
    case DeliveryResult::kDelivered: return "delivered";
    case DeliveryResult::kRetrying: return "retrying";
    case DeliveryResult::kFailed: return "failed";
    case DeliveryResult::kGaveUp: return "gave_up";
    case DeliveryResult::kAbandoned: return "abandoned";
    case DeliveryResult::kDropped: return "dropped";
  }
  return "unknown";
}

}  // namespace shipgate::notify
