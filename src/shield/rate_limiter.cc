// RateLimiter: sharded sliding-window counters in open-addressing tables with CLOCK eviction.
// See rate_limiter.h.
#include "shipgate/shield/rate_limiter.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstring>
#include <random>

#include "key_table.h"
#include "shipgate/common/mutex.h"

namespace shipgate::shield {
namespace {

constexpr int64_t kMaxCount = 1'000'000'000'000'000;  // saturation guard
constexpr int64_t kNanosPerSecond = 1'000'000'000;
constexpr size_t kTagAt = RateKey::kKeyBytes;
constexpr unsigned char kDigestTag = 1 << 5, kUsedTag = 1 << 6;

using Wide = __int128;

int64_t ceilSeconds(Wide ns) {
  if (ns <= 0) return 0;
  return static_cast<int64_t>((ns + kNanosPerSecond - 1) / kNanosPerSecond);
}

// The keys' hash: the 27 bytes of a prepared key (key, padding and tag) as four 8-byte words
// (the last overlapping) through a multiply-xorshift mix, seeded once per process.
uint64_t mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  return x ^ (x >> 32);
}

uint64_t processSeed() {
  static const uint64_t seed = [] {
    std::random_device rd;
    return (static_cast<uint64_t>(rd()) << 32) ^ rd();
  }();
  return seed;
}

uint64_t hashPrepared(const unsigned char* p) {
  uint64_t w[4];
  std::memcpy(&w[0], p, 8);
  std::memcpy(&w[1], p + 8, 8);
  std::memcpy(&w[2], p + 16, 8);
  std::memcpy(&w[3], p + 19, 8);
  uint64_t h = processSeed();
  for (uint64_t x : w) h = mix(h ^ x) + 0x9e3779b97f4a7c15ULL;
  return mix(h);
}

}  // namespace

RateKey::RateKey(std::string_view key) {
  if (const size_t n = key.size(); n <= kKeyBytes) {
    // Two fixed-size copies that overlap (no call for a variable-length copy): the bytes past
    // the key stay zero.
    const char* p = key.data();
    if (n >= 16) {
      std::memcpy(bytes_, p, 16);
      std::memcpy(bytes_ + n - 16, p + n - 16, 16);
    } else if (n >= 8) {
      std::memcpy(bytes_, p, 8);
      std::memcpy(bytes_ + n - 8, p + n - 8, 8);
    } else if (n >= 4) {
      std::memcpy(bytes_, p, 4);
      std::memcpy(bytes_ + n - 4, p + n - 4, 4);
    } else {
      for (size_t i = 0; i < n; ++i) bytes_[i] = static_cast<unsigned char>(p[i]);
    }
    bytes_[kTagAt] = static_cast<unsigned char>(n) | kUsedTag;
  } else {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
    std::memcpy(bytes_, digest, kKeyBytes);
    bytes_[kTagAt] = static_cast<unsigned char>(kKeyBytes) | kDigestTag | kUsedTag;
  }
  hash_ = hashPrepared(bytes_);
}

RateKey RateKey::withHashForTest(std::string_view key, uint64_t hash) {
  RateKey k(key);
  k.hash_ = hash;
  return k;
}

struct alignas(64) RateLimiter::Shard {
  explicit Shard(size_t limit) : table(limit) {}
  Mutex mu;
  KeyTable table GUARDED_BY(mu);
};

RateLimiter::RateLimiter(const RateLimitConfig& config, const Clock& clock)
    : config_(config), clock_(clock) {
  size_t n = std::min(config.shards, config.max_keys);
  per_shard_capacity_ = config.max_keys / n;
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>(per_shard_capacity_));
}

RateLimiter::~RateLimiter() = default;

Result<std::unique_ptr<RateLimiter>> RateLimiter::create(const RateLimitConfig& config,
                                                         const Clock& clock) {
  SG_RETURN_IF_ERROR(validateRateLimitConfig(config));
  return std::unique_ptr<RateLimiter>(new RateLimiter(config, clock));
}

// The shard from the hash's top bits; the slot within it from the low 32 (see KeyTable).
size_t RateLimiter::shardIndex(uint64_t hash) const {
  return static_cast<size_t>(((hash >> 32) * shards_.size()) >> 32);
}

// KeyTable::prefetch reads only what the table publishes atomically for it: no lock.
void RateLimiter::prefetch(const RateKey& key) const NO_THREAD_SAFETY_ANALYSIS {
  shards_[shardIndex(key.hash())]->table.prefetch(key);
}

