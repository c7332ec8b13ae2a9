// DeliveryQueue's order and drop rules and the retry schedule, on SimulatedClock: which delivery
// goes next, that a resolve waits for its trigger (retries included), what a full queue drops,
// and the backoff delays (exponential, capped, jittered, raised to Retry-After).
#include "shipgate/notify/delivery_queue.h"

#include <gtest/gtest.h>

#include "shipgate/notify/retry.h"

namespace shipgate::notify {
namespace {

Delivery make(EventKind kind, std::string key, int channel, Clock::time_point at,
              std::string app = "api") {
  Delivery d;
  d.channel = channel;
  d.event.kind = kind;
  d.event.app = std::move(app);
  d.event.dedup_key = std::move(key);
  d.not_before = at;
  return d;
}

TEST(DeliveryQueue, ResolveWaitsForItsTriggerThroughTheTriggersRetries) {
  SimulatedClock clock;
  DeliveryQueue q(10);
  auto t0 = clock.now();
  ASSERT_FALSE(q.push(make(EventKind::kIncidentOpened, "shipgate/api/incident/1", 1, t0)));
  ASSERT_FALSE(q.push(make(EventKind::kIncidentResolved, "shipgate/api/incident/1", 1, t0)));
  ASSERT_FALSE(q.push(make(EventKind::kDeployStarted, "shipgate/web/deployment/2", 1, t0)));

  auto trigger = q.takeReady(clock.now());
  ASSERT_TRUE(trigger);
  EXPECT_EQ(trigger->event.kind, EventKind::kIncidentOpened);
  // The trigger is in flight: the resolve is held, the other key goes ahead.
  auto other = q.takeReady(clock.now());
  ASSERT_TRUE(other);
  EXPECT_EQ(other->event.dedup_key, "shipgate/web/deployment/2");
  EXPECT_FALSE(q.takeReady(clock.now()));
  q.finish(other->id);

  // The trigger fails and is retried in 5 s: the resolve stays held during the backoff.
  q.retry(trigger->id, 1, clock.now() + std::chrono::seconds(5));
  EXPECT_FALSE(q.takeReady(clock.now()));
  ASSERT_TRUE(q.nextReadyAt());
  EXPECT_EQ(*q.nextReadyAt(), clock.now() + std::chrono::seconds(5));
  clock.advance(std::chrono::milliseconds(4999));
  EXPECT_FALSE(q.takeReady(clock.now()));
  clock.advance(std::chrono::milliseconds(1));
  auto again = q.takeReady(clock.now());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->event.kind, EventKind::kIncidentOpened);
  EXPECT_EQ(again->attempts, 1);
  q.finish(again->id);
  auto resolve = q.takeReady(clock.now());
  ASSERT_TRUE(resolve);
  EXPECT_EQ(resolve->event.kind, EventKind::kIncidentResolved);
  q.finish(resolve->id);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.nextReadyAt());
}

TEST(DeliveryQueue, ReadyHighPriorityDeliveriesGoBeforeOlderLowPriorityOnes) {
  SimulatedClock clock;
  DeliveryQueue q(10);
  auto now = clock.now();
  ASSERT_FALSE(q.push(make(EventKind::kDeployStarted, "a", 0, now)));
  ASSERT_FALSE(q.push(make(EventKind::kApprovalNeeded, "b", 0, now)));
  ASSERT_FALSE(q.push(make(EventKind::kRolledBack, "c", 0, now + std::chrono::seconds(1))));
  ASSERT_FALSE(q.push(make(EventKind::kDeployFailed, "d", 0, now)));
  std::vector<std::string> order;
  while (auto d = q.takeReady(clock.now())) {
    order.push_back(d->event.dedup_key);
    q.finish(d->id);
    clock.advance(std::chrono::milliseconds(600));
  }
  // d (high) first; c is not ready until 1 s, so a at 0.6 s; then c at 1.2 s, before b.
  EXPECT_EQ(order, (std::vector<std::string>{"d", "a", "c", "b"}));
}

TEST(DeliveryQueue, SameKeyOnAnotherChannelIsNotHeld) {
  SimulatedClock clock;
  DeliveryQueue q(10);
  ASSERT_FALSE(q.push(make(EventKind::kDeployFailed, "k", 0, clock.now())));
  ASSERT_FALSE(q.push(make(EventKind::kDeployFailed, "k", 1, clock.now())));
  auto a = q.takeReady(clock.now());
  auto b = q.takeReady(clock.now());
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->channel, b->channel);
}

