// ClientRateLimiter on simulated time: burst, refill, per-address buckets, bounded memory.
#include "shipgate/rum/client_rate_limiter.h"

#include <gtest/gtest.h>

#include <string>

namespace shipgate::rum {
namespace {

using namespace std::chrono_literals;

TEST(ClientRateLimiter, ABurstOfNThenOnePerPeriodOverN) {
  SimulatedClock clock;
  ClientRateLimiter limiter(clock, 60, 1min);
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1")) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  clock.advance(999ms);
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  clock.advance(1ms);  // one token per second
  EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  clock.advance(10min);  // refills to the burst, not beyond
  for (int i = 0; i < 60; ++i) EXPECT_TRUE(limiter.allow("10.0.0.1")) << i;
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
}

TEST(ClientRateLimiter, AddressesHaveTheirOwnBuckets) {
  SimulatedClock clock;
  ClientRateLimiter limiter(clock, 2, 1min);
  EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_TRUE(limiter.allow("10.0.0.1"));
  EXPECT_FALSE(limiter.allow("10.0.0.1"));
  EXPECT_TRUE(limiter.allow("10.0.0.2"));
  EXPECT_TRUE(limiter.allow("::1"));
}

TEST(ClientRateLimiter, MemoryStaysBoundedAndBusyClientsKeepTheirState) {
  SimulatedClock clock;
  const size_t max_clients = ClientRateLimiter::kShards * 4;
  ClientRateLimiter limiter(clock, 3, 1min, max_clients);
  // A busy client empties its bucket.
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.allow("busy"));
  EXPECT_FALSE(limiter.allow("busy"));
  // A flood of one-off addresses.
  for (int i = 0; i < 10000; ++i) {
    limiter.allow("203.0.113." + std::to_string(i));
    EXPECT_LE(limiter.trackedClients(), max_clients);
    // Still sending, so never the least recently seen: kept, and its bucket stays empty.
    EXPECT_FALSE(limiter.allow("busy")) << i;
  }
}

TEST(ClientRateLimiter, IdleClientsAreForgottenFirst) {
  SimulatedClock clock;
  const size_t max_clients = ClientRateLimiter::kShards;  // one per shard
  ClientRateLimiter limiter(clock, 1, 1min, max_clients);
  for (int i = 0; i < 100; ++i) limiter.allow("c" + std::to_string(i));
  EXPECT_LE(limiter.trackedClients(), max_clients);
  clock.advance(1min);  // every bucket refills: all idle
  for (int i = 100; i < 200; ++i) EXPECT_TRUE(limiter.allow("c" + std::to_string(i)));
  EXPECT_LE(limiter.trackedClients(), max_clients);
}

}  // namespace
}  // namespace shipgate::rum
