// RedisRateStore on a real EventLoop against a real redis-server: lazy connect (the first batch
// queues behind the handshake), one answer per batch, NOSCRIPT retried as EVAL, a hung Redis
// (SIGSTOP) answered by the timeout, a killed one by "not ready" at once, reconnection, cancel,
// and the up / fallback metrics.
#include "shipgate/ratestore/redis_rate_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/redis_server.h"

namespace shipgate::ratestore {
namespace {

using namespace std::chrono_literals;

struct Waiter : BatchWaiter {
  std::optional<std::vector<shield::RateDecision>> got;
  void onStoreAnswer(std::span<const shield::RateDecision> d) override {
    got.emplace(d.begin(), d.end());
  }
};

class Store : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.start());
    auto loop = net::EventLoop::create(clock_);
    ASSERT_TRUE(loop.isOk());
    loop_ = std::move(loop.value());
    StoreOptions o;
    auto url = shield::parseRedisUrl(redis_.url());
    ASSERT_TRUE(url.isOk());
    o.url = *url;
    o.timeout = 100ms;
    store_ = std::make_unique<RedisRateStore>(*loop_, metrics_, o);
  }
  // Runs the loop until `done` or the timeout; true when done.
  template <typename F>
  bool runUntil(F done, std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      loop_->runOnce(Millis(10));
    }
    return true;
  }
  std::vector<shield::SharedWindowCheck> checks(int64_t limit, const std::string& who = "c") {
    return {{shield::sharedWindowKey("r", who), limit, 60'000, 0}};
  }
  double metric(const std::string& name) {
    std::string text = metrics_.renderPrometheus();
    size_t at = text.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stod(text.substr(at + name.size() + 2));
  }

  testsupport::RedisServer redis_;
  RealClock clock_;
  metrics::Registry metrics_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<RedisRateStore> store_;
};

TEST_F(Store, FirstBatchWaitsForTheConnectionThenEachBatchGetsItsAnswer) {
  EXPECT_EQ(metric("shipgate_rate_limit_store_up"), 0);
  Waiter first;
  ASSERT_TRUE(store_->send(checks(2), &first));  // connecting: queued behind SCRIPT LOAD
  EXPECT_FALSE(first.got) << "never answered from inside send()";
  ASSERT_TRUE(runUntil([&] { return first.got.has_value(); }));
  ASSERT_EQ(first.got->size(), 1u);
  EXPECT_FALSE((*first.got)[0].limited);
  EXPECT_EQ((*first.got)[0].remaining, 1);
  EXPECT_TRUE(store_->ready());
  EXPECT_EQ(metric("shipgate_rate_limit_store_up"), 1);
  Waiter second, third;
  ASSERT_TRUE(store_->send(checks(2), &second));
  ASSERT_TRUE(store_->send(checks(2), &third));  // pipelined
  ASSERT_TRUE(runUntil([&] { return second.got && third.got; }));
  EXPECT_FALSE((*second.got)[0].limited);
  EXPECT_TRUE((*third.got)[0].limited);
  EXPECT_EQ(metric("shipgate_rate_limit_store_fallbacks_total"), 0);
}

TEST_F(Store, NoscriptIsRetriedAsEval) {
  Waiter w;
  ASSERT_TRUE(store_->send(checks(5), &w));
  ASSERT_TRUE(runUntil([&] { return w.got.has_value(); }));
  ASSERT_EQ(redis_.command({"SCRIPT", "FLUSH"}), "OK");
  Waiter again;
  ASSERT_TRUE(store_->send(checks(5), &again));
  ASSERT_TRUE(runUntil([&] { return again.got.has_value(); }));
  ASSERT_EQ(again.got->size(), 1u) << "answered by EVAL, not a fallback";
  EXPECT_EQ((*again.got)[0].remaining, 3);
  EXPECT_EQ(metric("shipgate_rate_limit_store_fallbacks_total"), 0);
}

TEST_F(Store, AHungRedisIsAnsweredByTheTimeoutThenReconnected) {
  Waiter warm;
  ASSERT_TRUE(store_->send(checks(100), &warm));
  ASSERT_TRUE(runUntil([&] { return warm.got.has_value(); }));
  redis_.pause();
  Waiter w;
  ASSERT_TRUE(store_->send(checks(100), &w));
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runUntil([&] { return w.got.has_value(); }));
  EXPECT_TRUE(w.got->empty()) << "no decisions: decide per node";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_FALSE(store_->ready());
  EXPECT_EQ(metric("shipgate_rate_limit_store_up"), 0);
  EXPECT_EQ(metric("shipgate_rate_limit_store_fallbacks_total"), 1);
  Waiter now;
  EXPECT_FALSE(store_->send(checks(100), &now)) << "down: decided per node at once";
  EXPECT_EQ(metric("shipgate_rate_limit_store_fallbacks_total"), 2);
  redis_.resume();
  ASSERT_TRUE(runUntil([&] { return store_->ready(); }, 10s));
  EXPECT_EQ(metric("shipgate_rate_limit_store_up"), 1);
}

TEST_F(Store, AKilledRedisFailsBatchesAtOnceAndIsReconnectedWhenBack) {
  Waiter warm;
  ASSERT_TRUE(store_->send(checks(100), &warm));
  ASSERT_TRUE(runUntil([&] { return warm.got.has_value(); }));
  redis_.kill();
  ASSERT_TRUE(runUntil([&] { return !store_->ready(); }));
  Waiter w;
  EXPECT_FALSE(store_->send(checks(100), &w));
  ASSERT_TRUE(redis_.start());
  ASSERT_TRUE(runUntil([&] { return store_->ready(); }, 10s));
  Waiter after;
  ASSERT_TRUE(store_->send(checks(100), &after));
  ASSERT_TRUE(runUntil([&] { return after.got.has_value(); }));
  EXPECT_EQ(after.got->size(), 1u);
}

TEST_F(Store, ACancelledWaiterIsNeverCalled) {
  Waiter warm;
  ASSERT_TRUE(store_->send(checks(100), &warm));
  ASSERT_TRUE(runUntil([&] { return warm.got.has_value(); }));
  Waiter gone, kept;
  ASSERT_TRUE(store_->send(checks(100), &gone));
  ASSERT_TRUE(store_->send(checks(100), &kept));
  store_->cancel(&gone);
  ASSERT_TRUE(runUntil([&] { return kept.got.has_value(); }));
  for (int i = 0; i < 10; ++i) loop_->runOnce(Millis(5));
  EXPECT_FALSE(gone.got.has_value());
  EXPECT_EQ(redis_.command({"HGET", shield::sharedWindowKey("r", "c"), "c"}), "3")
      << "the cancelled batch still counted in Redis (it was sent)";
}

}  // namespace
}  // namespace shipgate::ratestore
