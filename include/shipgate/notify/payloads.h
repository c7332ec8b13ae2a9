// The JSON each channel sends for an Event.
//
// Slack incoming webhook: {"text": <summary>, "blocks": [header, section with the summary and the
// reason, section fields (App, Version, Environment, Previous version, Deployment, Incident,
// Actor: those that are set), context (event kind, time UTC, the extra fields)]}. Text is escaped
// for Slack mrkdwn (& < >) and cut to Slack's block limits; no links.
// PagerDuty Events API v2: {"routing_key", "event_action": "trigger"|"resolve", "dedup_key",
// "payload": {"summary", "source": "shipgate", "severity", "timestamp", "component": app,
// "group": env, "class": kind, "custom_details": {version, previous_version, deployment_id,
// incident_id, actor, reason, fields...}}}; incident_resolved resolves, every other kind triggers.
// Severity: incident_opened critical, deploy_failed and rolled_back error, approval_needed
// warning, deploy_started and deploy_succeeded info. Summary cut to PagerDuty's 1024 characters.
// Thread: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "shipgate/notify/event.h"

namespace shipgate::notify {

std::string slackPayload(const Event& event);

enum class PagerDutyAction { kTrigger, kResolve };
PagerDutyAction pagerDutyAction(EventKind kind);
std::string_view pagerDutySeverity(EventKind kind);
// REQUIRES: event.dedup_key set (Notifier::notify() sets it).
std::string pagerDutyPayload(const Event& event, const std::string& routing_key);

// "2026-12-03T06:30:00.000Z".
std::string isoTime(int64_t ms_since_epoch);

}  // namespace shipgate::notify
