// The Notifier against real HTTP receivers on loopback: both formats arrive as Slack and
// PagerDuty expect them; 5xx and 429 (with Retry-After) are retried until the receiver recovers and
// the event then arrives once, every attempt in the DeliveryLog; a 400 is not retried; a receiver
// that accepts and never answers times out without holding up notify() or stop(); a trigger and
// its resolve arrive in order with one dedup key; secrets never reach the log. The retry schedule
// also runs on SimulatedClock against a real receiver.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "integration/notify/receiver.h"
#include "shipgate/notify/notifier.h"
#include "support/net.h"
#include "support/process.h"
#include "support/paths.h"
#include "unit/notify/memory_log.h"

namespace shipgate::notify {
namespace {

using nlohmann::json;
using testing::Answer;
using testing::HangingListener;
using testing::MemoryDeliveryLog;
using testing::Receiver;
using Records = std::vector<DeliveryAttempt>;

constexpr char kSlackPath[] = "/services/T000/B000/S3CRET-TOKEN";
constexpr char kPagerDutyPath[] = "/v2/enqueue";
constexpr char kRoutingKey[] = "R0UTING-KEY-0123456789";

class NotifyDeliveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    receiver_.start();
    ASSERT_TRUE(dir_.ok());
    key_file_ = dir_.writeFile("pd.key", std::string(kRoutingKey) + "\n");
    ASSERT_EQ(::chmod(key_file_.c_str(), 0600), 0);
  }

  // Slack and PagerDuty on the receiver, quick retries.
  NotifyConfig config() const {
    NotifyConfig c;
    c.slack.emplace();
    c.slack->webhook_url = receiver_.url(kSlackPath);
    c.pagerduty.emplace();
    c.pagerduty->url = receiver_.url(kPagerDutyPath);
    c.pagerduty->routing_key_file = key_file_;
    c.retry = {5, Millis(20), Millis(100)};
    c.connect_timeout = Millis(2000);
    c.timeout = Millis(5000);
    return c;
  }

  static Event incident(EventKind kind) {
    Event e;
    e.kind = kind;
    e.app = "api";
    e.env = "production";
    e.version = "v3";
    e.previous_version = "v2";
    e.deployment_id = "17";
    e.incident_id = "4";
    e.reason = "Error rate > 5% for 5 minutes";
    return e;
  }

  std::vector<testing::Received> receivedOn(const std::string& path) const {
    std::vector<testing::Received> out;
    for (auto& r : receiver_.received()) {
      if (r.path == path) out.push_back(r);
    }
    return out;
  }

  static uint64_t counter(const Notifier& n, const std::string& ch, const std::string& result) {
    for (const auto& c : n.stats().counters) {
      if (c.channel == ch && c.result == result) return c.count;
    }
    return 0;
  }

  Receiver receiver_;
  testsupport::TempDir dir_{"notify-delivery"};
  std::string key_file_;
  MemoryDeliveryLog log_;
};

TEST_F(NotifyDeliveryTest, BothFormatsArriveAsTheServicesExpect) {
  Notifier n(config(), {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kRolledBack));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));

  auto slack = receivedOn(kSlackPath);
  ASSERT_EQ(slack.size(), 1u);
  EXPECT_EQ(slack[0].content_type, "application/json");
  json s = json::parse(slack[0].body);
  EXPECT_NE(s["text"].get<std::string>().find("api v3 rolled back to v2 in production"),
            std::string::npos)
      << s.dump();
  EXPECT_TRUE(s["blocks"].is_array());

  auto pd = receivedOn(kPagerDutyPath);
  ASSERT_EQ(pd.size(), 1u);
  EXPECT_EQ(pd[0].content_type, "application/json");
  json p = json::parse(pd[0].body);
  EXPECT_EQ(p["routing_key"], kRoutingKey);  // read from routing_key_file
  EXPECT_EQ(p["event_action"], "trigger");
  EXPECT_EQ(p["dedup_key"], "shipgate/api/incident/4");
  EXPECT_EQ(p["payload"]["severity"], "error");
  EXPECT_EQ(p["payload"]["source"], "shipgate");
  EXPECT_EQ(p["payload"]["component"], "api");

  Records records = log_.records();
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) {
    EXPECT_EQ(r.result, DeliveryResult::kDelivered) << r.channel << ": " << r.error;
    EXPECT_EQ(r.http_status, 202);
    EXPECT_EQ(r.attempt, 1);
    EXPECT_EQ(r.kind, EventKind::kRolledBack);
    EXPECT_EQ(r.dedup_key, "shipgate/api/incident/4");
  }
  EXPECT_EQ(counter(n, "slack", "delivered"), 1u);
  EXPECT_EQ(counter(n, "pagerduty", "delivered"), 1u);
  n.stop();
}

