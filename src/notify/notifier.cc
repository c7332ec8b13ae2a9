// The Notifier: a bounded queue of deliveries and one worker thread that sends them with libcurl
// (see notify/notifier.h).
#include "shipgate/notify/notifier.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <random>
#include <thread>
#include <utility>

#include "http_post.h"
#include "shipgate/common/log.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/thread_name.h"
#include "shipgate/notify/delivery_queue.h"
#include "shipgate/notify/payloads.h"
#include "shipgate/notify/retry.h"

namespace shipgate::notify {
namespace {

constexpr size_t kMaxPendingRecords = 1024;
// Longest single wait while a retry is scheduled: a SimulatedClock moved by a test is noticed
// within this much real time.
constexpr Millis kMaxScheduledWait{50};
constexpr DeliveryResult kAllResults[] = {
    DeliveryResult::kDelivered, DeliveryResult::kRetrying,  DeliveryResult::kFailed,
    DeliveryResult::kGaveUp,    DeliveryResult::kAbandoned, DeliveryResult::kDropped,
};

enum class ChannelKind { kSlack, kPagerDuty };

struct Channel {
  ChannelKind kind;
  std::string name;
  std::array<bool, std::size(kAllEventKinds)> wants{};
  // Set by start() before the worker runs; read by the worker only.
  std::string url;
  std::string routing_key;
  std::unique_ptr<HttpPost> http;
};

std::string scrub(std::string text, const std::string& secret) {
  if (secret.size() < 2) return text;
  for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
    text.replace(at, secret.size(), "[redacted]");
  }
  return text;
}

// The secret part of a webhook URL: everything after scheme://authority.
std::string pathOf(const std::string& url) {
  size_t scheme = url.find("://");
  size_t path = url.find_first_of("/?#", scheme == std::string::npos ? 0 : scheme + 3);
  return path == std::string::npos ? std::string() : url.substr(path);
}

}  // namespace

class Notifier::Impl {
 public:
  Impl(NotifyConfig config, NotifierOptions options)
      : config_(std::move(config)),
        options_(std::move(options)),
        queue_(std::max<size_t>(config_.queue, 1)) {
    if (options_.clock == nullptr) options_.clock = &RealClock::instance();
    if (!options_.random) {
      auto rng = std::make_shared<std::mt19937_64>(std::random_device{}());
      options_.random = [rng] { return std::uniform_real_distribution<double>(0, 1)(*rng); };
    }
    if (config_.slack) addChannel(ChannelKind::kSlack, "slack", config_.slack->events);
    if (config_.pagerduty) {
      addChannel(ChannelKind::kPagerDuty, "pagerduty", config_.pagerduty->events);
    }
  }

  ~Impl() { stop(); }

  Status start() {
    {
      MutexLock lock(mu_);
      if (started_ || stopping_) return Status::failedPrecondition("notifier already started");
    }
    if (channels_.empty()) return Status::success();
    for (auto& ch : channels_) {
      if (ch.kind == ChannelKind::kSlack) {
        ch.url = config_.slack->webhook_url;
        if (ch.url.empty()) {
          auto url =
              readSecretFile(config_.slack->webhook_url_file, config_.slack->allow_insecure_file);
          if (!url.isOk()) {
            return Status::invalidArgument("notifications.slack.webhook_url_file: " +
                                           url.status().message());
          }
          if (redactUrl(*url) == "\xE2\x80\xA6") {
            return Status::invalidArgument(
                "notifications.slack.webhook_url_file: " + config_.slack->webhook_url_file +
                " does not hold an http:// or https:// URL");
          }
          ch.url = std::move(*url);
        }
      } else {
        ch.url = config_.pagerduty->url;
        auto key = readSecretFile(config_.pagerduty->routing_key_file,
                                  config_.pagerduty->allow_insecure_file);
        if (!key.isOk()) {
          return Status::invalidArgument("notifications.pagerduty.routing_key_file: " +
                                         key.status().message());
        }
        ch.routing_key = std::move(*key);
      }
      ch.http = std::make_unique<HttpPost>();
      if (!ch.http->valid()) return Status::internal("libcurl: cannot create a handle");
    }
    MutexLock lock(mu_);
    started_ = true;
    worker_ = std::thread([this] {
      setThreadName("sg-notify");
      run();
    });
    return Status::success();
  }

