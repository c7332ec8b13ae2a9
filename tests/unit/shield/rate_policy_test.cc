// Tests for the rate shorthand, config validation and the RateLimit header values.
#include "shipgate/shield/rate_policy.h"

#include <gtest/gtest.h>

#include <limits>

namespace shipgate::shield {
namespace {

using std::chrono::seconds;

TEST(RateShorthandTest, ParsesTheSeedsFormAndFriends) {
  struct Case {
    const char* text;
    int64_t requests;
    int64_t period_s;
  } cases[] = {
      {"100req/min", 100, 60},
      {"5req/s", 5, 1},
      {"20req/10s", 20, 10},
      {"1000req/h", 1000, 3600},
      {"50000req/day", 50000, 86400},
      {" 100 req / min ", 100, 60},
      {"100REQ/MIN", 100, 60},
      {"7requests/5minutes", 7, 300},
      {"3r/s", 3, 1},
      {"10req/2h", 10, 7200},
      {"1req/sec", 1, 1},
  };
  for (const auto& c : cases) {
    auto r = parseRateShorthand(c.text);
    ASSERT_TRUE(r.isOk()) << c.text << ": " << r.status().message();
    EXPECT_EQ(r->requests, c.requests) << c.text;
    EXPECT_EQ(r->period.count(), c.period_s) << c.text;
  }
}

TEST(RateShorthandTest, ErrorsNameWhatIsWrong) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"", "empty"},
      {"req/min", "expected a request count"},
      {"100/min", "expected \"req\" after the count 100"},
      {"100rps", "found \"rps\""},
      {"100req", "expected \"/\""},
      {"100req/", "expected a period unit"},
      {"100req/fortnight", "unknown period unit \"fortnight\""},
      {"100req/min extra", "unexpected \"extra\""},
      {"0req/min", "must be positive"},
      {"100req/0s", "multiplier must be positive"},
      {"99999999999999req/min", "larger than 10^12"},
      {"1req/999999h", "longer than one year"},
      {"-5req/min", "expected a request count"},
  };
  for (const auto& c : cases) {
    auto r = parseRateShorthand(c.text);
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos)
        << c.text << " -> " << r.status().message();
    EXPECT_NE(r.status().message().find("like \"100req/min\""), std::string::npos);
  }
}

TEST(RateShorthandTest, FormatRoundTrips) {
  for (const char* text :
       {"100req/min", "5req/s", "20req/10s", "1000req/h", "3req/day", "7req/90s"}) {
    auto r = parseRateShorthand(text);
    ASSERT_TRUE(r.isOk()) << text;
    EXPECT_EQ(formatRate(*r), text);
    auto again = parseRateShorthand(formatRate(*r));
    ASSERT_TRUE(again.isOk());
    EXPECT_EQ(*again, *r);
  }
}

TEST(RateLimitConfigTest, ValidationNamesTheSetting) {
  RateLimitConfig c;
  EXPECT_TRUE(validateRateLimitConfig(c).isOk());
  c.period = seconds(0);
  EXPECT_NE(validateRateLimitConfig(c).message().find("period"), std::string::npos);
  c = {};
  c.requests_per_period = 0;
  EXPECT_NE(validateRateLimitConfig(c).message().find("requests_per_period"), std::string::npos);
  c = {};
  c.mitigation_timeout = seconds(-1);
  EXPECT_NE(validateRateLimitConfig(c).message().find("mitigation_timeout"), std::string::npos);
  c = {};
  c.max_keys = 0;
  EXPECT_NE(validateRateLimitConfig(c).message().find("max_keys"), std::string::npos);
  c = {};
  c.shards = 0;
  EXPECT_NE(validateRateLimitConfig(c).message().find("shards"), std::string::npos);
}

TEST(RateLimitHeadersTest, RendersDraftHeaderValues) {
  RateLimitConfig c;  // 100 per 60 s
  RateDecision limited{true, 37, 100, 0, 37};
  auto h = renderRateLimitHeaders(c, limited);
  EXPECT_EQ(h.policy, "100;w=60");
  EXPECT_EQ(h.rate_limit, "limit=100, remaining=0, reset=37");
  EXPECT_EQ(h.retry_after, "37");

  RateDecision ok{false, 0, 100, 42, 12};
  h = renderRateLimitHeaders(c, ok);
  EXPECT_EQ(h.rate_limit, "limit=100, remaining=42, reset=12");
  EXPECT_EQ(h.retry_after, "");
}

TEST(RateLimitHeadersTest, FixedBuffersHoldTheLongestValues) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  RateLimitConfig c;
  c.requests_per_period = kMin;
  c.period = std::chrono::seconds(kMin);
  RateDecision d{true, kMin, kMin, kMin, kMin};
  RateLimitHeaderText t(c, d);
  const std::string m = std::to_string(kMin);  // 20 bytes, the longest int64
  EXPECT_EQ(t.policy(), m + ";w=" + m);
  EXPECT_EQ(t.rateLimit(), "limit=" + m + ", remaining=" + m + ", reset=" + m);
  EXPECT_EQ(t.retryAfter(), m);
  auto h = renderRateLimitHeaders(c, d);
  EXPECT_EQ(h.rate_limit, t.rateLimit());
}

}  // namespace
}  // namespace shipgate::shield
