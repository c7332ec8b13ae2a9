// Rate-limit policy: validation, the "100req/min" shorthand and the RateLimit header values.
#include "shipgate/shield/rate_policy.h"

#include <cctype>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

#include "shipgate/common/strings.h"

namespace shipgate::shield {
namespace {

constexpr int64_t kMaxRequests = 1'000'000'000'000;   // 10^12
constexpr int64_t kMaxPeriodSeconds = 365LL * 86400;  // one year

// A tiny cursor over the lower-cased shorthand.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}
  void skipSpaces() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t')) ++pos_;
  }
  bool atEnd() const { return pos_ >= s_.size(); }
  // Reads up to 13 digits; nullopt when there is no digit here. Sets overflow when longer.
  std::optional<int64_t> number(bool* overflow) {
    size_t start = pos_;
    int64_t v = 0;
    *overflow = false;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      if (pos_ - start >= 13) *overflow = true;
      if (!*overflow) v = v * 10 + (s_[pos_] - '0');
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    return v;
  }
  std::string_view word() {
    size_t start = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  bool consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

Status bad(std::string_view text, const std::string& what) {
  return Status::invalidArgument("rate \"" + std::string(text) + "\": " + what +
                                 ", like \"100req/min\"");
}

std::optional<int64_t> unitSeconds(std::string_view u) {
  if (u == "s" || u == "sec" || u == "secs" || u == "second" || u == "seconds") return 1;
  if (u == "m" || u == "min" || u == "mins" || u == "minute" || u == "minutes") return 60;
  if (u == "h" || u == "hr" || u == "hrs" || u == "hour" || u == "hours") return 3600;
  if (u == "d" || u == "day" || u == "days") return 86400;
  return std::nullopt;
}

}  // namespace

Status validateRateLimitConfig(const RateLimitConfig& c) {
  if (c.period.count() <= 0) {
    return Status::invalidArgument("rate limit: period must be > 0 seconds, got " +
                                   std::to_string(c.period.count()));
  }
  if (c.period.count() > kMaxPeriodSeconds) {
    return Status::invalidArgument("rate limit: period must be at most one year");
  }
  if (c.requests_per_period <= 0 || c.requests_per_period > kMaxRequests) {
    return Status::invalidArgument("rate limit: requests_per_period must be in 1..10^12, got " +
                                   std::to_string(c.requests_per_period));
  }
  if (c.mitigation_timeout.count() < 0 || c.mitigation_timeout.count() > kMaxPeriodSeconds) {
    return Status::invalidArgument("rate limit: mitigation_timeout must be in 0..31536000 s, got " +
                                   std::to_string(c.mitigation_timeout.count()));
  }
  if (c.max_keys == 0) return Status::invalidArgument("rate limit: max_keys must be > 0");
  if (c.shards == 0) return Status::invalidArgument("rate limit: shards must be > 0");
  return Status::success();
}

Result<Rate> parseRateShorthand(std::string_view text) {
  if (text.size() > 64) return bad(text.substr(0, 64), "too long");
  std::string low = asciiLowerCopy(text);
  Cursor cur(low);
  cur.skipSpaces();
  if (cur.atEnd()) return bad(text, "empty; expected a request count");
  bool overflow = false;
  auto n = cur.number(&overflow);
  if (!n) return bad(text, "expected a request count (a positive integer) at the start");
  if (overflow || *n > kMaxRequests) return bad(text, "request count is larger than 10^12");
  if (*n == 0) return bad(text, "request count must be positive");
  cur.skipSpaces();
  std::string_view req = cur.word();
  if (req.empty()) {
    return bad(text, "expected \"req\" after the count " + std::to_string(*n));
  }
  if (req != "req" && req != "reqs" && req != "request" && req != "requests" && req != "r") {
    return bad(text, "expected \"req\" after the count " + std::to_string(*n) + ", found \"" +
                         std::string(req) + "\"");
  }
  cur.skipSpaces();
  if (!cur.consume('/')) {
    return bad(text, "expected \"/\" and a period after \"" + std::string(req) + "\"");
  }
  cur.skipSpaces();
  int64_t mult = 1;
  if (auto m = cur.number(&overflow)) {
    if (overflow) return bad(text, "period multiplier is too large");
    if (*m == 0) return bad(text, "period multiplier must be positive");
    mult = *m;
    cur.skipSpaces();
  }
  std::string_view unit = cur.word();
  if (unit.empty()) return bad(text, "expected a period unit (s, min, h or day) after \"/\"");
  auto secs = unitSeconds(unit);
  if (!secs) {
    return bad(text, "unknown period unit \"" + std::string(unit) + "\" (use s, min, h or day)");
  }
  cur.skipSpaces();
  if (!cur.atEnd()) {
    return bad(text, "unexpected \"" + std::string(cur.rest()) + "\" after the period");
  }
  if (mult > kMaxPeriodSeconds / *secs) return bad(text, "period is longer than one year");
  return Rate{*n, std::chrono::seconds(mult * *secs)};
}

std::string formatRate(const Rate& rate) {
  std::string out = std::to_string(rate.requests) + "req/";
  int64_t s = rate.period.count();
  if (s == 1) return out + "s";
  if (s == 60) return out + "min";
  if (s == 3600) return out + "h";
  if (s == 86400) return out + "day";
  return out + std::to_string(s) + "s";
}

RateLimitHeaderText::RateLimitHeaderText(const RateLimitConfig& config, const RateDecision& d) {
  auto num = [](char* at, char* end, int64_t v) { return std::to_chars(at, end, v).ptr; };
  auto text = [](char* at, std::string_view t) {
    std::memcpy(at, t.data(), t.size());
    return at + t.size();
  };
  char* p = num(policy_, policy_ + sizeof policy_, config.requests_per_period);
  p = text(p, ";w=");
  p = num(p, policy_ + sizeof policy_, config.period.count());
  policy_size_ = static_cast<uint8_t>(p - policy_);
  char* const end = rate_limit_ + sizeof rate_limit_;
  p = text(rate_limit_, "limit=");
  p = num(p, end, d.limit);
  p = text(p, ", remaining=");
  p = num(p, end, d.remaining);
  p = text(p, ", reset=");
  p = num(p, end, d.reset_s);
  rate_limit_size_ = static_cast<uint8_t>(p - rate_limit_);
  if (d.limited) {
    p = num(retry_after_, retry_after_ + sizeof retry_after_, d.retry_after_s);
    retry_after_size_ = static_cast<uint8_t>(p - retry_after_);
  }
}

RateLimitHeaders renderRateLimitHeaders(const RateLimitConfig& config, const RateDecision& d) {
  RateLimitHeaderText t(config, d);
  return RateLimitHeaders{std::string(t.policy()), std::string(t.rateLimit()),
                          std::string(t.retryAfter())};
}

}  // namespace shipgate::shield
