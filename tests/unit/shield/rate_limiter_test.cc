// RateLimiter on simulated time: limits, sliding, mitigation, throttling, memory bound, threads.
#include "shipgate/shield/rate_limiter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace shipgate::shield {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

class RateLimiterTest : public ::testing::Test {
 protected:
  std::unique_ptr<RateLimiter> make(RateLimitConfig c) {
    auto r = RateLimiter::create(c, clock_);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return std::move(r).value();
  }
  // Moves the clock to `offset` past the start of the next window of `period`.
  void alignToWindow(seconds period, nanoseconds offset = nanoseconds(0)) {
    int64_t p = std::chrono::duration_cast<nanoseconds>(period).count();
    int64_t now = clock_.now().time_since_epoch().count();
    clock_.advance(nanoseconds(p - now % p) + offset);
  }
  int passes(RateLimiter& rl, std::string_view key, int attempts) {
    int ok = 0;
    for (int i = 0; i < attempts; ++i) ok += rl.hit(key).limited ? 0 : 1;
    return ok;
  }
  SimulatedClock clock_;
};

TEST_F(RateLimiterTest, HundredAndFirstRequestInAMinuteIsLimited) {
  auto rl = make({});  // 100 per 60 s, throttle
  alignToWindow(seconds(60), seconds(5));
  for (int i = 1; i <= 100; ++i) {
    auto d = rl->hit("203.0.113.7");
    ASSERT_FALSE(d.limited) << "request " << i;
    EXPECT_EQ(d.limit, 100);
    EXPECT_EQ(d.remaining, 100 - i);
    if (i == 1) {
      EXPECT_EQ(d.reset_s, 55);  // the current window ends in 55 s
    }
    clock_.advance(milliseconds(100));  // all 100 within 10 s
  }
  auto d = rl->hit("203.0.113.7");
  EXPECT_TRUE(d.limited);
  EXPECT_EQ(d.remaining, 0);
  // The window started 15 s ago (5 + 10). The next one begins in 45 s with an estimate of exactly
  // 100 (still limited); just after that the previous window's weight drops below 1: 46 s.
  EXPECT_EQ(d.retry_after_s, 46);
  EXPECT_EQ(d.reset_s, 46);
  auto h = renderRateLimitHeaders(rl->config(), d);
  EXPECT_EQ(h.policy, "100;w=60");
  EXPECT_EQ(h.rate_limit, "limit=100, remaining=0, reset=46");
  EXPECT_EQ(h.retry_after, "46");
  // Another client is unaffected.
  EXPECT_FALSE(rl->hit("198.51.100.1").limited);
}

TEST_F(RateLimiterTest, WindowSlides) {
  auto rl = make({});
  alignToWindow(seconds(60));
  EXPECT_EQ(passes(*rl, "k", 150), 100);
  // 15 s into the next window: estimate = 100 * 45/60 = 75, so 25 more pass.
  clock_.advance(seconds(75));
  EXPECT_EQ(passes(*rl, "k", 50), 25);
  // 30 s into it: 100 * 30/60 + 25 = 75 -> 25 more.
  clock_.advance(seconds(15));
  EXPECT_EQ(passes(*rl, "k", 50), 25);
  // Two full idle periods later the key is fresh again.
  clock_.advance(seconds(120));
  EXPECT_EQ(passes(*rl, "k", 150), 100);
}

TEST_F(RateLimiterTest, RetryAfterIsWhenTheNextRequestPasses) {
  auto rl = make({});
  alignToWindow(seconds(60));
  EXPECT_EQ(passes(*rl, "k", 100), 100);
  clock_.advance(seconds(70));          // 10 s into the next window: estimate 100*50/60 = 83.3
  EXPECT_EQ(passes(*rl, "k", 16), 16);  // 99.3
  EXPECT_EQ(passes(*rl, "k", 1), 1);    // 100.3 after
  auto d = rl->hit("k");
  ASSERT_TRUE(d.limited);
  // Needs 100 * (60 - e)/60 + 17 < 100  <=>  e > 10.2 s: retry after 1 s (rounded up).
  EXPECT_EQ(d.retry_after_s, 1);
  clock_.advance(seconds(d.retry_after_s));
  EXPECT_FALSE(rl->hit("k").limited);
}