TEST(DeliveryQueue, FullQueueDropsTheOldestLowPriorityDeliveryFirst) {
  SimulatedClock clock;
  DeliveryQueue q(3);
  auto now = clock.now();
  ASSERT_FALSE(q.push(make(EventKind::kDeployStarted, "a", 0, now)));
  ASSERT_FALSE(q.push(make(EventKind::kRolledBack, "b", 0, now)));
  ASSERT_FALSE(q.push(make(EventKind::kDeploySucceeded, "c", 0, now)));
  // A rollback arrives at a full queue: the oldest low-priority one (a) goes.
  auto dropped = q.push(make(EventKind::kRolledBack, "d", 0, now));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event.dedup_key, "a");
  EXPECT_EQ(q.size(), 3u);
  // A low-priority event at a queue holding a low one: the older low one (c) goes.
  dropped = q.push(make(EventKind::kApprovalNeeded, "e", 0, now));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event.dedup_key, "c");
  // Now b, d high and e low: another high one pushes out e.
  dropped = q.push(make(EventKind::kIncidentOpened, "f", 0, now));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event.dedup_key, "e");
  // All high: a new low one is the one dropped, never a pending rollback.
  dropped = q.push(make(EventKind::kDeployStarted, "g", 0, now));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event.dedup_key, "g");
  EXPECT_EQ(dropped->id, 0u);
  // All high and a new high one: the oldest high one not in flight goes (b is in flight).
  auto in_flight = q.takeReady(now);
  ASSERT_TRUE(in_flight);
  EXPECT_EQ(in_flight->event.dedup_key, "b");
  dropped = q.push(make(EventKind::kIncidentResolved, "h", 0, now));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event.dedup_key, "d");
  EXPECT_EQ(q.size(), 3u);
  std::vector<std::string> left;
  for (const auto& d : q.drain()) left.push_back(d.event.dedup_key);
  EXPECT_EQ(left, (std::vector<std::string>{"b", "f", "h"}));
}

TEST(DeliveryQueue, CapacityOneWithTheOnlyDeliveryInFlightDropsTheNewOne) {
  SimulatedClock clock;
  DeliveryQueue q(1);
  ASSERT_FALSE(q.push(make(EventKind::kRolledBack, "a", 0, clock.now())));
  ASSERT_TRUE(q.takeReady(clock.now()));
  auto dropped = q.push(make(EventKind::kIncidentOpened, "b", 0, clock.now()));
  ASSERT_TRUE(dropped);
  EXPECT_EQ(dropped->event.dedup_key, "b");
  EXPECT_EQ(q.size(), 1u);
}

TEST(RetrySchedule, NetworkErrors429And5xxAreRetriedOther4xxAreNot) {
  EXPECT_EQ(classifyAttempt(200), AttemptVerdict::kDelivered);
  EXPECT_EQ(classifyAttempt(202), AttemptVerdict::kDelivered);
  EXPECT_EQ(classifyAttempt(0), AttemptVerdict::kRetry);
  EXPECT_EQ(classifyAttempt(429), AttemptVerdict::kRetry);
  EXPECT_EQ(classifyAttempt(500), AttemptVerdict::kRetry);
  EXPECT_EQ(classifyAttempt(503), AttemptVerdict::kRetry);
  EXPECT_EQ(classifyAttempt(400), AttemptVerdict::kPermanent);
  EXPECT_EQ(classifyAttempt(403), AttemptVerdict::kPermanent);
  EXPECT_EQ(classifyAttempt(404), AttemptVerdict::kPermanent);
  EXPECT_EQ(classifyAttempt(301), AttemptVerdict::kPermanent);
}

TEST(RetrySchedule, DoublesFromInitialUpToMaxWithJitterInTheUpperHalf) {
  RetryPolicy p{8, Millis(1000), Millis(60'000)};
  // Lowest jitter: half of each exponential step; highest: the whole step.
  std::vector<int64_t> low, high;
  for (int n = 1; n <= 8; ++n) {
    low.push_back(backoffDelay(p, n, 0.0).count());
    high.push_back(backoffDelay(p, n, 0.999999).count());
  }
  EXPECT_EQ(low, (std::vector<int64_t>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000}));
  EXPECT_EQ(high, (std::vector<int64_t>{999, 1999, 3999, 7999, 15999, 31999, 59999, 59999}));
  EXPECT_EQ(backoffDelay(p, 3, 0.5).count(), 3000);
  // Far past the cap, nothing overflows.
  EXPECT_EQ(backoffDelay(p, 100, 0.0).count(), 30000);
}

TEST(RetrySchedule, RetryAfterRaisesTheDelayButNotPastAnHour) {
  RetryPolicy p{8, Millis(1000), Millis(60'000)};
  EXPECT_EQ(backoffDelay(p, 1, 0.0, Millis(30'000)).count(), 30'000);
  // A Retry-After shorter than the backoff does not shorten it.
  EXPECT_EQ(backoffDelay(p, 5, 0.0, Millis(1'000)).count(), 8'000);
  EXPECT_EQ(backoffDelay(p, 1, 0.0, Millis(86'400'000)), kMaxRetryAfter);
}

}  // namespace
}  // namespace shipgate::notify
