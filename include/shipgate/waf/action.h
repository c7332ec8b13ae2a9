// What a matching rule asks for, as data. The rules engine only decides which rules match; the
// gateway executes the actions (status pages, challenge, counters).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::waf {

enum class ActionKind : uint8_t {
  kBlock,      // terminating: answer with a block page (403 by default)
  kChallenge,  // terminating: answer with the managed challenge unless the client passed it
  kLog,        // non-terminating: record the match, continue
  kSkip,       // skip the rest of the rules (terminating, the request passes) or named rules
  kAllow,      // terminating: the request passes, no further rules run
  kRateLimit,  // non-terminating: the request counts toward the rule's limit; the gateway
               // applies `rate_limit.action` when the counter is over the limit
};

// "block", "challenge", "log", "skip", "allow", "rate_limit" (also "managed_challenge",
// "js_challenge" -> kChallenge).
std::optional<ActionKind> parseAction(std::string_view name);
std::string_view actionName(ActionKind kind);
// block, challenge, allow, and skip without named rules end the evaluation.
bool isTerminating(ActionKind kind, bool skip_rest);

// Cloudflare's rate-limiting parameters (waf/rate-limiting-rules/parameters).
struct RateLimitSpec {
  std::vector<std::string> characteristics{"ip.src"};  // the counter key tuple
  int64_t period_seconds = 60;
  int64_t requests_per_period = 0;
  int64_t mitigation_timeout_seconds = 0;  // 0 = throttle: only requests over the rate
  std::string counting_expression;         // empty = count what the rule matches
  ActionKind action = ActionKind::kBlock;  // applied when limited (block answers 429)
};

// "100req/min", "100 req/min", "100/min", "100 requests per minute", "5req/10s", "1000req/h".
// Units: s, sec, second(s), m, min, minute(s), h, hour(s), d, day(s).
Result<RateLimitSpec> parseRateLimitShorthand(std::string_view text);

struct ActionParams {
  // block
  int block_status = 403;
  std::string block_content_type;  // empty = the gateway's default
  std::string block_body;          // empty = the gateway's default page
  // skip
  bool skip_rest = true;  // false when skip_rules names rules
  std::vector<std::string> skip_rules;
  // rate_limit
  RateLimitSpec rate_limit;
};

}  // namespace shipgate::waf