RateDecision RateLimiter::check(const RateKey& key) { return run(key, Mode::kCheck); }
void RateLimiter::count(const RateKey& key) { (void)run(key, Mode::kCount); }
double RateLimiter::rateEstimate(const RateKey& key) {
  double e = 0;
  (void)run(key, Mode::kEstimate, &e);
  return e;
}
double RateLimiter::countAndEstimate(const RateKey& key) {
  double e = 0;
  (void)run(key, Mode::kCountAndEstimate, &e);
  return e;
}
RateDecision RateLimiter::hit(const RateKey& key) { return run(key, Mode::kHit); }

RateDecision RateLimiter::run(const RateKey& key, Mode mode, double* estimate) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count();
  const int64_t period =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config_.period).count();
  const int64_t limit = config_.requests_per_period;
  const int64_t window = now / period;
  const int64_t elapsed = now - window * period;

  RateDecision d;
  d.limit = limit;

  Shard& shard = *shards_[shardIndex(key.hash())];
  MutexLock lock(shard.mu);

  WindowCounter scratch;  // a key never seen behaves as an empty counter
  scratch.window = window;
  WindowCounter* c = shard.table.find(key);
  if (c == nullptr) {
    c = &scratch;
    if (mode != Mode::kCheck && mode != Mode::kEstimate) {
      c = &shard.table.insert(key, scratch, window, now);
    }
  }

  // Blocked by an earlier mitigation?
  if (c->blocked_until > now) {
    d.limited = true;
    d.retry_after_s = std::max<int64_t>(1, ceilSeconds(Wide(c->blocked_until) - now));
    d.reset_s = d.retry_after_s;
    return d;
  }
  if (c->blocked_until != 0) *c = WindowCounter{window, 0, 0, 0};  // mitigation over: afresh

  // Roll the windows forward.
  if (c->window != window) {
    c->previous = (c->window == window - 1) ? c->current : 0;
    c->current = 0;
    c->window = window;
  }

  if (mode == Mode::kCount || mode == Mode::kCountAndEstimate) {
    if (c->current < kMaxCount) ++c->current;
    if (mode == Mode::kCount) return d;
  }

  // estimate * period, exactly.
  const Wide scaled = Wide(c->previous) * (period - elapsed) + Wide(c->current) * period;
  const Wide scaled_limit = Wide(limit) * period;
  if (mode == Mode::kEstimate || mode == Mode::kCountAndEstimate) {
    if (estimate) *estimate = static_cast<double>(scaled) / static_cast<double>(period);
    return d;
  }
  if (scaled >= scaled_limit) {
    d.limited = true;
    Wide wait;
    if (config_.mitigation_timeout.count() > 0) {
      wait = Wide(config_.mitigation_timeout.count()) * kNanosPerSecond;
      c->blocked_until = now + static_cast<int64_t>(wait);
    } else if (c->current < limit) {
      // Within this window: previous * (period - e) / period + current < limit.
      Wide e_needed = period - Wide(period) * (limit - c->current) / c->previous;
      wait = e_needed + 1 - elapsed;
    } else {
      // Next window: current * (period - e) / period < limit.
      Wide e_needed = period - Wide(period) * limit / c->current;
      wait = (period - elapsed) + e_needed + 1;
    }
    d.retry_after_s = std::max<int64_t>(1, ceilSeconds(wait));
    d.reset_s = d.retry_after_s;
    return d;
  }
  if (mode == Mode::kHit && c->current < kMaxCount) ++c->current;
  // Remaining after this request: floor(limit - (estimate + 1)), clamped at 0.
  const Wide left = scaled_limit - (scaled + period);
  d.remaining = left <= 0 ? 0 : static_cast<int64_t>(left / period);
  d.reset_s = std::max<int64_t>(1, ceilSeconds(Wide(period) - elapsed));
  return d;
}

size_t RateLimiter::keyCount() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    MutexLock lock(s->mu);
    n += s->table.size();
  }
  return n;
}

size_t RateLimiter::approxBytesPerEntry() { return 2 * KeyTable::kEntryBytes; }

size_t RateLimiter::approxMemoryBytes() const {
  size_t bytes = sizeof(*this) + shards_.capacity() * sizeof(shards_[0]);
  for (const auto& s : shards_) {
    MutexLock lock(s->mu);
    bytes += sizeof(Shard) - sizeof(KeyTable) + s->table.memoryBytes();
  }
  return bytes;
}

uint64_t RateLimiter::evictions() const {
  uint64_t n = 0;
  for (const auto& s : shards_) {
    MutexLock lock(s->mu);
    n += s->table.evictions();
  }
  return n;
}

std::string composeRateKey(const std::vector<std::optional<std::string_view>>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (!p) {
      out += "-;";
      continue;
    }
    out += std::to_string(p->size());
    out += ':';
    out.append(*p);
    out += ';';
  }
  return out;
}

}  // namespace shipgate::shield
