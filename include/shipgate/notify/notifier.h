// Notifier: tells Slack and PagerDuty what the release controller does. notify(Event) only queues
// (it never blocks on the network, on a full queue or on the delivery log: a rollback that calls
// it carries on at once); one worker thread delivers in the background with libcurl (one easy
// handle per channel, reused), retrying network errors, timeouts, 429 (Retry-After honoured) and
// 5xx with exponential backoff and jitter up to retry.attempts; any other 4xx is a permanent
// failure, logged and not retried. Every attempt is recorded in the DeliveryLog.
//
// Queue: one delivery per (event, channel whose `events:` lists the kind), at most `queue`
// pending. When full, the oldest pending low-priority delivery (deploy_started, deploy_succeeded,
// approval_needed) not yet attempted is dropped; when there is none, a new low-priority event is
// the one dropped; only when everything pending is high priority is the oldest high-priority one
// dropped. Every drop is counted (stats()) and recorded (DeliveryResult::kDropped).
// Order: per channel, deliveries with the same dedup key go out in notify() order, each one only
// after the previous one finished (delivered, failed or gave up): a resolve never overtakes its
// trigger. Deliveries with other keys are not held up by one waiting out its backoff. Among the
// deliveries ready to go, high-priority ones go first. One worker sends one request at a time, so
// an endpoint that does not answer delays the others by at most `timeout` per attempt.
//
// Lifecycle: construct, start(), notify()..., stop(). stop() keeps delivering what is pending for
// at most flush_timeout (an attempt in flight is cut off at that deadline), then records what is
// left as kAbandoned and joins the worker. notify() before start() queues; after stop() it is
// counted as dropped.
// Thread-safety: notify() and stats() from any thread; start()/stop() from the owning thread.
// The DeliveryLog and Clock must outlive the Notifier.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/notify/delivery_log.h"
#include "shipgate/notify/event.h"
#include "shipgate/notify/notify_config.h"

namespace shipgate::notify {

// Counters for shipgate_notifications_total{channel,result} (result = deliveryResultName(), but
// "retrying" counts attempts that will be retried). The integrator renders them on /metrics
// (notify may not depend on metrics/).
struct NotifierStats {
  struct Counter {
    std::string channel;  // "slack", "pagerduty"
    std::string result;   // "delivered", "retrying", "failed", "gave_up", "abandoned", "dropped"
    uint64_t count = 0;
  };
  std::vector<Counter> counters;  // every (channel, result) of the configured channels, zeros too
  uint64_t pending = 0;           // deliveries queued or in flight now
};

// Appends the Prometheus text of `stats` to `out`: the counter family
// shipgate_notifications_total{channel,result} and the gauge shipgate_notifications_pending, each
// with # HELP and # TYPE (promtool-clean). Nothing when no channel is configured. For a
// metrics::Registry collector: registry.addCollector([&n](std::string& out) {
// notify::renderNotifierMetrics(n.stats(), out); }).
void renderNotifierMetrics(const NotifierStats& stats, std::string& out);

struct NotifierOptions {
  DeliveryLog* log = nullptr;                 // null: attempts are only logged and counted
  const Clock* clock = &RealClock::instance();  // at_ms stamps and backoff scheduling
  // Jitter source, a number in [0, 1); null: a per-Notifier pseudo-random generator.
  std::function<double()> random = nullptr;
};

class Notifier {
 public:
  Notifier(NotifyConfig config, NotifierOptions options = {});
  ~Notifier();  // stop()
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Reads the secret files (routing key, webhook URL file) and starts the worker. Errors (an
  // unreadable or too-open secret file) name the channel and the file and start nothing.
  // REQUIRES: not started. With no channel configured it starts nothing and returns ok.
  Status start();
  // Flushes for at most flush_timeout, then stops the worker. Idempotent.
  void stop();

  // Queues the event for every channel whose events: list its kind; stamps at_ms and dedup_key
  // when empty. Never blocks on I/O.
  void notify(Event event);

  NotifierStats stats() const;
  // Blocks until nothing is pending or `timeout` passed (real time); true when idle. For tests and
  // for callers that want delivery before they exit.
  bool waitIdle(Millis timeout) const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shipgate::notify
