// DeliveryLog: where the Notifier records every delivery attempt of every event on every channel,
// and every delivery it gave up or dropped. The release slice adapts the state store's
// notification delivery log to it; tests collect the records in memory.
// Thread: record() is called from the Notifier's worker thread (or, for a Notifier that was
// never started, from stop()'s caller), never from notify()'s caller, one call at a time; an implementation may block briefly (a store write), which delays
// later deliveries but never a notify() caller. It must not call back into the Notifier.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/notify/event.h"

namespace shipgate::notify {

enum class DeliveryResult {
  kDelivered,  // 2xx
  kRetrying,   // network error, timeout, 429 or 5xx; another attempt is scheduled
  kFailed,     // permanent: any other 4xx (or 3xx); not retried
  kGaveUp,     // retryable failure on the last of retry.attempts
  kAbandoned,  // still pending when stop()'s flush time ran out; never attempted again
  kDropped,    // dropped from a full queue before its first attempt
};
// "delivered", "retrying", "failed", "gave_up", "abandoned", "dropped".
std::string_view deliveryResultName(DeliveryResult result);

struct DeliveryAttempt {
  std::string channel;  // "slack", "pagerduty"
  EventKind kind = EventKind::kDeployStarted;
  std::string dedup_key;
  std::string app;
  std::string deployment_id;
  std::string incident_id;
  int attempt = 0;              // 1-based; 0 for kAbandoned/kDropped before any attempt
  int http_status = 0;          // 0: no HTTP answer (network error, timeout, or not attempted)
  std::string error;            // empty when delivered; never holds a secret (URLs redacted)
  DeliveryResult result = DeliveryResult::kDelivered;
  int64_t retry_in_ms = 0;      // kRetrying: the delay before the next attempt
  int64_t at_ms = 0;            // ms since the epoch, when the attempt ended
};

class DeliveryLog {
 public:
  virtual ~DeliveryLog() = default;
  virtual void record(const DeliveryAttempt& attempt) = 0;
};

}  // namespace shipgate::notify
