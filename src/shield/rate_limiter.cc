// RateLimiter: sharded sliding-window counters in open-addressing tables with CLOCK eviction.
// See rate_limiter.h.
#include "shipgate/shield/rate_limiter.h"

#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <functional>
#include <random>

#include "shipgate/common/mutex.h"

namespace shipgate::shield {
namespace {

constexpr size_t kInlineKeyBytes = 26;  // longer keys: a 26-byte prefix of their SHA-256 digest
constexpr size_t kMinEntries = 8;       // a shard's first table
constexpr int64_t kMaxCount = 1'000'000'000'000'000;  // saturation guard
constexpr int64_t kNanosPerSecond = 1'000'000'000;

using Wide = __int128;

int64_t ceilSeconds(Wide ns) {
  if (ns <= 0) return 0;
  return static_cast<int64_t>((ns + kNanosPerSecond - 1) / kNanosPerSecond);
}

// The table's hash of a stored key: 8 bytes at a time through a multiply-xorshift mix, seeded
// per limiter (a client cannot pick keys that collide in every process).
uint64_t mix(uint64_t x) {
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  x *= 0xd6e8feb86659fd93ULL;
  return x ^ (x >> 32);
}
uint64_t hashBytes(const char* p, size_t n, uint64_t seed) {
  uint64_t h = seed ^ (n * 0x9e3779b97f4a7c15ULL);
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = mix(h ^ w ^ (uint64_t{n} << 59));
  }
  return mix(h);
}

// A key as the table stores it: up to kInlineKeyBytes bytes as they are, longer ones as the
// first kInlineKeyBytes bytes (208 bits) of their SHA-256 digest, flagged, so a digest never
// equals a raw key of the same bytes.
struct StoredKey {
  const char* data = nullptr;
  uint8_t size = 0;
  bool digest = false;
  uint64_t hash = 0;
  unsigned char buf[SHA256_DIGEST_LENGTH];  // the digest, when the key is long

  StoredKey(std::string_view key, uint64_t seed) {
    if (key.size() <= kInlineKeyBytes) {
      data = key.data();
      size = static_cast<uint8_t>(key.size());
    } else {
      SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), buf);
      data = reinterpret_cast<const char*>(buf);
      size = kInlineKeyBytes;
      digest = true;
    }
    hash = hashBytes(data, size, digest ? ~seed : seed);
  }
};

struct Counter {
  int64_t window = 0;         // index of the current fixed window
  int64_t current = 0;        // requests counted in the current window
  int64_t previous = 0;       // requests counted in the previous window
  int64_t blocked_until = 0;  // monotonic ns; 0 = not blocked
};

// One key: one cache line, stored in the open-addressing table itself (a lookup touches the
// lines of its probe sequence only: one, usually).
struct alignas(64) Entry {
  Counter counter;
  uint32_t hash_low = 0;  // the hash's low 32 bits: the entry's home slot
  uint8_t key_size : 5 = 0;
  uint8_t digest : 1 = 0;
  uint8_t used : 1 = 0;  // the slot holds a key
  // CLOCK level: 1 for a new key, 2 once looked up again; the hand lowers it by one each time
  // it passes and evicts a key at 0.
  uint8_t level = 0;
  char key[kInlineKeyBytes];

  bool holds(const StoredKey& k) const {
    return hash_low == static_cast<uint32_t>(k.hash) && key_size == k.size &&
           digest == (k.digest ? 1 : 0) && std::memcmp(key, k.data, k.size) == 0;
  }
  void assign(const StoredKey& k, const Counter& c) {
    hash_low = static_cast<uint32_t>(k.hash);
    counter = c;
    key_size = k.size & 31;
    digest = k.digest ? 1 : 0;
    level = 1;
    used = 1;
    std::memcpy(key, k.data, k.size);
  }
  // Idle for two windows and not blocked: its counters would read as zero.
  bool idle(int64_t window, int64_t now) const {
    return counter.window < window - 1 && counter.blocked_until <= now;
  }
};
static_assert(sizeof(Entry) == 64);
static_assert(kInlineKeyBytes < 32);  // key_size has 5 bits

}  // namespace