  void stop() {
    std::vector<DeliveryAttempt> leftovers;
    {
      MutexLock lock(mu_);
      if (stopping_) return;
      stopping_ = true;
      flush_deadline_ = std::chrono::steady_clock::now() + config_.flush_timeout;
      wake_.notifyAll();
      if (!started_) {
        // No worker: what is queued was never attempted.
        abandonLocked();
        leftovers.swap(records_);
      } else {
        while (!worker_done_ && std::chrono::steady_clock::now() < flush_deadline_) {
          idle_.waitFor(lock, flush_deadline_ - std::chrono::steady_clock::now());
        }
      }
    }
    for (const auto& r : leftovers) writeRecord(r);
    if (worker_.joinable()) {
      abort_.store(true);  // cuts an attempt still in flight at the deadline
      wake_.notifyAll();
      worker_.join();
    }
  }

  void notify(Event event) {
    if (channels_.empty()) return;
    if (event.at_ms == 0) event.at_ms = options_.clock->wallMillis();
    if (event.dedup_key.empty()) event.dedup_key = defaultDedupKey(event);
    size_t kind = static_cast<size_t>(event.kind);
    MutexLock lock(mu_);
    for (size_t i = 0; i < channels_.size(); ++i) {
      if (kind >= channels_[i].wants.size() || !channels_[i].wants[kind]) continue;
      Delivery d;
      d.channel = static_cast<int>(i);
      d.event = event;
      d.not_before = options_.clock->now();
      if (stopping_) {
        dropLocked(d, "the notifier has stopped");
        continue;
      }
      std::optional<Delivery> dropped = queue_.push(std::move(d));
      if (dropped) dropLocked(*dropped, "the notification queue is full");
    }
    wake_.notifyOne();
  }

  NotifierStats stats() const {
    MutexLock lock(mu_);
    NotifierStats s;
    for (size_t i = 0; i < channels_.size(); ++i) {
      for (DeliveryResult r : kAllResults) {
        auto it = counts_.find({static_cast<int>(i), r});
        s.counters.push_back({channels_[i].name, std::string(deliveryResultName(r)),
                              it == counts_.end() ? 0 : it->second});
      }
    }
    s.pending = queue_.size();
    return s;
  }

