// The shared sliding window (shield/shared_window.h): its Lua script run by a real redis-server,
// with the semantics of RateLimiter::hit(): N pass in a fresh window, the N+1st is limited; the
// previous window weighs in; mitigation blocks the key; keys expire.
#include "shipgate/shield/shared_window.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <string>
#include <vector>

#include "support/redis_server.h"

namespace shipgate::shield {
namespace {

struct Answer {
  int64_t limited = 0, retry_ms = 0, remaining = 0, reset_ms = 0;
};

class SharedWindow : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.start());
    timeval tv{2, 0};
    c_ = redisConnectWithTimeout("127.0.0.1", redis_.port(), tv);
    ASSERT_TRUE(c_ != nullptr && c_->err == 0);
  }
  void TearDown() override {
    if (c_ != nullptr) redisFree(c_);
  }

  // One EVAL of the script with `checks`; one Answer per check.
  std::vector<Answer> eval(const std::vector<SharedWindowCheck>& checks) {
    std::vector<std::string> args = {"EVAL", std::string(sharedWindowScript()),
                                     std::to_string(checks.size())};
    for (const auto& c : checks) args.push_back(c.key);
    for (const auto& c : checks) {
      args.push_back(std::to_string(c.limit));
      args.push_back(std::to_string(c.period_ms));
      args.push_back(std::to_string(c.mitigation_ms));
    }
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const auto& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lens.data()));
    std::vector<Answer> out;
    EXPECT_NE(r, nullptr);
    if (r == nullptr) return out;
    EXPECT_EQ(r->type, REDIS_REPLY_ARRAY) << (r->type == REDIS_REPLY_ERROR ? r->str : "");
    if (r->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        out.push_back({e->element[0]->integer, e->element[1]->integer, e->element[2]->integer,
                       e->element[3]->integer});
      }
    }
    freeReplyObject(r);
    return out;
  }
  Answer hit(const SharedWindowCheck& c) {
    auto a = eval({c});
    return a.empty() ? Answer{-1, 0, 0, 0} : a[0];
  }
  int64_t nowMs() {
    std::string t = redis_.command({"TIME"});
    size_t nl = t.find('\n');
    return std::stoll(t.substr(0, nl)) * 1000 + std::stoll(t.substr(nl + 1)) / 1000;
  }

  testsupport::RedisServer redis_;
  redisContext* c_ = nullptr;
};

TEST_F(SharedWindow, TheHundredAndFirstRequestInAFreshWindowIsLimited) {
  // A period of (Redis' now - 1 s): window 1 began a second ago and lasts for decades, so the
  // test never straddles two windows.
  const int64_t period = nowMs() - 1000;
  SharedWindowCheck c{sharedWindowKey("api", "203.0.113.7"), 100, period, 0};
  for (int i = 1; i <= 100; ++i) {
    Answer a = hit(c);
    ASSERT_EQ(a.limited, 0) << "request " << i;
    EXPECT_EQ(a.remaining, 100 - i) << "request " << i;
  }
  Answer limited = hit(c);
  EXPECT_EQ(limited.limited, 1);
  EXPECT_GE(limited.retry_ms, period - 5000);  // the rest of this window: no previous one
  RateDecision d = sharedWindowDecision(100, limited.limited, limited.retry_ms, limited.remaining,
                                        limited.reset_ms);
  EXPECT_TRUE(d.limited);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_GE(d.retry_after_s, 1);
  // Limited requests are not counted.
  EXPECT_EQ(redis_.command({"HGET", c.key, "c"}), "100");
  // Another client has its own counter.
  EXPECT_EQ(hit({sharedWindowKey("api", "203.0.113.8"), 100, period, 0}).limited, 0);
}

TEST_F(SharedWindow, KeysArePrefixedAndExpire) {
  SharedWindowCheck c{sharedWindowKey("login", "198.51.100.1"), 5, 60'000, 0};
  EXPECT_EQ(c.key, "shipgate:rl:login:198.51.100.1");
  ASSERT_EQ(hit(c).limited, 0);
  int64_t ttl = std::stoll(redis_.command({"PTTL", c.key}));
  EXPECT_GT(ttl, 60'000);
  EXPECT_LE(ttl, 120'000);
  std::string long_key(300, 'k');
  std::string hashed = sharedWindowKey("login", long_key);
  EXPECT_EQ(hashed.rfind("shipgate:rl:login:sha256:", 0), 0u);
  EXPECT_EQ(hashed.size(), std::string("shipgate:rl:login:sha256:").size() + 64);
}

TEST_F(SharedWindow, ThePreviousWindowWeighsIn) {
  const int64_t now = nowMs();
  const int64_t period = now - 1000;  // window 1, a second (a tiny fraction) into it
  SharedWindowCheck c{sharedWindowKey("api", "prev"), 100, period, 0};
  // 50 requests in window 0: the estimate starts just under 50, so 51 more pass (as in
  // RateLimiter: estimate = previous * (1 - elapsed/period) + current < limit).
  ASSERT_EQ(redis_.command({"HSET", c.key, "w", "0", "c", "50", "p", "0", "b", "0"}), "4");
  for (int i = 1; i <= 51; ++i) ASSERT_EQ(hit(c).limited, 0) << "request " << i;
  Answer a = hit(c);
  EXPECT_EQ(a.limited, 1);
  EXPECT_EQ(redis_.command({"HGET", c.key, "p"}), "50");
  EXPECT_EQ(redis_.command({"HGET", c.key, "c"}), "51");
}

TEST_F(SharedWindow, MitigationBlocksTheKeyForItsTimeout) {
  SharedWindowCheck c{sharedWindowKey("login", "mallory"), 2, 3'600'000, 30'000};
  EXPECT_EQ(hit(c).limited, 0);
  EXPECT_EQ(hit(c).limited, 0);
  Answer first = hit(c);
  EXPECT_EQ(first.limited, 1);
  EXPECT_EQ(first.retry_ms, 30'000);
  Answer again = hit(c);
  EXPECT_EQ(again.limited, 1);
  EXPECT_LE(again.retry_ms, 30'000);
  EXPECT_GT(again.retry_ms, 25'000);
  EXPECT_EQ(sharedWindowDecision(2, again.limited, again.retry_ms, 0, 0).retry_after_s, 30);
}

TEST_F(SharedWindow, OneEvalChecksEveryRuleOfARequest) {
  std::vector<SharedWindowCheck> checks = {{sharedWindowKey("a", "k"), 1, 60'000, 0},
                                           {sharedWindowKey("b", "k"), 3, 60'000, 0}};
  auto first = eval(checks);
  ASSERT_EQ(first.size(), 2u);
  EXPECT_EQ(first[0].limited, 0);
  EXPECT_EQ(first[1].limited, 0);
  auto second = eval(checks);
  ASSERT_EQ(second.size(), 2u);
  EXPECT_EQ(second[0].limited, 1);  // rule a: 1 a minute
  EXPECT_EQ(second[1].limited, 0);  // rule b: 3 a minute
  EXPECT_EQ(second[1].remaining, 1);
}

}  // namespace
}  // namespace shipgate::shield
