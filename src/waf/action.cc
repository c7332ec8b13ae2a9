// Action names and the rate-limit shorthand.
#include "shipgate/waf/action.h"

#include <charconv>

namespace shipgate::waf {

std::optional<ActionKind> parseAction(std::string_view name) {
  if (name == "block") return ActionKind::kBlock;
  if (name == "challenge" || name == "managed_challenge" || name == "js_challenge") {
    return ActionKind::kChallenge;
  }
  if (name == "log") return ActionKind::kLog;
  if (name == "skip") return ActionKind::kSkip;
  if (name == "allow") return ActionKind::kAllow;
  if (name == "rate_limit") return ActionKind::kRateLimit;
  return std::nullopt;
}

std::string_view actionName(ActionKind kind) {
  switch (kind) {
    case ActionKind::kBlock:
      return "block";
    case ActionKind::kChallenge:
      return "challenge";
    case ActionKind::kLog:
      return "log";
    case ActionKind::kSkip:
      return "skip";
    case ActionKind::kAllow:
      return "allow";
    case ActionKind::kRateLimit:
      return "rate_limit";
  }
  return "?";
}

bool isTerminating(ActionKind kind, bool skip_rest) {
  switch (kind) {
    case ActionKind::kBlock:
    case ActionKind::kChallenge:
    case ActionKind::kAllow:
      return true;
    case ActionKind::kSkip:
      return skip_rest;
    default:
      return false;
  }
}

namespace {

bool readNumber(std::string_view& s, int64_t& out) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p == s.data()) return false;
  s.remove_prefix(static_cast<size_t>(p - s.data()));
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  return true;
}

std::optional<int64_t> unitSeconds(std::string_view u) {
  if (u == "s" || u == "sec" || u == "second" || u == "seconds") return 1;
  if (u == "m" || u == "min" || u == "minute" || u == "minutes") return 60;
  if (u == "h" || u == "hour" || u == "hours") return 3600;
  if (u == "d" || u == "day" || u == "days") return 86400;
  return std::nullopt;
}

}  // namespace

Result<RateLimitSpec> parseRateLimitShorthand(std::string_view text) {
  auto bad = [&]() {
    return Status::invalidArgument("bad rate limit \"" + std::string(text) +
                                   "\": expected like \"100req/min\" or \"5 requests per 10s\"");
  };
  std::string_view s = text;
  RateLimitSpec spec;
  if (!readNumber(s, spec.requests_per_period) || spec.requests_per_period <= 0) return bad();
  for (std::string_view word : {"requests", "request", "reqs", "req", "r"}) {
    if (s.substr(0, word.size()) == word) {
      s.remove_prefix(word.size());
      break;
    }
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  if (s.substr(0, 1) == "/") {
    s.remove_prefix(1);
  } else if (s.substr(0, 4) == "per ") {
    s.remove_prefix(4);
  } else {
    return bad();
  }
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  int64_t count = 1;
  std::string_view probe = s;
  if (readNumber(probe, count)) s = probe;
  if (count <= 0) return bad();
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  auto unit = unitSeconds(s);
  if (!unit) return bad();
  spec.period_seconds = count * *unit;
  return spec;
}

}  // namespace shipgate::waf
