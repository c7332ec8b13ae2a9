// The JSON each channel produces, parsed back: Slack's text and blocks, PagerDuty's v2 event
// (action, dedup key, severity, details), and the event names, priorities and dedup keys.
#include "shipgate/notify/payloads.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace shipgate::notify {
namespace {

using nlohmann::json;

Event rolledBack() {
  Event e;
  e.kind = EventKind::kRolledBack;
  e.app = "api";
  e.env = "production";
  e.version = "v3";
  e.previous_version = "v2";
  e.deployment_id = "17";
  e.incident_id = "4";
  e.actor = "trigger";
  e.reason = "Error rate > 5% for 5 minutes: 12.5% <5m>";
  e.fields = {{"rule", "error_rate"}, {"measured", "12.5%"}};
  e.at_ms = 1'764'743'400'123;  // 2025-12-03T06:30:00.123Z
  e.dedup_key = defaultDedupKey(e);
  return e;
}

// All mrkdwn texts of a Slack payload, joined.
std::string allText(const json& doc) {
  std::string out;
  for (const auto& b : doc["blocks"]) {
    if (b.contains("text")) out += b["text"]["text"].get<std::string>() + "\n";
    if (b.contains("fields")) {
      for (const auto& f : b["fields"]) out += f["text"].get<std::string>() + "\n";
    }
    if (b.contains("elements")) {
      for (const auto& f : b["elements"]) out += f["text"].get<std::string>() + "\n";
    }
  }
  return out;
}

TEST(SlackPayload, SaysWhatHappenedToWhichAppVersionAndEnvironmentAndWhy) {
  json doc = json::parse(slackPayload(rolledBack()));
  std::string text = doc["text"];
  EXPECT_NE(text.find("api v3 rolled back to v2 in production"), std::string::npos) << text;
  EXPECT_NE(text.find("Error rate > 5% for 5 minutes"), std::string::npos) << text;
  ASSERT_TRUE(doc["blocks"].is_array());
  EXPECT_EQ(doc["blocks"][0]["type"], "header");
  EXPECT_EQ(doc["blocks"][0]["text"]["text"], "Rolled back: api");
  std::string blocks = allText(doc);
  for (const char* want : {"*App*\napi", "*Version*\nv3", "*Environment*\nproduction",
                           "*Previous version*\nv2", "*Deployment*\n17", "*Incident*\n4",
                           "2025-12-03T06:30:00.123Z", "rule: error_rate", "rolled_back"}) {
    EXPECT_NE(blocks.find(want), std::string::npos) << want << " missing in:\n" << blocks;
  }
  // mrkdwn control characters in the reason are escaped, so no link or mention is formed.
  EXPECT_NE(blocks.find("&lt;5m&gt;"), std::string::npos) << blocks;
  EXPECT_EQ(blocks.find("<5m>"), std::string::npos) << blocks;
  EXPECT_EQ(slackPayload(rolledBack()).find("http"), std::string::npos) << "link-less";
}

TEST(SlackPayload, LeavesOutUnsetFieldsAndCutsLongTextToSlackLimits) {
  Event e;
  e.kind = EventKind::kApprovalNeeded;
  e.app = "api";
  e.version = "v2";
  e.reason = std::string(5000, 'x') + "\xC3\xA9";  // past Slack's 3000-character section limit
  json doc = json::parse(slackPayload(e));
  std::string blocks = allText(doc);
  EXPECT_EQ(blocks.find("*Incident*"), std::string::npos);
  EXPECT_EQ(blocks.find("*Environment*"), std::string::npos);
  for (const auto& b : doc["blocks"]) {
    if (b.contains("text")) {
      EXPECT_LE(b["text"]["text"].get<std::string>().size(), 3000u);
    }
  }
  EXPECT_NE(doc["text"].get<std::string>().find("waiting for approval"), std::string::npos);
}

TEST(PagerDutyPayload, IncidentOpenedTriggersAndResolvedResolvesWithTheSameDedupKey) {
  Event opened;
  opened.kind = EventKind::kIncidentOpened;
  opened.app = "api";
  opened.env = "production";
  opened.version = "v3";
  opened.incident_id = "4";
  opened.deployment_id = "17";
  opened.reason = "Health check failures > 3 consecutive";
  opened.at_ms = 1'764'743'400'000;
  opened.dedup_key = defaultDedupKey(opened);
  Event resolved = opened;
  resolved.kind = EventKind::kIncidentResolved;
  resolved.dedup_key = defaultDedupKey(resolved);

  json t = json::parse(pagerDutyPayload(opened, "R0UTINGKEY"));
  EXPECT_EQ(t["routing_key"], "R0UTINGKEY");
  EXPECT_EQ(t["event_action"], "trigger");
  EXPECT_EQ(t["dedup_key"], "shipgate/api/incident/4");
  EXPECT_EQ(t["payload"]["source"], "shipgate");
  EXPECT_EQ(t["payload"]["severity"], "critical");
  EXPECT_EQ(t["payload"]["component"], "api");
  EXPECT_EQ(t["payload"]["group"], "production");
  EXPECT_EQ(t["payload"]["timestamp"], "2025-12-03T06:30:00.000Z");
  EXPECT_EQ(t["payload"]["custom_details"]["version"], "v3");
  EXPECT_EQ(t["payload"]["custom_details"]["reason"], "Health check failures > 3 consecutive");
  EXPECT_NE(t["payload"]["summary"].get<std::string>().find("Incident opened on api v3"),
            std::string::npos);

  json r = json::parse(pagerDutyPayload(resolved, "R0UTINGKEY"));
  EXPECT_EQ(r["event_action"], "resolve");
  EXPECT_EQ(r["dedup_key"], t["dedup_key"]);
}

TEST(PagerDutyPayload, SeverityByKindAndSummaryWithinPagerDutyLimit) {
  EXPECT_EQ(pagerDutySeverity(EventKind::kDeployFailed), "error");
  EXPECT_EQ(pagerDutySeverity(EventKind::kRolledBack), "error");
  EXPECT_EQ(pagerDutySeverity(EventKind::kIncidentOpened), "critical");
  EXPECT_EQ(pagerDutySeverity(EventKind::kApprovalNeeded), "warning");
  EXPECT_EQ(pagerDutySeverity(EventKind::kDeploySucceeded), "info");
  for (EventKind k : kAllEventKinds) {
    EXPECT_EQ(pagerDutyAction(k) == PagerDutyAction::kResolve, k == EventKind::kIncidentResolved);
  }
  Event e = rolledBack();
  e.reason = std::string(3000, 'r');
  json doc = json::parse(pagerDutyPayload(e, "k"));
  EXPECT_LE(doc["payload"]["summary"].get<std::string>().size(), 1024u);
  EXPECT_EQ(doc["payload"]["custom_details"]["reason"].get<std::string>().size(), 3000u);
  EXPECT_EQ(doc["payload"]["custom_details"]["rule"], "error_rate");
}

TEST(EventNames, RoundTripAndUnknownNamesAreRejected) {
  for (EventKind k : kAllEventKinds) EXPECT_EQ(eventKindFromName(eventKindName(k)), k);
  EXPECT_FALSE(eventKindFromName("deploy_start").has_value());
  EXPECT_TRUE(isHighPriority(EventKind::kRolledBack));
  EXPECT_TRUE(isHighPriority(EventKind::kIncidentResolved));
  EXPECT_FALSE(isHighPriority(EventKind::kDeployStarted));
  EXPECT_FALSE(isHighPriority(EventKind::kApprovalNeeded));
}

TEST(EventDedupKey, PrefersTheIncidentThenTheDeployment) {
  Event e;
  e.app = "api";
  EXPECT_EQ(defaultDedupKey(e), "shipgate/api");
  e.deployment_id = "9";
  EXPECT_EQ(defaultDedupKey(e), "shipgate/api/deployment/9");
  e.incident_id = "3";
  EXPECT_EQ(defaultDedupKey(e), "shipgate/api/incident/3");
}

}  // namespace
}  // namespace shipgate::notify