TEST_F(NotifyDeliveryTest, AFailingReceiverThatRecoversGetsTheEventOnceAfterRetries) {
  receiver_.script(kPagerDutyPath, {{500}, {429, "1"}, {202}});
  NotifyConfig c = config();
  c.slack.reset();
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kIncidentOpened));
  ASSERT_TRUE(n.waitIdle(Millis(20'000)));

  auto got = receivedOn(kPagerDutyPath);
  ASSERT_EQ(got.size(), 3u);
  int accepted = 0;
  for (const auto& r : got) {
    accepted += r.answered >= 200 && r.answered < 300;
    EXPECT_EQ(r.body, got[0].body);  // the same event each time
  }
  EXPECT_EQ(accepted, 1);
  // Retry-After: 1 was honoured.
  EXPECT_GE(got[2].at - got[1].at, std::chrono::milliseconds(1000));

  Records records = log_.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0].attempt, 1);
  EXPECT_EQ(records[0].http_status, 500);
  EXPECT_EQ(records[0].result, DeliveryResult::kRetrying);
  EXPECT_EQ(records[1].attempt, 2);
  EXPECT_EQ(records[1].http_status, 429);
  EXPECT_EQ(records[1].result, DeliveryResult::kRetrying);
  EXPECT_GE(records[1].retry_in_ms, 1000);
  EXPECT_EQ(records[2].attempt, 3);
  EXPECT_EQ(records[2].http_status, 202);
  EXPECT_EQ(records[2].result, DeliveryResult::kDelivered);
  for (const auto& r : records) EXPECT_EQ(r.dedup_key, "shipgate/api/incident/4");
  EXPECT_EQ(counter(n, "pagerduty", "retrying"), 2u);
  EXPECT_EQ(counter(n, "pagerduty", "delivered"), 1u);
}

TEST_F(NotifyDeliveryTest, RetriesStopAtRetryAttempts) {
  receiver_.script(kSlackPath, {{503}, {503}, {503}, {503}, {503}});
  NotifyConfig c = config();
  c.pagerduty.reset();
  c.retry.attempts = 3;
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kDeployFailed));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));
  EXPECT_EQ(receivedOn(kSlackPath).size(), 3u);
  Records records = log_.records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[2].result, DeliveryResult::kGaveUp);
  EXPECT_EQ(records[2].attempt, 3);
  EXPECT_EQ(counter(n, "slack", "gave_up"), 1u);
}

TEST_F(NotifyDeliveryTest, A400IsAPermanentFailureAndIsNotRetried) {
  receiver_.script(kPagerDutyPath,
                   {{400, "", R"({"status":"invalid event","message":"Event object is invalid"})"}});
  NotifyConfig c = config();
  c.slack.reset();
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kDeployFailed));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));
  EXPECT_EQ(receivedOn(kPagerDutyPath).size(), 1u);
  Records records = log_.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].result, DeliveryResult::kFailed);
  EXPECT_EQ(records[0].http_status, 400);
  EXPECT_NE(records[0].error.find("Event object is invalid"), std::string::npos)
      << records[0].error;
  EXPECT_EQ(counter(n, "pagerduty", "failed"), 1u);
  EXPECT_EQ(n.stats().pending, 0u);
}

TEST_F(NotifyDeliveryTest, TriggerAndResolveArriveInOrderWithOneDedupKey) {
  // The trigger fails once; the resolve, queued right behind it, must still come after it.
  receiver_.script(kPagerDutyPath, {{500}});
  NotifyConfig c = config();
  c.slack.reset();
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kIncidentOpened));
  n.notify(incident(EventKind::kIncidentResolved));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));
  auto got = receivedOn(kPagerDutyPath);
  ASSERT_EQ(got.size(), 3u);
  std::vector<std::string> actions;
  for (const auto& r : got) {
    json j = json::parse(r.body);
    actions.push_back(j["event_action"].get<std::string>() + "/" + std::to_string(r.answered));
    EXPECT_EQ(j["dedup_key"], "shipgate/api/incident/4");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"trigger/500", "trigger/202", "resolve/202"}));
}

