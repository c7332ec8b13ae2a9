// RateLimiter: per-key sliding-window request counters for one rate-limiting rule.
//
// The gateway holds one RateLimiter per rule and shares it between all worker threads. For each
// request that matches the rule, the caller computes the key from the rule's characteristics
// (ip.src by default; see composeRateKey for several characteristics) and then either
//   - calls hit(key): check and count in one atomic step (counting expression = the rule's
//     expression, the common case), or
//   - calls check(key) before forwarding and count(key) after the response when the rule has a
//     counting_expression that needs the response (e.g. http.response.code eq 401); count only
//     requests that were not limited and matched the counting expression.
//
// Counting: a sliding-window counter. Time is cut into fixed windows of `period` (aligned to the
// injected Clock's monotonic epoch). Each key keeps the count of the current window and of the
// previous one; the request rate over the last `period` is estimated as
//     estimate = previous * (1 - elapsed_in_current / period) + current
// and a request is limited when estimate >= requests_per_period (so exactly N requests pass in a
// fresh period and the N+1st is limited). Error bound: the estimate is exact when the previous
// window's requests were spread evenly. Since hit() admits at most N requests per fixed window,
// a client can never get more than 2N requests through in any span of `period` (worst case: N at
// the very end of one window, N spread over the next); it may be limited early by the same
// skew. Limited requests are not counted by hit(), so throttle mode (mitigation_timeout == 0)
// lets a client that sends faster than the rate through at about the rate.
//
// Mitigation (mitigation_timeout > 0): the first limited request blocks the key for
// mitigation_timeout; every request from it is limited until then, after which its counters
// start from zero.
//
// Memory: at most max_keys keys (see RateLimitConfig), spread over the shards (each holds at
// most max_keys / shards). Each shard keeps its keys in an open-addressing table (linear
// probing, load factor at most 1/2, backward-shift deletion, no allocation per request) of
// 64-byte entries, one cache line each (src/shield/key_table.h): keys of up to 26 bytes are
// stored inline, longer ones as the first 26 bytes of their SHA-256 digest (see RateKey). A key
// costs approxBytesPerEntry() bytes (two slots), so memory is bounded by
// max_keys * approxBytesPerEntry() plus a few hundred bytes per shard, whatever the keys; a
// shard's table grows by doubling up to its share, so an idle limiter costs little.
// When a shard is full the least recently used key is evicted, approximately (CLOCK with two
// levels: a new key starts at level 1, a key looked up again goes to 2; a hand sweeps the
// shard's table, lowering each key's level by one, and evicts the first key at 0; so a key in
// use outlives keys seen once (a flood of new keys evicts its own kind first), and a key under
// active mitigation stays as long as it keeps sending). Entries idle for two
// periods (and not blocked) are dropped lazily: each new key moves the hand one slot, and an
// idle entry under it is dropped (not counted as an eviction).
//
// Keys: every method takes the key as text or as a RateKey, the key prepared once (copied or
// digested, and hashed): a caller that looks the same key up in several limiters (or prefetches
// it first) prepares it once.
//
// Thread-safety: all methods may be called concurrently; keys are spread over `shards`
// independently locked shards. The Clock must outlive the limiter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/status.h"
#include "shipgate/shield/rate_policy.h"

namespace shipgate::shield {

// A rate-limit key prepared for lookups, valid in every RateLimiter of the process: keys of up
// to kKeyBytes bytes are kept as they are, longer ones as the first kKeyBytes bytes (208 bits)
// of their SHA-256 digest, flagged, so a digest never equals a raw key; then hashed once with a
// seed random per process (a client cannot pick keys that collide in every process). A value:
// it holds no view of the text it was made from.
class RateKey {
 public:
  static constexpr size_t kKeyBytes = 26;
  explicit RateKey(std::string_view key);
  uint64_t hash() const { return hash_; }
  // The same key with its hash replaced: lets tests build collisions and wraparounds.
  static RateKey withHashForTest(std::string_view key, uint64_t hash);

 private:
  friend class KeyTable;
  // The key bytes zero-padded, then the tag: size | digest << 5 | 1 << 6 (never 0).
  alignas(8) unsigned char bytes_[kKeyBytes + 1] = {};
  uint64_t hash_ = 0;
};

class RateLimiter {
 public:
  // invalidArgument when validateRateLimitConfig fails.
  static Result<std::unique_ptr<RateLimiter>> create(const RateLimitConfig& config,
                                                     const Clock& clock);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Decision for a request from `key` without counting it. Starts the mitigation period when
  // the key is over the rate and mitigation_timeout > 0.
  RateDecision check(std::string_view key) { return check(RateKey(key)); }
  RateDecision check(const RateKey& key);
  // Counts one request against `key` (e.g. after the response, when it matched the counting
  // expression). Counting while the key is blocked has no effect.
  void count(std::string_view key) { count(RateKey(key)); }
  void count(const RateKey& key);
  // check() and, when not limited, count() as one atomic step. Returns the decision.
  RateDecision hit(std::string_view key) { return hit(RateKey(key)); }
  RateDecision hit(const RateKey& key);

  // A hint, for a caller that will look `key` up shortly: starts loading the memory where it
  // lives, so the lookup finds it in cache. No lock, no effect on any count.
  void prefetch(const RateKey& key) const;

  // The sliding-window estimate of requests counted for `key` over the last period (0 for an
  // unknown key), without counting. With period = 60 s this is the "requests per minute from
  // this client" the bot score wants.
  double rateEstimate(std::string_view key) { return rateEstimate(RateKey(key)); }
  double rateEstimate(const RateKey& key);
  // count() then rateEstimate() in one step (one lookup): the estimate includes this request.
  double countAndEstimate(std::string_view key) { return countAndEstimate(RateKey(key)); }
  double countAndEstimate(const RateKey& key);

  const RateLimitConfig& config() const { return config_; }
  // Number of keys currently tracked (<= config().max_keys).
  size_t keyCount() const;
  // Approximate bytes held by the key tables (entries, keys, index).
  size_t approxMemoryBytes() const;
  static size_t approxBytesPerEntry();
  // Total evictions because a shard was full (not counting idle drops).
  uint64_t evictions() const;

 private:
  struct Shard;
  RateLimiter(const RateLimitConfig& config, const Clock& clock);
  size_t shardIndex(uint64_t hash) const;
  enum class Mode { kCheck, kCount, kHit, kEstimate, kCountAndEstimate };
  RateDecision run(const RateKey& key, Mode mode, double* estimate = nullptr);

  const RateLimitConfig config_;
  const Clock& clock_;
  size_t per_shard_capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

// Joins several characteristic values into one key, unambiguously: each part is length-prefixed
// and a missing value (nullopt) is distinct from an empty one, as on Cloudflare.
// composeRateKey({"203.0.113.7", "/login"}) != composeRateKey({"203.0.113.7/", "login"}).
std::string composeRateKey(const std::vector<std::optional<std::string_view>>& parts);

}  // namespace shipgate::shield