TEST_F(RateLimiterTest, MitigationTimeoutBlocksThenReleases) {
  RateLimitConfig c;
  c.requests_per_period = 10;
  c.period = seconds(10);
  c.mitigation_timeout = seconds(600);
  auto rl = make(c);
  alignToWindow(seconds(10));
  EXPECT_EQ(passes(*rl, "k", 10), 10);
  auto first = rl->hit("k");
  EXPECT_TRUE(first.limited);
  EXPECT_EQ(first.retry_after_s, 600);
  // Long after the rate would allow requests again, the key is still blocked.
  clock_.advance(seconds(300));
  auto d = rl->hit("k");
  EXPECT_TRUE(d.limited);
  EXPECT_EQ(d.retry_after_s, 300);
  EXPECT_TRUE(rl->check("k").limited);
  clock_.advance(seconds(299));
  EXPECT_TRUE(rl->hit("k").limited);
  clock_.advance(seconds(1));
  // Released, with a fresh counter.
  EXPECT_EQ(passes(*rl, "k", 10), 10);
  EXPECT_TRUE(rl->hit("k").limited);
}

TEST_F(RateLimiterTest, ThrottleOnlyLetsRequestsUnderTheRateThrough) {
  RateLimitConfig c;
  c.requests_per_period = 10;
  c.period = seconds(10);
  auto rl = make(c);
  alignToWindow(seconds(10));
  // A client sending 2 requests per second (twice the rate) for 5 minutes gets about the rate.
  int passed = 0;
  for (int i = 0; i < 600; ++i) {
    passed += rl->hit("fast").limited ? 0 : 1;
    clock_.advance(milliseconds(500));
  }
  EXPECT_GE(passed, 290);
  EXPECT_LE(passed, 310);
  // A client under the rate (0.8 per second) is never limited.
  for (int i = 0; i < 600; ++i) {
    ASSERT_FALSE(rl->hit("steady").limited) << i;
    clock_.advance(milliseconds(1250));
  }
}

TEST_F(RateLimiterTest, CheckAndCountSeparately) {
  RateLimitConfig c;
  c.requests_per_period = 3;
  auto rl = make(c);
  alignToWindow(seconds(60));
  // Only counted responses (say, 401s) use up the quota; check() alone never does.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(rl->check("k").limited);
  EXPECT_EQ(rl->keyCount(), 0u);
  auto d = rl->check("k");
  EXPECT_EQ(d.remaining, 2);
  rl->count("k");
  rl->count("k");
  EXPECT_EQ(rl->check("k").remaining, 0);
  EXPECT_FALSE(rl->check("k").limited);
  rl->count("k");
  EXPECT_TRUE(rl->check("k").limited);
}

TEST_F(RateLimiterTest, MillionDistinctKeysStayWithinMaxKeys) {
  RateLimitConfig c;
  c.max_keys = 10'000;
  auto rl = make(c);
  size_t peak_keys = 0, peak_bytes = 0;
  for (int i = 0; i < 1'000'000; ++i) {
    rl->hit("10." + std::to_string(i));
    if (i % 50'000 == 0) {
      peak_keys = std::max(peak_keys, rl->keyCount());
      peak_bytes = std::max(peak_bytes, rl->approxMemoryBytes());
    }
  }
  EXPECT_LE(rl->keyCount(), c.max_keys);
  EXPECT_GE(rl->keyCount(), c.max_keys * 9 / 10);  // the budget is actually used
  EXPECT_LE(peak_keys, c.max_keys);
  EXPECT_GE(rl->evictions(), 1'000'000u - c.max_keys);
  // Memory: entries + bucket array, bounded independently of how many keys were seen.
  size_t bound =
      c.max_keys * (RateLimiter::approxBytesPerEntry() + 64 + 8 * sizeof(void*)) + 64 * 1024;
  EXPECT_LE(peak_bytes, bound);
  EXPECT_LE(rl->approxMemoryBytes(), bound);
  // A recently active key survives the flood (LRU).
  for (int i = 0; i < 5; ++i) rl->hit("survivor");
  for (int i = 0; i < 500; ++i) rl->hit("x" + std::to_string(i));
  EXPECT_EQ(rl->check("survivor").remaining, 100 - 5 - 1);
}

TEST_F(RateLimiterTest, IdleKeysMakeRoomWithoutEvictions) {
  RateLimitConfig c;
  c.max_keys = 100;
  c.shards = 1;
  auto rl = make(c);
  for (int i = 0; i < 100; ++i) rl->hit("old" + std::to_string(i));
  EXPECT_EQ(rl->keyCount(), 100u);
  clock_.advance(seconds(180));  // every key idle for more than two periods
  for (int i = 0; i < 100; ++i) rl->hit("new" + std::to_string(i));
  EXPECT_EQ(rl->keyCount(), 100u);
  EXPECT_EQ(rl->evictions(), 0u);  // idle keys were dropped, not evicted
  for (int i = 0; i < 5; ++i) rl->hit("new7");
  rl->hit("one-more");  // the shard is full of live keys: one is evicted, not "new7"
  EXPECT_EQ(rl->evictions(), 1u);
  EXPECT_EQ(rl->keyCount(), 100u);
  EXPECT_EQ(rl->check("new7").remaining, 100 - 6 - 1);
}