TEST_F(NotifyDeliveryTest, AReceiverThatNeverAnswersTimesOutWithoutBlockingNotifyOrStop) {
  HangingListener hang;
  NotifyConfig c = config();
  c.pagerduty.reset();
  c.slack->webhook_url = hang.url(kSlackPath);
  c.timeout = Millis(1000);
  c.retry = {2, Millis(10), Millis(10)};
  c.flush_timeout = Millis(300);
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kRolledBack));
  // Wait until the worker's request hangs on the listener, then keep notifying: every call
  // returns while the attempt is still in flight (no record yet).
  for (int i = 0; i < 2000 && hang.accepted() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(hang.accepted(), 1);
  for (int i = 0; i < 200; ++i) {
    Event e = incident(EventKind::kDeployStarted);
    e.deployment_id = std::to_string(100 + i);
    e.incident_id.clear();
    n.notify(e);
  }
  EXPECT_TRUE(log_.records().empty());
  EXPECT_EQ(n.stats().pending, 201u);

  // Both attempts of the rollback time out, then it is given up. (Meanwhile, during its backoff,
  // the worker may have started on a deploy_started delivery, which hangs as well.)
  auto rollbackRecords = [this] {
    Records out;
    for (const auto& r : log_.records()) {
      if (r.kind == EventKind::kRolledBack) out.push_back(r);
    }
    return out;
  };
  ASSERT_TRUE(log_.waitFor([](const Records& rs) {
    return std::any_of(rs.begin(), rs.end(), [](const DeliveryAttempt& r) {
      return r.kind == EventKind::kRolledBack && r.result == DeliveryResult::kGaveUp;
    });
  }, std::chrono::seconds(20)));
  Records records = rollbackRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].result, DeliveryResult::kRetrying);
  EXPECT_EQ(records[0].http_status, 0);
  EXPECT_NE(records[0].error.find("timed out"), std::string::npos) << records[0].error;
  EXPECT_EQ(records[1].result, DeliveryResult::kGaveUp);
  EXPECT_EQ(records[1].attempt, 2);

  // stop() gives up what is still pending after flush_timeout, cutting the attempt in flight.
  n.stop();
  records = log_.records();
  size_t abandoned = 0;
  for (const auto& r : records) abandoned += r.result == DeliveryResult::kAbandoned;
  EXPECT_GE(abandoned, 199u);
  // The attempt in flight at the flush deadline was cut off, not left to run into its timeout.
  EXPECT_TRUE(std::any_of(records.begin(), records.end(), [](const DeliveryAttempt& r) {
    return r.error.find("cut off") != std::string::npos;
  }));
  EXPECT_EQ(counter(n, "slack", "abandoned"), abandoned);
  EXPECT_EQ(n.stats().pending, 0u);
  uint64_t total = 0;
  for (const auto& ctr : n.stats().counters) {
    if (ctr.result != "retrying") total += ctr.count;
  }
  EXPECT_EQ(total, 201u) << "every event ends delivered, failed, given up or abandoned";
}

TEST_F(NotifyDeliveryTest, SecretsNeverAppearInErrors) {
  // The receiver echoes what it got into its error answer, as some proxies do.
  receiver_.script(kSlackPath, {{404, "", std::string("no hook at ") + kSlackPath}});
  receiver_.script(kPagerDutyPath,
                   {{400, "", std::string("{\"message\":\"bad key ") + kRoutingKey + "\"}"}});
  Notifier n(config(), {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kDeployFailed));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));
  Records records = log_.records();
  ASSERT_EQ(records.size(), 2u);
  for (const auto& r : records) {
    EXPECT_EQ(r.result, DeliveryResult::kFailed);
    EXPECT_EQ(r.error.find("S3CRET"), std::string::npos) << r.error;
    EXPECT_EQ(r.error.find(kRoutingKey), std::string::npos) << r.error;
    EXPECT_NE(r.error.find("HTTP 40"), std::string::npos) << r.error;
  }
}

TEST_F(NotifyDeliveryTest, ConnectionRefusedIsRetriedAndItsErrorHasNoSecret) {
  uint16_t closed = testsupport::freePort();
  ASSERT_NE(closed, 0);
  NotifyConfig c = config();
  c.pagerduty.reset();
  c.slack->webhook_url = "http://127.0.0.1:" + std::to_string(closed) + kSlackPath;
  c.retry = {2, Millis(10), Millis(10)};
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kDeployFailed));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));
  Records records = log_.records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].result, DeliveryResult::kRetrying);
  EXPECT_EQ(records[1].result, DeliveryResult::kGaveUp);
  for (const auto& r : records) {
    EXPECT_EQ(r.http_status, 0);
    EXPECT_FALSE(r.error.empty());
    EXPECT_EQ(r.error.find("S3CRET"), std::string::npos) << r.error;
  }
}

