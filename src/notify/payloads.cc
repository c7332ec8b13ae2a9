// Slack and PagerDuty JSON for an Event (see notify/payloads.h).
#include "shipgate/notify/payloads.h"

#include <ctime>

#include <nlohmann/json.hpp>

namespace shipgate::notify {
namespace {

using nlohmann::json;

// Slack: section text up to 3000 characters, a field up to 2000, a header up to 150.
constexpr size_t kSlackSectionMax = 3000;
constexpr size_t kSlackFieldMax = 2000;
constexpr size_t kSlackHeaderMax = 150;
constexpr size_t kPagerDutySummaryMax = 1024;

// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence, marking the cut with "…".
std::string cut(const std::string& s, size_t max) {
  if (s.size() <= max) return s;
  size_t end = max >= 3 ? max - 3 : 0;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end) + "\xE2\x80\xA6";
}

// Slack mrkdwn treats & < > as control characters (links, mentions): escape them.
std::string mrkdwn(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string_view headline(EventKind kind) {
  switch (kind) {
    case EventKind::kDeployStarted: return "Deploy started";
    case EventKind::kDeploySucceeded: return "Deploy succeeded";
    case EventKind::kDeployFailed: return "Deploy failed";
    case EventKind::kRolledBack: return "Rolled back";
    case EventKind::kApprovalNeeded: return "Approval needed";
    case EventKind::kIncidentOpened: return "Incident opened";
    case EventKind::kIncidentResolved: return "Incident resolved";
  }
  return "shipgate";
}

json dumpable(const std::string& s) { return json(s); }

}  // namespace

std::string isoTime(int64_t ms) {
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(((ms % 1000) + 1000) % 1000));
  return buf;
}

std::string slackPayload(const Event& e) {
  std::string summary = summaryOf(e);
  json blocks = json::array();
  blocks.push_back({{"type", "header"},
                    {"text", {{"type", "plain_text"},
                              {"text", cut(std::string(headline(e.kind)) +
                                               (e.app.empty() ? "" : ": " + e.app),
                                           kSlackHeaderMax)}}}});
  std::string body = "*" + mrkdwn(summary) + "*";
  if (!e.reason.empty()) body += "\nReason: " + mrkdwn(e.reason);
  blocks.push_back(
      {{"type", "section"}, {"text", {{"type", "mrkdwn"}, {"text", cut(body, kSlackSectionMax)}}}});

  json fields = json::array();
  auto field = [&](const char* label, const std::string& value) {
    if (value.empty() || fields.size() >= 10) return;  // Slack: at most 10 fields
    fields.push_back({{"type", "mrkdwn"},
                      {"text", cut("*" + std::string(label) + "*\n" + mrkdwn(value),
                                   kSlackFieldMax)}});
  };
  field("App", e.app);
  field("Version", e.version);
  field("Environment", e.env);
  field("Previous version", e.previous_version);
  field("Deployment", e.deployment_id);
  field("Incident", e.incident_id);
  field("Actor", e.actor);
  if (!fields.empty()) blocks.push_back({{"type", "section"}, {"fields", fields}});

  std::string context = std::string(eventKindName(e.kind));
  if (e.at_ms != 0) context += " · " + isoTime(e.at_ms);
  for (const auto& [k, v] : e.fields) context += " · " + mrkdwn(k) + ": " + mrkdwn(v);
  blocks.push_back(
      {{"type", "context"},
       {"elements", json::array({{{"type", "mrkdwn"}, {"text", cut(context, kSlackSectionMax)}}})}});

  json doc{{"text", summary + (e.reason.empty() ? "" : " — " + e.reason)}, {"blocks", blocks}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

PagerDutyAction pagerDutyAction(EventKind kind) {
  return kind == EventKind::kIncidentResolved ? PagerDutyAction::kResolve
                                              : PagerDutyAction::kTrigger;
}

std::string_view pagerDutySeverity(EventKind kind) {
  switch (kind) {
    case EventKind::kIncidentOpened: return "critical";
    case EventKind::kDeployFailed:
    case EventKind::kRolledBack: return "error";
    case EventKind::kApprovalNeeded: return "warning";
    default: return "info";
  }
}

std::string pagerDutyPayload(const Event& e, const std::string& routing_key) {
  json details = json::object();
  auto put = [&](const char* k, const std::string& v) {
    if (!v.empty()) details[k] = dumpable(v);
  };
  put("app", e.app);
  put("environment", e.env);
  put("version", e.version);
  put("previous_version", e.previous_version);
  put("deployment_id", e.deployment_id);
  put("incident_id", e.incident_id);
  put("actor", e.actor);
  put("reason", e.reason);
  for (const auto& [k, v] : e.fields) {
    if (!details.contains(k)) details[k] = v;
  }
  json payload{{"summary", cut(summaryOf(e) + (e.reason.empty() ? "" : ": " + e.reason),
                               kPagerDutySummaryMax)},
               {"source", "shipgate"},
               {"severity", pagerDutySeverity(e.kind)},
               {"class", eventKindName(e.kind)},
               {"custom_details", details}};
  if (!e.app.empty()) payload["component"] = e.app;
  if (!e.env.empty()) payload["group"] = e.env;
  if (e.at_ms != 0) payload["timestamp"] = isoTime(e.at_ms);
  json doc{{"routing_key", routing_key},
           {"event_action",
            pagerDutyAction(e.kind) == PagerDutyAction::kResolve ? "resolve" : "trigger"},
           {"dedup_key", e.dedup_key},
           {"payload", payload}};
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace shipgate::notify
