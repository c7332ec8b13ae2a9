// notify::Event: one thing the release controller tells people about (a deploy started, succeeded
// or failed, a rollback, an approval to give, an incident opened or resolved), and the names and
// priorities of the event kinds. Channels (Slack, PagerDuty) render an Event into their own JSON
// (payloads.h); the Notifier (notifier.h) queues and delivers it.
//
// Dedup key: PagerDuty groups a trigger and its resolve by it, and delivery keeps events with the
// same key in order per channel. defaultDedupKey() is "shipgate/<app>/incident/<id>" when the
// event carries an incident id (so an incident_opened, the rolled_back sent with the same incident
// id and the incident_resolved share one PagerDuty alert), else "shipgate/<app>/deployment/<id>",
// else "shipgate/<app>".
// Thread: plain values and pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace shipgate::notify {

enum class EventKind {
  kDeployStarted,
  kDeploySucceeded,
  kDeployFailed,
  kRolledBack,
  kApprovalNeeded,
  kIncidentOpened,
  kIncidentResolved,
};

inline constexpr EventKind kAllEventKinds[] = {
    EventKind::kDeployStarted,  EventKind::kDeploySucceeded, EventKind::kDeployFailed,
    EventKind::kRolledBack,     EventKind::kApprovalNeeded,  EventKind::kIncidentOpened,
    EventKind::kIncidentResolved,
};

// "deploy_started", "deploy_succeeded", "deploy_failed", "rolled_back", "approval_needed",
// "incident_opened", "incident_resolved" (the names config's `events:` lists use).
std::string_view eventKindName(EventKind kind);
std::optional<EventKind> eventKindFromName(std::string_view name);

// High priority: deploy_failed, rolled_back, incident_opened, incident_resolved. A full queue drops
// pending low-priority deliveries first (notifier.h).
bool isHighPriority(EventKind kind);

struct Event {
  EventKind kind = EventKind::kDeployStarted;
  std::string app;
  std::string env;               // "production"; may be empty
  std::string version;           // the release the event is about
  std::string previous_version;  // the release rolled back to / replaced; may be empty
  std::string deployment_id;     // may be empty
  std::string incident_id;       // may be empty
  std::string actor;             // who started / approved / rolled back; may be empty
  std::string summary;           // one line for humans; empty: a default built from the fields
  std::string reason;            // why (the failed rule and its values, the operator's reason)
  std::map<std::string, std::string> fields;  // extra details (rule, measured values, window)
  int64_t at_ms = 0;             // ms since the epoch; 0: Notifier::notify() stamps the clock's
  std::string dedup_key;         // empty: Notifier::notify() sets defaultDedupKey()
};

std::string defaultDedupKey(const Event& event);

// The summary line channels show: event.summary when set, else built from kind, app, version,
// env and previous version, e.g. "api v2 rolled back to v1 in production".
std::string summaryOf(const Event& event);

}  // namespace shipgate::notify