TEST_F(RateLimiterTest, EveryKeyKeepsItsCountThroughGrowthAndDrops) {
  RateLimitConfig c;
  c.max_keys = 256;
  c.shards = 1;
  auto rl = make(c);
  alignToWindow(seconds(60));
  // 128 idle keys, then 256 live ones: the table grows from 8 entries to 256 and drops every
  // idle key (shifting entries back in their probe sequences) on the way.
  for (int i = 0; i < 128; ++i) rl->hit("idle" + std::to_string(i));
  clock_.advance(seconds(150));
  for (int i = 0; i < 256; ++i) {
    for (int n = 0; n <= i % 7; ++n) rl->hit("k" + std::to_string(i));
  }
  EXPECT_EQ(rl->evictions(), 0u);
  EXPECT_EQ(rl->keyCount(), 256u);
  for (int i = 0; i < 256; ++i) {
    EXPECT_EQ(rl->check("k" + std::to_string(i)).remaining, 100 - (i % 7 + 1) - 1) << i;
  }
}

TEST_F(RateLimiterTest, RateEstimateFollowsTheWindow) {
  RateLimitConfig c;
  c.requests_per_period = 1'000'000;  // a pure counter, as for the bot score's requests/minute
  auto rl = make(c);
  alignToWindow(seconds(60));
  EXPECT_EQ(rl->rateEstimate("ip"), 0.0);
  EXPECT_EQ(rl->keyCount(), 0u);  // estimating never creates keys
  for (int i = 0; i < 300; ++i) rl->hit("ip");
  EXPECT_DOUBLE_EQ(rl->rateEstimate("ip"), 300.0);
  clock_.advance(seconds(90));  // 30 s into the next window: half of the previous one counts
  EXPECT_DOUBLE_EQ(rl->rateEstimate("ip"), 150.0);
  clock_.advance(seconds(60));
  EXPECT_DOUBLE_EQ(rl->rateEstimate("ip"), 0.0);
}

TEST_F(RateLimiterTest, LongKeysAreStoredAsDigests) {
  RateLimitConfig c;
  c.requests_per_period = 2;
  auto rl = make(c);
  std::string a(10'000, 'a'), b(10'000, 'a');
  b.back() = 'b';
  EXPECT_FALSE(rl->hit(a).limited);
  EXPECT_FALSE(rl->hit(a).limited);
  EXPECT_TRUE(rl->hit(a).limited);
  EXPECT_FALSE(rl->hit(b).limited);  // distinct long keys stay distinct
  EXPECT_LT(rl->approxMemoryBytes(), 8 * 1024u);
}

TEST_F(RateLimiterTest, FourThreadsCountExactly) {
  RateLimitConfig c;
  c.requests_per_period = 10'000;
  c.shards = 4;
  auto rl = make(c);
  alignToWindow(seconds(60));
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5'000; ++i) {
        if (!rl->hit("shared").limited) allowed.fetch_add(1);
        rl->count("counted");
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(allowed.load(), 10'000);  // exactly the limit passed out of 20,000
  // 20,000 count() calls on another key: 10,000 over the limit.
  auto d = rl->check("counted");
  EXPECT_TRUE(d.limited);
  rl->count("fresh");
  EXPECT_EQ(rl->check("fresh").remaining, 10'000 - 2);
}

TEST(RateKeyTest, ComposedKeysAreUnambiguous) {
  EXPECT_NE(composeRateKey({"203.0.113.7", "/login"}), composeRateKey({"203.0.113.7/", "login"}));
  EXPECT_NE(composeRateKey({std::nullopt}), composeRateKey({""}));
  EXPECT_EQ(composeRateKey({"a", std::nullopt}), composeRateKey({"a", std::nullopt}));
}

TEST(RateLimiterCreateTest, RejectsBadConfig) {
  SimulatedClock clock;
  RateLimitConfig c;
  c.requests_per_period = -1;
  EXPECT_FALSE(RateLimiter::create(c, clock).isOk());
}

}  // namespace
}  // namespace shipgate::shield
