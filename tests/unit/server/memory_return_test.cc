// What the gateway keeps after a burst: the buffer pool's bound, and when the allocator is asked
// to give free memory back (TrimPolicy, on simulated time).
#include <gtest/gtest.h>

#include "../../../src/server/buffer_pool.h"
#include "../../../src/server/memory_return.h"

namespace shipgate::server {
namespace {

using namespace std::chrono_literals;

TEST(TrimPolicy, TrimsOnceTheCountFellToHalfItsPeakByAtLeastTheMinimumDrop) {
  TrimPolicy p;
  Clock::time_point t{};
  EXPECT_FALSE(p.observe(0, t));
  EXPECT_FALSE(p.observe(10, t += 1s));
  EXPECT_FALSE(p.observe(0, t += 1s));  // a drop of 10: too small to be a burst
  EXPECT_FALSE(p.observe(300, t += 1s));
  EXPECT_FALSE(p.observe(200, t += 1s));  // above half the peak
  EXPECT_TRUE(p.observe(150, t += 1s));
  EXPECT_FALSE(p.observe(150, t += 1s));  // the peak restarted at 150
  EXPECT_FALSE(p.observe(20, t += 1s));   // a burst again, but the last trim was 2 s ago
  EXPECT_FALSE(p.observe(20, t += 2s));
  EXPECT_TRUE(p.observe(20, t += 1s));    // 5 s after the last trim
  EXPECT_FALSE(p.observe(20, t += 10s));  // steady: never again
  EXPECT_FALSE(p.observe(0, t += 10s));
}

TEST(BufferPool, KeepsAtMostItsByteBudget) {
  BufferPool pool;
  constexpr size_t kBig = 128 * 1024;
  size_t n = 2 * BufferPool::kMaxPooledBytes / kBig;
  for (size_t i = 0; i < n; ++i) {
    net::Buffer b;
    b.prepare(kBig);
    ASSERT_EQ(b.capacity(), kBig);
    pool.giveBack(b);
  }
  EXPECT_EQ(pool.pooledBytes(), BufferPool::kMaxPooledBytes);
  // Lent storage leaves the count; given back, it returns.
  net::Buffer b;
  pool.borrow(b);
  EXPECT_EQ(b.capacity(), kBig);
  EXPECT_EQ(pool.pooledBytes(), BufferPool::kMaxPooledBytes - kBig);
  pool.giveBack(b);
  EXPECT_EQ(b.capacity(), 0u);
  EXPECT_EQ(pool.pooledBytes(), BufferPool::kMaxPooledBytes);
  // A buffer above the per-buffer cap is freed, not kept.
  net::Buffer huge;
  huge.prepare(BufferPool::kMaxKeptCapacity * 2);
  pool.borrow(huge);
  pool.giveBack(huge);
  EXPECT_EQ(huge.capacity(), 0u);
  EXPECT_EQ(pool.pooledBytes(), BufferPool::kMaxPooledBytes);
}

}  // namespace
}  // namespace shipgate::server
