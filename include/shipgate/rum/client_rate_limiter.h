// ClientRateLimiter: a token bucket per client address for the RUM intake, with bounded memory.
// Each client may send `burst` beacons at once and then one per period/burst on average (the
// `rate_limit: N/min` of rum:, burst = N). Buckets live in `shards` independently locked maps of
// at most max_clients/shards entries each; when a shard is full, buckets that have refilled
// completely (idle clients: forgetting them changes nothing) are dropped, and if none has, the
// bucket seen least recently is evicted, so memory stays bounded whatever addresses send.
// Time: the injected Clock's monotonic time (SimulatedClock in tests).
// Thread-safety: allow() may be called from any thread; the Clock must outlive the limiter.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"

namespace shipgate::rum {

class ClientRateLimiter {
 public:
  static constexpr size_t kShards = 8;
  // REQUIRES: burst >= 1, period > 0, max_clients >= kShards.
  ClientRateLimiter(const Clock& clock, int64_t burst, Millis period, size_t max_clients = 16384);
  ClientRateLimiter(const ClientRateLimiter&) = delete;
  ClientRateLimiter& operator=(const ClientRateLimiter&) = delete;

  // Takes one token from `client`'s bucket; false when it is empty (the beacon is rate limited).
  bool allow(std::string_view client);
  // Clients tracked now (for tests of the bound).
  size_t trackedClients() const;

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last{};  // last refill
    uint64_t seen = 0;         // the shard's tick when last used, for least-recently-seen eviction
  };
  struct Shard {
    mutable Mutex mu;
    std::unordered_map<std::string, Bucket> buckets GUARDED_BY(mu);
    uint64_t tick GUARDED_BY(mu) = 0;
  };
  void refill(Bucket& b, Clock::time_point now) const;
  void makeRoom(Shard& s, Clock::time_point now) REQUIRES(s.mu);

  const Clock& clock_;
  const double burst_;
  const double tokens_per_ns_;
  const size_t per_shard_;
  std::array<Shard, kShards> shards_;
};

}  // namespace shipgate::rum
