// Rate-limit policy: the configuration of one rate-limiting rule, the seed's "100req/min"
// shorthand, and the response headers a limited (or counted) request carries.
//
// Semantics follow Cloudflare's rate limiting rules (structured form):
//   period               window length; the counter is a sliding window of this length.
//   requests_per_period  requests allowed per period and key ("limit").
//   mitigation_timeout   0 = throttle: only requests above the rate are limited, the rest pass.
//                        >0 = once a key goes over the rate, *every* request from it is limited
//                        for this long (then it starts afresh with an empty counter).
//   max_keys             upper bound on the number of keys tracked at once (memory bound);
//                        when full, the least recently used key is evicted.
//   shards               number of independently locked shards (contention vs. precision of
//                        the per-shard key budget: each shard holds at most max_keys / shards).
// The characteristics (which key a request counts against) and the counting expression are
// evaluated by the caller; see RateLimiter.
//
// Headers follow draft-ietf-httpapi-ratelimit-headers in the form
//   RateLimit-Policy: 100;w=60
//   RateLimit: limit=100, remaining=0, reset=37
//   Retry-After: 37                     (limited responses only)
//
// Thread-safety: plain values and pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::shield {

struct RateLimitConfig {
  std::chrono::seconds period{60};
  int64_t requests_per_period = 100;
  std::chrono::seconds mitigation_timeout{0};
  size_t max_keys = 100'000;
  size_t shards = 16;
};

// Ok, or invalidArgument naming the offending setting (period <= 0, requests_per_period <= 0,
// mitigation_timeout < 0, max_keys == 0, shards == 0).
Status validateRateLimitConfig(const RateLimitConfig& config);

// A rate as written in the seed's shorthand.
struct Rate {
  int64_t requests = 0;
  std::chrono::seconds period{0};
  bool operator==(const Rate&) const = default;
};

// Parses "<N>req/<unit>" or "<N>req/<M><unit>", e.g. "100req/min", "5req/s", "20req/10s",
// "1000req/h", "50000req/day". Units: s|sec|second, min|minute, h|hr|hour, d|day (plural forms
// too). "req" may also be spelled "reqs", "request", "requests" or "r". Spaces around the parts
// are allowed; case-insensitive. N and M must be positive integers (N <= 10^12, period <= 1 day
// times 365). Errors are invalidArgument and say what was expected where, e.g.
//   rate "100/min": expected "req" after the count 100, like "100req/min"
Result<Rate> parseRateShorthand(std::string_view text);

// Canonical shorthand for a rate: "100req/min", "20req/10s", "7req/90s".
std::string formatRate(const Rate& rate);

// What RateLimiter says about one request. limit and remaining are in requests; reset_s and
// retry_after_s are whole seconds, rounded up.
struct RateDecision {
  bool limited = false;
  int64_t retry_after_s = 0;  // limited only: seconds until a request from this key would pass
  int64_t limit = 0;          // requests_per_period
  int64_t remaining = 0;      // requests left in the window after this one (0 when limited)
  int64_t reset_s = 0;        // seconds until the quota is (partly) available again
};

struct RateLimitHeaders {
  std::string policy;       // RateLimit-Policy value, "100;w=60"
  std::string rate_limit;   // RateLimit value, "limit=100, remaining=0, reset=37"
  std::string retry_after;  // Retry-After value ("37"); empty when not limited
};

RateLimitHeaders renderRateLimitHeaders(const RateLimitConfig& config,
                                        const RateDecision& decision);

// The same values rendered into fixed buffers, for the request path (no allocation).
class RateLimitHeaderText {
 public:
  RateLimitHeaderText(const RateLimitConfig& config, const RateDecision& decision);
  std::string_view policy() const { return {policy_, policy_size_}; }
  std::string_view rateLimit() const { return {rate_limit_, rate_limit_size_}; }
  std::string_view retryAfter() const { return {retry_after_, retry_after_size_}; }

 private:
  // int64 values (20 bytes at most): "N;w=P" <= 43 bytes, "limit=N, remaining=N, reset=N"
  // <= 86, "N" <= 20.
  char policy_[48];
  char rate_limit_[96];
  char retry_after_[24];
  uint8_t policy_size_ = 0, rate_limit_size_ = 0, retry_after_size_ = 0;
};

}  // namespace shipgate::shield
