// The retry schedule of a delivery: which answers are retried and how long to wait before the
// next attempt. Network errors, timeouts, 429 and 5xx are retried; 2xx is delivered; anything else
// (other 4xx, 3xx: redirects are not followed, 1xx) is permanent.
// Delay after failed attempt n (1-based): base = min(max_backoff, initial_backoff * 2^(n-1)),
// delay = base/2 + jitter * base/2 with jitter in [0, 1) ("equal jitter": never less than half
// the exponential step, so a fleet spreads out without retrying at once). A Retry-After from the
// server (429 or 503) raises the delay to at least its value, capped at kMaxRetryAfter.
// Thread: pure functions.
#pragma once

#include <optional>

#include "shipgate/common/clock.h"
#include "shipgate/notify/notify_config.h"

namespace shipgate::notify {

enum class AttemptVerdict { kDelivered, kRetry, kPermanent };

inline constexpr Millis kMaxRetryAfter{3'600'000};

// http_status 0 = no HTTP answer (connect error, reset, timeout): retried.
AttemptVerdict classifyAttempt(int http_status);

// REQUIRES: failed_attempts >= 1, jitter in [0, 1).
Millis backoffDelay(const RetryPolicy& policy, int failed_attempts, double jitter,
                    std::optional<Millis> retry_after = std::nullopt);

}  // namespace shipgate::notify