struct alignas(64) RateLimiter::Shard {
  Mutex mu;
  // Linear probing, two slots per key of capacity (load factor <= 1/2); grows by doubling up to
  // `limit` keys.
  std::vector<Entry> table GUARDED_BY(mu);
  size_t count GUARDED_BY(mu) = 0;  // keys held
  size_t hand GUARDED_BY(mu) = 0;   // CLOCK hand into table
  uint64_t evictions GUARDED_BY(mu) = 0;
  size_t limit = 0;  // this shard's share of max_keys; set once before use
  // The table's address and size as prefetch() reads them without the lock (published by
  // grow(); a stale pair only makes the hint useless, never wrong: prefetching cannot fault).
  std::atomic<const Entry*> published_data{nullptr};
  std::atomic<size_t> published_size{0};

  size_t capacity() const REQUIRES(mu) { return table.size() / 2; }
  size_t home(uint32_t hash_low) const REQUIRES(mu) {
    return static_cast<size_t>((static_cast<uint64_t>(hash_low) * table.size()) >> 32);
  }
  size_t next(size_t i) const REQUIRES(mu) { return i + 1 == table.size() ? 0 : i + 1; }

  Entry* find(const StoredKey& k) REQUIRES(mu) {
    if (table.empty()) return nullptr;
    for (size_t i = home(static_cast<uint32_t>(k.hash));; i = next(i)) {
      Entry& e = table[i];
      if (!e.used) return nullptr;
      if (e.holds(k)) return &e;
    }
  }

  // REQUIRES: count < capacity() (makeRoom first).
  Entry& insert(const StoredKey& k, const Counter& c) REQUIRES(mu) {
    size_t i = home(static_cast<uint32_t>(k.hash));
    while (table[i].used) i = next(i);
    table[i].assign(k, c);
    ++count;
    return table[i];
  }

  // Empties slot i (backward-shift deletion: no tombstones).
  void erase(size_t i) REQUIRES(mu) {
    for (size_t j = next(i);; j = next(j)) {
      if (!table[j].used) break;
      const size_t k = home(table[j].hash_low);
      // The entry at j may move to i unless its home lies cyclically in (i, j].
      const bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
      if (stays) continue;
      table[i] = table[j];
      i = j;
    }
    table[i].used = 0;
    --count;
  }

  void grow() REQUIRES(mu) {
    const size_t cap = std::min(limit, std::max(kMinEntries, 2 * capacity()));
    std::vector<Entry> old(2 * cap);
    old.swap(table);
    count = 0;
    hand = 0;
    for (const Entry& e : old) {
      if (!e.used) continue;
      size_t i = home(e.hash_low);
      while (table[i].used) i = next(i);
      table[i] = e;
      ++count;
    }
    published_data.store(table.data(), std::memory_order_relaxed);
    published_size.store(table.size(), std::memory_order_relaxed);
  }

  // Erases slot `at` and leaves the hand on it: backward shifting may have moved a key the hand
  // has not seen yet into it.
  void dropAt(size_t at) REQUIRES(mu) {
    erase(at);
    hand = at;
  }

  // Makes room for one more key: drops an idle entry under the hand (each new key moves the
  // hand one slot), grows while below `limit`, else evicts the CLOCK victim (counted).
  void makeRoom(int64_t window, int64_t now) REQUIRES(mu) {
    if (!table.empty()) {
      if (hand >= table.size()) hand = 0;
      const size_t at = hand++;
      if (table[at].used && table[at].idle(window, now)) return dropAt(at);
    }
    if (count < capacity()) return;
    if (capacity() < limit) return grow();
    for (;;) {  // at most three sweeps: each lowers every level by one
      if (hand >= table.size()) hand = 0;
      const size_t at = hand++;
      Entry& e = table[at];
      if (!e.used) continue;
      if (e.idle(window, now)) return dropAt(at);
      if (e.level > 0) {
        --e.level;
        continue;
      }
      ++evictions;
      return dropAt(at);
    }
  }
};

