// The Notifier's queue without the network: which channels an event is queued for (events:
// filters), the bound on pending deliveries and what a full queue drops, and that stop() records
// what never went out. The worker is not started, so nothing is sent and nothing races.
#include "shipgate/notify/notifier.h"

#include <gtest/gtest.h>

#include "unit/notify/memory_log.h"

namespace shipgate::notify {
namespace {

using testing::MemoryDeliveryLog;

NotifyConfig twoChannels() {
  NotifyConfig c;
  c.slack.emplace();
  c.slack->webhook_url = "http://127.0.0.1:9/hook";
  c.pagerduty.emplace();
  c.pagerduty->routing_key_file = "/nonexistent/pd.key";  // not read: start() is not called
  return c;
}

Event event(EventKind kind, std::string deployment = "1") {
  Event e;
  e.kind = kind;
  e.app = "api";
  e.version = "v2";
  e.deployment_id = std::move(deployment);
  return e;
}

uint64_t counter(const NotifierStats& s, const std::string& channel, const std::string& result) {
  for (const auto& c : s.counters) {
    if (c.channel == channel && c.result == result) return c.count;
  }
  ADD_FAILURE() << "no counter " << channel << "/" << result;
  return 0;
}

TEST(NotifierQueue, EachChannelGetsOnlyTheEventsItLists) {
  MemoryDeliveryLog log;
  SimulatedClock clock;
  NotifyConfig c = twoChannels();
  c.slack->events = {EventKind::kDeployStarted, EventKind::kRolledBack};
  // PagerDuty keeps its default: failures, rollbacks and incidents.
  Notifier n(c, {&log, &clock, nullptr});
  for (EventKind k : kAllEventKinds) n.notify(event(k));
  EXPECT_EQ(n.stats().pending, 6u);  // slack 2, pagerduty 4
  n.stop();
  std::vector<std::string> slack, pd;
  for (const auto& r : log.of("slack")) slack.emplace_back(eventKindName(r.kind));
  for (const auto& r : log.of("pagerduty")) pd.emplace_back(eventKindName(r.kind));
  EXPECT_EQ(slack, (std::vector<std::string>{"deploy_started", "rolled_back"}));
  EXPECT_EQ(pd, (std::vector<std::string>{"deploy_failed", "rolled_back", "incident_opened",
                                          "incident_resolved"}));
  for (const auto& r : log.records()) {
    EXPECT_EQ(r.result, DeliveryResult::kAbandoned);
    EXPECT_EQ(r.attempt, 0);
    EXPECT_EQ(r.at_ms, clock.wallMillis());
  }
  EXPECT_EQ(counter(n.stats(), "pagerduty", "abandoned"), 4u);
  EXPECT_EQ(n.stats().pending, 0u);
}

TEST(NotifierQueue, NotifyStampsTimeAndDedupKey) {
  MemoryDeliveryLog log;
  SimulatedClock clock(1'800'000'000'000);
  NotifyConfig c = twoChannels();
  c.pagerduty.reset();
  Notifier n(c, {&log, &clock, nullptr});
  Event e = event(EventKind::kIncidentOpened, "12");
  e.incident_id = "5";
  n.notify(e);
  Event own = event(EventKind::kDeployFailed);
  own.dedup_key = "custom/key";
  n.notify(own);
  n.stop();
  auto records = log.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].dedup_key, "shipgate/api/incident/5");
  EXPECT_EQ(records[0].at_ms, 1'800'000'000'000);
  EXPECT_EQ(records[0].incident_id, "5");
  EXPECT_EQ(records[0].deployment_id, "12");
  EXPECT_EQ(records[1].dedup_key, "custom/key");
}

TEST(NotifierQueue, AFullQueueDropsLowPriorityFirstAndCountsIt) {
  MemoryDeliveryLog log;
  SimulatedClock clock;
  NotifyConfig c = twoChannels();
  c.pagerduty.reset();
  c.queue = 4;
  Notifier n(c, {&log, &clock, nullptr});
  for (int i = 0; i < 4; ++i) n.notify(event(EventKind::kDeployStarted, std::to_string(i)));
  // Three rollbacks arrive at a full queue of low-priority events: the oldest three go.
  for (int i = 10; i < 13; ++i) n.notify(event(EventKind::kRolledBack, std::to_string(i)));
  // A newer low-priority event replaces the older one still queued.
  n.notify(event(EventKind::kDeploySucceeded, "20"));
  n.notify(event(EventKind::kDeploySucceeded, "21"));
  NotifierStats s = n.stats();
  EXPECT_EQ(s.pending, 4u);
  EXPECT_EQ(counter(s, "slack", "dropped"), 5u);
  n.stop();
  std::vector<std::string> dropped, abandoned;
  for (const auto& r : log.records()) {
    (r.result == DeliveryResult::kDropped ? dropped : abandoned).push_back(r.deployment_id);
  }
  EXPECT_EQ(dropped, (std::vector<std::string>{"0", "1", "2", "3", "20"}));
  EXPECT_EQ(abandoned, (std::vector<std::string>{"10", "11", "12", "21"}));
}

TEST(NotifierQueue, NotifyAfterStopIsCountedAsDropped) {
  MemoryDeliveryLog log;
  SimulatedClock clock;
  Notifier n(twoChannels(), {&log, &clock, nullptr});
  n.stop();
  n.notify(event(EventKind::kRolledBack));
  EXPECT_EQ(counter(n.stats(), "slack", "dropped"), 1u);
  EXPECT_EQ(counter(n.stats(), "pagerduty", "dropped"), 1u);
  EXPECT_EQ(n.stats().pending, 0u);
  EXPECT_TRUE(n.waitIdle(Millis(0)));
}

TEST(NotifierQueue, NoChannelsConfiguredIsANoOp) {
  Notifier n(NotifyConfig{}, {});
  ASSERT_TRUE(n.start().isOk());
  n.notify(event(EventKind::kRolledBack));
  EXPECT_TRUE(n.stats().counters.empty());
  EXPECT_TRUE(n.waitIdle(Millis(0)));
  n.stop();
}

}  // namespace
}  // namespace shipgate::notify
