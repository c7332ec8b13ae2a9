// The sliding window of RateLimiter (rate_limiter.h) computed in Redis, so that every node that
// shares a store shares the counters (waf.rate_limit.store). One Lua script evaluates the checks
// of one request atomically, all keys in one EVALSHA; its clock is the Redis server's (TIME), so
// every node cuts the same windows: fixed windows of `period` aligned to the Unix epoch, each key
// holding the current and the previous window's count in a hash {w, c, p, b} that expires after
// two periods (plus the mitigation timeout). Same estimate, same limit test, same mitigation and
// Retry-After arithmetic as RateLimiter::hit(), in milliseconds: N requests pass in a fresh
// window, the N+1st is limited.
//
// Keys: sharedWindowKey(rule, client key) = "shipgate:rl:<rule>:<client key>" (a client key
// longer than kMaxClientKeyBytes is replaced by the hex SHA-256 of itself).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/shield/rate_policy.h"

namespace shipgate::shield {

// One rate-limit check of a request, as the store sends it.
struct SharedWindowCheck {
  std::string key;  // sharedWindowKey()
  int64_t limit = 0;
  int64_t period_ms = 0;
  int64_t mitigation_ms = 0;
};

inline constexpr size_t kMaxClientKeyBytes = 200;
std::string sharedWindowKey(std::string_view rule, std::string_view client_key);

// The Lua source. KEYS: one per check; ARGV: limit, period_ms, mitigation_ms per check. Returns
// one array {limited (0|1), retry_after_ms, remaining, reset_ms} per key, in order.
std::string_view sharedWindowScript();

// The script's answer for one key as a RateDecision of `limit` (milliseconds rounded up to
// whole seconds, at least 1 where RateLimiter gives at least 1).
RateDecision sharedWindowDecision(int64_t limit, int64_t limited, int64_t retry_after_ms,
                                  int64_t remaining, int64_t reset_ms);

}  // namespace shipgate::shield