RateLimiter::RateLimiter(const RateLimitConfig& config, const Clock& clock)
    : config_(config), clock_(clock) {
  std::random_device rd;
  seed_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  size_t n = std::min(config.shards, config.max_keys);
  per_shard_capacity_ = config.max_keys / n;
  for (size_t i = 0; i < n; ++i) {
    shards_.push_back(std::make_unique<Shard>());
    shards_.back()->limit = per_shard_capacity_;
  }
}

RateLimiter::~RateLimiter() = default;

Result<std::unique_ptr<RateLimiter>> RateLimiter::create(const RateLimitConfig& config,
                                                         const Clock& clock) {
  SG_RETURN_IF_ERROR(validateRateLimitConfig(config));
  return std::unique_ptr<RateLimiter>(new RateLimiter(config, clock));
}

// The shard from the hash's top bits; the slot within it from the low 32 (see Shard::home).
size_t RateLimiter::shardIndex(uint64_t hash) const {
  return static_cast<size_t>(((hash >> 32) * shards_.size()) >> 32);
}

void RateLimiter::prefetch(std::string_view key) const {
  if (key.size() > kInlineKeyBytes) return;  // long keys would need their digest first
  const uint64_t hash = hashBytes(key.data(), key.size(), seed_);
  const Shard& shard = *shards_[shardIndex(hash)];
  const Entry* data = shard.published_data.load(std::memory_order_relaxed);
  const size_t size = shard.published_size.load(std::memory_order_relaxed);
  if (data == nullptr || size == 0) return;
  const size_t home =
      static_cast<size_t>((static_cast<uint64_t>(static_cast<uint32_t>(hash)) * size) >> 32);
  __builtin_prefetch(data + home);
}

RateDecision RateLimiter::check(std::string_view key) { return run(key, Mode::kCheck); }
void RateLimiter::count(std::string_view key) { (void)run(key, Mode::kCount); }
double RateLimiter::rateEstimate(std::string_view key) {
  double e = 0;
  (void)run(key, Mode::kEstimate, &e);
  return e;
}
double RateLimiter::countAndEstimate(std::string_view key) {
  double e = 0;
  (void)run(key, Mode::kCountAndEstimate, &e);
  return e;
}
RateDecision RateLimiter::hit(std::string_view key) { return run(key, Mode::kHit); }

RateDecision RateLimiter::run(std::string_view key, Mode mode, double* estimate) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::nanoseconds>(clock_.now().time_since_epoch()).count();
  const int64_t period =
      std::chrono::duration_cast<std::chrono::nanoseconds>(config_.period).count();
  const int64_t limit = config_.requests_per_period;
  const int64_t window = now / period;
  const int64_t elapsed = now - window * period;

  RateDecision d;
  d.limit = limit;

  const StoredKey stored(key, seed_);
  Shard& shard = *shards_[shardIndex(stored.hash)];
  MutexLock lock(shard.mu);

  Counter scratch;  // a key never seen behaves as an empty counter
  scratch.window = window;
  Counter* c = &scratch;
  if (Entry* e = shard.find(stored)) {
    e->level = 2;
    c = &e->counter;
  } else if (mode != Mode::kCheck && mode != Mode::kEstimate) {
    shard.makeRoom(window, now);
    c = &shard.insert(stored, scratch).counter;
  }

  // Blocked by an earlier mitigation?
  if (c->blocked_until > now) {
    d.limited = true;
    d.retry_after_s = std::max<int64_t>(1, ceilSeconds(Wide(c->blocked_until) - now));
    d.reset_s = d.retry_after_s;
    return d;
  }
  if (c->blocked_until != 0) *c = Counter{window, 0, 0, 0};  // mitigation over: start afresh

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
    n += s->count;
  }
  return n;
}

size_t RateLimiter::approxBytesPerEntry() { return 2 * sizeof(Entry); }

size_t RateLimiter::approxMemoryBytes() const {
  size_t bytes = sizeof(*this) + shards_.capacity() * sizeof(shards_[0]);
  for (const auto& s : shards_) {
    MutexLock lock(s->mu);
    bytes += sizeof(Shard) + s->table.capacity() * sizeof(Entry);
  }
  return bytes;
}

uint64_t RateLimiter::evictions() const {
  uint64_t n = 0;
  for (const auto& s : shards_) {
    MutexLock lock(s->mu);
    n += s->evictions;
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
