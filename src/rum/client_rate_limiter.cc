#include "shipgate/rum/client_rate_limiter.h"

#include <algorithm>
#include <functional>

namespace shipgate::rum {

ClientRateLimiter::ClientRateLimiter(const Clock& clock, int64_t burst, Millis period,
                                     size_t max_clients)
    : clock_(clock),
      burst_(static_cast<double>(std::max<int64_t>(burst, 1))),
      tokens_per_ns_(burst_ / static_cast<double>(
                                  std::chrono::nanoseconds(std::max(period, Millis(1))).count())),
      per_shard_(std::max<size_t>(max_clients / kShards, 1)) {}

void ClientRateLimiter::refill(Bucket& b, Clock::time_point now) const {
  if (now > b.last) {
    double add = static_cast<double>((now - b.last).count()) * tokens_per_ns_;
    b.tokens = std::min(burst_, b.tokens + add);
    b.last = now;
  }
}

void ClientRateLimiter::makeRoom(Shard& s, Clock::time_point now) {
  // Idle clients first: a full bucket is what a new one would get anyway.
  for (auto it = s.buckets.begin(); it != s.buckets.end();) {
    refill(it->second, now);
    if (it->second.tokens >= burst_) {
      it = s.buckets.erase(it);
    } else {
      ++it;
    }
  }
  if (s.buckets.size() < per_shard_) return;
  auto oldest = std::min_element(s.buckets.begin(), s.buckets.end(), [](const auto& a, const auto& b) {
    return a.second.seen < b.second.seen;
  });
  if (oldest != s.buckets.end()) s.buckets.erase(oldest);
}

bool ClientRateLimiter::allow(std::string_view client) {
  Shard& s = shards_[std::hash<std::string_view>{}(client) % kShards];
  const Clock::time_point now = clock_.now();
  MutexLock lock(s.mu);
  auto it = s.buckets.find(std::string(client));
  if (it == s.buckets.end()) {
    if (s.buckets.size() >= per_shard_) makeRoom(s, now);
    it = s.buckets.emplace(std::string(client), Bucket{burst_, now}).first;
  } else {
    refill(it->second, now);
  }
  it->second.seen = ++s.tick;
  if (it->second.tokens < 1.0) return false;
  it->second.tokens -= 1.0;
  return true;
}

size_t ClientRateLimiter::trackedClients() const {
  size_t n = 0;
  for (const Shard& s : shards_) {
    MutexLock lock(s.mu);
    n += s.buckets.size();
  }
  return n;
}

}  // namespace shipgate::rum