TEST_F(NotifyDeliveryTest, RetryScheduleOnSimulatedTime) {
  // 503, then 429 asking for 30 s, then success; backoff 10 s doubling, lowest jitter.
  receiver_.script(kPagerDutyPath, {{503}, {429, "30"}, {202}});
  SimulatedClock clock;
  NotifyConfig c = config();
  c.slack.reset();
  c.retry = {5, Millis(10'000), Millis(60'000)};
  Notifier n(c, {&log_, &clock, [] { return 0.0; }});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kIncidentOpened));
  ASSERT_TRUE(log_.waitFor([](const Records& r) { return r.size() == 1; }));
  EXPECT_EQ(log_.records()[0].retry_in_ms, 5'000);  // half of 10 s at the lowest jitter

  auto settle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); };
  clock.advance(std::chrono::milliseconds(4'999));
  settle();
  EXPECT_EQ(receiver_.received().size(), 1u) << "retried before its backoff ran out";
  clock.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(log_.waitFor([](const Records& r) { return r.size() == 2; }));
  EXPECT_EQ(log_.records()[1].http_status, 429);
  EXPECT_EQ(log_.records()[1].retry_in_ms, 30'000);  // Retry-After beats the 10 s backoff

  clock.advance(std::chrono::milliseconds(29'999));
  settle();
  EXPECT_EQ(receiver_.received().size(), 2u) << "retried before Retry-After";
  clock.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(log_.waitFor([](const Records& r) { return r.size() == 3; }));
  EXPECT_EQ(log_.records()[2].result, DeliveryResult::kDelivered);
  EXPECT_EQ(log_.records()[2].attempt, 3);
}

TEST_F(NotifyDeliveryTest, WebhookUrlFromAFileAndManyThreadsNotifyingAtOnce) {
  std::string url_file = dir_.writeFile("slack.url", receiver_.url(kSlackPath) + "\n");
  ASSERT_EQ(::chmod(url_file.c_str(), 0600), 0);
  NotifyConfig c = config();
  c.pagerduty.reset();
  c.slack->webhook_url.clear();
  c.slack->webhook_url_file = url_file;
  Notifier n(c, {&log_});
  ASSERT_TRUE(n.start().isOk());
  constexpr int kThreads = 4, kEach = 50;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&n, t] {
      for (int i = 0; i < kEach; ++i) {
        Event e = incident(EventKind::kDeployStarted);
        e.incident_id.clear();
        e.deployment_id = std::to_string(t) + "-" + std::to_string(i);
        n.notify(e);
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_TRUE(n.waitIdle(Millis(30'000)));
  auto got = receivedOn(kSlackPath);
  ASSERT_EQ(got.size(), static_cast<size_t>(kThreads * kEach));
  // Each thread's events arrive in the order it sent them.
  std::map<std::string, int> next;
  for (const auto& r : got) {
    std::string text = json::parse(r.body)["blocks"].dump();
    for (int t = 0; t < kThreads; ++t) {
      std::string prefix = "*Deployment*\\n" + std::to_string(t) + "-";
      size_t at = text.find(prefix);
      if (at == std::string::npos) continue;
      int i = std::stoi(text.substr(at + prefix.size()));
      EXPECT_EQ(i, next[std::to_string(t)]++) << "thread " << t;
    }
  }
  EXPECT_EQ(counter(n, "slack", "delivered"), static_cast<uint64_t>(kThreads * kEach));
}

TEST_F(NotifyDeliveryTest, CountersRenderAsPromtoolCleanMetrics) {
  receiver_.script(kPagerDutyPath, {{400}});
  Notifier n(config(), {&log_});
  ASSERT_TRUE(n.start().isOk());
  n.notify(incident(EventKind::kIncidentOpened));
  ASSERT_TRUE(n.waitIdle(Millis(10'000)));
  std::string text;
  renderNotifierMetrics(n.stats(), text);
  EXPECT_NE(text.find("shipgate_notifications_total{channel=\"slack\",result=\"delivered\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("shipgate_notifications_total{channel=\"pagerduty\",result=\"failed\"} 1\n"),
            std::string::npos) << text;
  EXPECT_NE(text.find("shipgate_notifications_pending 0\n"), std::string::npos) << text;

  std::string file = dir_.writeFile("metrics.txt", text);
  testsupport::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "command -v promtool >/dev/null || exit 77; promtool check metrics < " + file};
  testsupport::Process promtool(o);
  ASSERT_TRUE(promtool.start());
  auto code = promtool.wait(std::chrono::seconds(30));
  ASSERT_TRUE(code.has_value());
  if (*code == 77) GTEST_SKIP() << "promtool not installed";
  EXPECT_EQ(*code, 0) << promtool.stdoutText() << promtool.stderrText();
}

TEST_F(NotifyDeliveryTest, StartRefusesAnUnreadableOrOpenRoutingKeyFile) {
  ASSERT_EQ(::chmod(key_file_.c_str(), 0644), 0);
  Notifier open(config(), {&log_});
  Status st = open.start();
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("routing_key_file"), std::string::npos) << st.toString();
  EXPECT_NE(st.message().find("mode 0644"), std::string::npos) << st.toString();
  EXPECT_EQ(st.message().find(kRoutingKey), std::string::npos);

  NotifyConfig c = config();
  c.pagerduty->routing_key_file = dir_.file("missing.key");
  Notifier missing(c, {&log_});
  EXPECT_FALSE(missing.start().isOk());
}

}  // namespace
}  // namespace shipgate::notify
