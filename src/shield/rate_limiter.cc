// RateLimiter: sharded sliding-window counters with LRU eviction. See rate_limiter.h.
#include "shipgate/shield/rate_limiter.h"

#include <openssl/sha.h>

#include <algorithm>
#include <functional>
#include <list>
#include <mutex>
#include <unordered_map>

namespace shipgate::shield {
namespace {

constexpr size_t kMaxRawKeyBytes = 64;
constexpr int64_t kMaxCount = 1'000'000'000'000'000;  // saturation guard
constexpr int64_t kNanosPerSecond = 1'000'000'000;

using Wide = __int128;

int64_t ceilSeconds(Wide ns) {
  if (ns <= 0) return 0;
  return static_cast<int64_t>((ns + kNanosPerSecond - 1) / kNanosPerSecond);
}

// Short keys are stored as "=" + key, long ones as "#" + SHA-256(key), so both forms are bounded
// and can never collide with each other.
std::string storedKey(std::string_view key) {
  std::string out;
  if (key.size() <= kMaxRawKeyBytes) {
    out.reserve(key.size() + 1);
    out.push_back('=');
    out.append(key);
    return out;
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), digest);
  out.push_back('#');
  out.append(reinterpret_cast<const char*>(digest), sizeof(digest));
  return out;
}

struct Counter {
  int64_t window = 0;         // index of the current fixed window
  int64_t current = 0;        // requests counted in the current window
  int64_t previous = 0;       // requests counted in the previous window
  int64_t blocked_until = 0;  // monotonic ns; 0 = not blocked
};

struct Node {
  std::string key;
  Counter counter;
  uint64_t promoted = 0;  // the shard's promotion sequence number when last moved to the front
};

size_t keyHeapBytes(const std::string& s) {
  // libstdc++ keeps up to 15 chars inline.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

struct RateLimiter::Shard {
  std::mutex mu;
  std::list<Node> lru;  // GUARDED_BY(mu), most recently used first
  std::unordered_map<std::string_view, std::list<Node>::iterator> index;  // GUARDED_BY(mu)
  size_t key_bytes = 0;                                                   // GUARDED_BY(mu)
  uint64_t evictions = 0;                                                 // GUARDED_BY(mu)
  uint64_t promotions = 0;                                                // GUARDED_BY(mu)

  void eraseTail() {
    Node& n = lru.back();
    key_bytes -= keyHeapBytes(n.key);
    index.erase(n.key);
    lru.pop_back();
  }
};

RateLimiter::RateLimiter(const RateLimitConfig& config, const Clock& clock)
    : config_(config), clock_(clock) {
  size_t n = std::min(config.shards, config.max_keys);
  per_shard_capacity_ = config.max_keys / n;
  for (size_t i = 0; i < n; ++i) shards_.push_back(std::make_unique<Shard>());
}

RateLimiter::~RateLimiter() = default;

Result<std::unique_ptr<RateLimiter>> RateLimiter::create(const RateLimitConfig& config,
                                                         const Clock& clock) {
  SG_RETURN_IF_ERROR(validateRateLimitConfig(config));
  return std::unique_ptr<RateLimiter>(new RateLimiter(config, clock));
}

RateLimiter::Shard& RateLimiter::shardFor(std::string_view stored_key) {
  return *shards_[std::hash<std::string_view>{}(stored_key) % shards_.size()];
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

  std::string stored = storedKey(key);
  Shard& shard = shardFor(stored);
  std::lock_guard<std::mutex> lock(shard.mu);

  Counter scratch;  // a key never seen behaves as an empty counter
  scratch.window = window;
  Counter* c = &scratch;
  auto it = shard.index.find(stored);
  if (it != shard.index.end()) {
    // Approximate LRU: a key moved to the front within the last quarter of the shard's capacity
    // of insertions and moves is still far from the tail, so it is not moved again (moving
    // touches two neighbours: cache misses when there are many keys).
    Node& node = *it->second;
    if (shard.promotions - node.promoted >= per_shard_capacity_ / 4) {
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      node.promoted = ++shard.promotions;
    }
    c = &node.counter;
  } else if (mode != Mode::kCheck && mode != Mode::kEstimate) {
    // Drop up to two idle entries from the tail, then evict the LRU one if still full.
    for (int i = 0; i < 2 && !shard.lru.empty(); ++i) {
      const Counter& t = shard.lru.back().counter;
      if (t.window >= window - 1 || t.blocked_until > now) break;
      shard.eraseTail();
    }
    if (shard.lru.size() >= per_shard_capacity_) {
      shard.eraseTail();
      ++shard.evictions;
    }
    shard.lru.push_front(Node{std::move(stored), scratch, ++shard.promotions});
    Node& n = shard.lru.front();
    shard.key_bytes += keyHeapBytes(n.key);
    shard.index.emplace(n.key, shard.lru.begin());
    c = &n.counter;
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
    std::lock_guard<std::mutex> lock(s->mu);
    n += s->lru.size();
  }
  return n;
}

size_t RateLimiter::approxBytesPerEntry() {
  // list node (2 links + Node) + hash node (next + key view + iterator + cached hash) + bucket.
  return 2 * sizeof(void*) + sizeof(Node) + sizeof(void*) + sizeof(std::string_view) +
         sizeof(std::list<Node>::iterator) + sizeof(size_t) + sizeof(void*);
}

size_t RateLimiter::approxMemoryBytes() const {
  size_t bytes = sizeof(*this);
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
    bytes += sizeof(Shard) + s->lru.size() * approxBytesPerEntry() + s->key_bytes +
             s->index.bucket_count() * sizeof(void*);
  }
  return bytes;
}

uint64_t RateLimiter::evictions() const {
  uint64_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard<std::mutex> lock(s->mu);
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