  bool waitIdle(Millis timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    while (!idleLocked()) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      idle_.waitFor(lock, deadline - now);
    }
    return true;
  }

 private:
  void addChannel(ChannelKind kind, std::string name, const std::vector<EventKind>& events) {
    Channel ch;
    ch.kind = kind;
    ch.name = std::move(name);
    for (EventKind k : events) ch.wants[static_cast<size_t>(k)] = true;
    channels_.push_back(std::move(ch));
  }

  // Nothing queued or in flight, and every record written (or none will ever be: stopped).
  bool idleLocked() const REQUIRES(mu_) {
    bool no_writer = stopping_ && (worker_done_ || !started_);
    return queue_.empty() && !writing_ && (records_.empty() || no_writer);
  }

  DeliveryAttempt recordOf(const Delivery& d, DeliveryResult result) const {
    DeliveryAttempt a;
    a.channel = channels_[static_cast<size_t>(d.channel)].name;
    a.kind = d.event.kind;
    a.dedup_key = d.event.dedup_key;
    a.app = d.event.app;
    a.deployment_id = d.event.deployment_id;
    a.incident_id = d.event.incident_id;
    a.attempt = d.attempts;
    a.result = result;
    a.at_ms = options_.clock->wallMillis();
    return a;
  }

  void countLocked(int channel, DeliveryResult r) REQUIRES(mu_) { ++counts_[{channel, r}]; }

  void pushRecordLocked(DeliveryAttempt a) REQUIRES(mu_) {
    if (records_.size() >= kMaxPendingRecords) {
      // The DeliveryLog is far behind: keep notify() from growing memory without bound.
      if (records_lost_++ % 1000 == 0) {
        log::warn("notify: the delivery log is behind; " + std::to_string(records_lost_) +
                  " record(s) not written so far");
      }
      return;
    }
    records_.push_back(std::move(a));
  }

  void dropLocked(const Delivery& d, const std::string& why) REQUIRES(mu_) {
    countLocked(d.channel, DeliveryResult::kDropped);
    DeliveryAttempt a = recordOf(d, DeliveryResult::kDropped);
    a.error = why;
    log::warn("notify: dropped " + std::string(eventKindName(d.event.kind)) + " for " + a.channel +
              " (" + d.event.dedup_key + "): " + why);
    pushRecordLocked(std::move(a));
  }

  void abandonLocked() REQUIRES(mu_) {
    for (Delivery& d : queue_.drain()) {
      countLocked(d.channel, DeliveryResult::kAbandoned);
      DeliveryAttempt a = recordOf(d, DeliveryResult::kAbandoned);
      a.error = "still pending when the notifier stopped";
      log::warn("notify: gave up " + std::string(eventKindName(d.event.kind)) + " for " +
                a.channel + " (" + d.event.dedup_key + ") at shutdown after " +
                std::to_string(d.attempts) + " attempt(s)");
      pushRecordLocked(std::move(a));
    }
  }

  // Stopping and nothing more can go out before the flush deadline.
  bool flushOverLocked() REQUIRES(mu_) {
    if (queue_.empty()) return true;
    auto real_now = std::chrono::steady_clock::now();
    if (real_now >= flush_deadline_) return true;
    auto next = queue_.nextReadyAt();
    if (!next) return true;
    return *next - options_.clock->now() > flush_deadline_ - real_now;
  }

  void waitLocked(MutexLock& lock) REQUIRES(mu_) {
    auto next = queue_.nextReadyAt();
    std::chrono::nanoseconds wait = kMaxScheduledWait;
    if (next) wait = std::min<std::chrono::nanoseconds>(wait, *next - options_.clock->now());
    if (stopping_) {
      wait = std::min<std::chrono::nanoseconds>(wait,
                                                flush_deadline_ - std::chrono::steady_clock::now());
    }
    if (!next && !stopping_) {
      wake_.wait(lock);
    } else if (wait.count() > 0) {
      wake_.waitFor(lock, wait);
    }
  }

  void run() {
    for (;;) {
      std::vector<DeliveryAttempt> records;
      std::optional<Delivery> next;
      bool done = false;
      {
        MutexLock lock(mu_);
        for (;;) {
          if (!records_.empty()) {
            records.swap(records_);
            writing_ = true;
            break;
          }
          if (stopping_ && flushOverLocked()) {
            abandonLocked();
            records.swap(records_);
            writing_ = true;
            done = true;
            break;
          }
          next = queue_.takeReady(options_.clock->now());
          if (next) break;
          idle_.notifyAll();
          waitLocked(lock);
        }
      }
      for (const auto& r : records) writeRecord(r);
      if (!records.empty()) {
        MutexLock lock(mu_);
        writing_ = false;
        if (done) worker_done_ = true;
        idle_.notifyAll();
      } else if (done) {
        MutexLock lock(mu_);
        worker_done_ = true;
        writing_ = false;
        idle_.notifyAll();
      }
      if (done) return;
      if (next) deliver(*next);
    }
  }

  void deliver(Delivery d) {
    Channel& ch = channels_[static_cast<size_t>(d.channel)];
    std::string body = ch.kind == ChannelKind::kSlack ? slackPayload(d.event)
                                                      : pagerDutyPayload(d.event, ch.routing_key);
    PostResult r = ch.http->post(ch.url, body, config_.connect_timeout, config_.timeout, &abort_);
    d.attempts += 1;
    AttemptVerdict verdict = classifyAttempt(r.http_status);
    DeliveryResult result;
    Millis delay{0};
    if (verdict == AttemptVerdict::kDelivered) {
      result = DeliveryResult::kDelivered;
    } else if (verdict == AttemptVerdict::kPermanent) {
      result = DeliveryResult::kFailed;
    } else if (d.attempts >= config_.retry.attempts) {
      result = DeliveryResult::kGaveUp;
    } else {
      result = DeliveryResult::kRetrying;
      delay = backoffDelay(config_.retry, d.attempts, options_.random(), r.retry_after);
    }
    DeliveryAttempt a = recordOf(d, result);
    a.http_status = r.http_status;
    // Secrets never reach a log: the webhook URL (its path is the credential), the routing key.
    a.error = ch.kind == ChannelKind::kSlack ? scrub(scrub(r.error, ch.url), pathOf(ch.url))
                                             : scrub(r.error, ch.routing_key);
    a.retry_in_ms = delay.count();
    std::string what = std::string(eventKindName(d.event.kind)) + " to " + ch.name + " (" +
                       d.event.dedup_key + ", attempt " + std::to_string(d.attempts) + ")";
    switch (result) {
      case DeliveryResult::kDelivered:
        log::debug("notify: delivered " + what);
        break;
      case DeliveryResult::kRetrying:
        log::info("notify: " + what + " failed: " + a.error + "; retrying in " +
                  std::to_string(delay.count()) + " ms");
        break;
      case DeliveryResult::kFailed:
        log::warn("notify: " + what + " failed permanently: " + a.error);
        break;
      default:
        log::warn("notify: " + what + " failed: " + a.error + "; no attempts left");
        break;
    }
    MutexLock lock(mu_);
    countLocked(d.channel, result);
    if (result == DeliveryResult::kRetrying) {
      queue_.retry(d.id, d.attempts, options_.clock->now() + delay);
    } else {
      queue_.finish(d.id);
    }
    pushRecordLocked(std::move(a));
  }

  void writeRecord(const DeliveryAttempt& a) {
    if (options_.log != nullptr) options_.log->record(a);
  }

  const NotifyConfig config_;
  NotifierOptions options_;
  std::vector<Channel> channels_;  // fixed at construction (url/key/http set by start())
  std::atomic<bool> abort_{false};
  std::thread worker_;

  mutable Mutex mu_;
  CondVar wake_;          // work queued, or stop
  mutable CondVar idle_;  // the worker finished something or went idle
  DeliveryQueue queue_ GUARDED_BY(mu_);
  std::vector<DeliveryAttempt> records_ GUARDED_BY(mu_);  // for the DeliveryLog, in order
  uint64_t records_lost_ GUARDED_BY(mu_) = 0;
  std::map<std::pair<int, DeliveryResult>, uint64_t> counts_ GUARDED_BY(mu_);
  bool started_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  bool writing_ GUARDED_BY(mu_) = false;
  bool worker_done_ GUARDED_BY(mu_) = false;
  std::chrono::steady_clock::time_point flush_deadline_ GUARDED_BY(mu_);
};

Notifier::Notifier(NotifyConfig config, NotifierOptions options)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(options))) {}
Notifier::~Notifier() { impl_->stop(); }
Status Notifier::start() { return impl_->start(); }
void Notifier::stop() { impl_->stop(); }
void Notifier::notify(Event event) { impl_->notify(std::move(event)); }
NotifierStats Notifier::stats() const { return impl_->stats(); }
bool Notifier::waitIdle(Millis timeout) const { return impl_->waitIdle(timeout); }

}  // namespace shipgate::notify
