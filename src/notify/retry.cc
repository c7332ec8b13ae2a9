// The retry schedule (see notify/retry.h).
#include "shipgate/notify/retry.h"

#include <algorithm>

namespace shipgate::notify {

AttemptVerdict classifyAttempt(int http_status) {
  if (http_status >= 200 && http_status < 300) return AttemptVerdict::kDelivered;
  if (http_status == 0 || http_status == 429 || (http_status >= 500 && http_status < 600)) {
    return AttemptVerdict::kRetry;
  }
  return AttemptVerdict::kPermanent;
}

Millis backoffDelay(const RetryPolicy& policy, int failed_attempts, double jitter,
                    std::optional<Millis> retry_after) {
  int64_t cap = std::max<int64_t>(policy.max_backoff.count(), 1);
  int64_t base = std::clamp<int64_t>(policy.initial_backoff.count(), 1, cap);
  for (int i = 1; i < failed_attempts && base < cap; ++i) base = std::min(cap, base * 2);
  jitter = std::clamp(jitter, 0.0, 1.0);
  const int64_t half = base / 2;  // the delay is in [half, base]
  int64_t delay = half + static_cast<int64_t>(jitter * static_cast<double>(base - half));
  if (retry_after.has_value()) {
    delay = std::max(delay, std::min(retry_after->count(), kMaxRetryAfter.count()));
  }
  return Millis(delay);
}

}  // namespace shipgate::notify
