// From the config model to the rules engine's inputs: named lists, compile options (limits and
// default normalisers) and one waf::RuleSpec per security rule. Used by the firewall's section
// validator (firewall_config.h), which compiles every rule once, and by `shipgate waf fmt`.
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <vector>

#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/waf/filter.h"
#include "shipgate/waf/ruleset.h"

namespace shipgate::firewall {

// One rate-limit characteristic (part of the counter key).
struct Characteristic {
  enum class Kind { kIp, kHost, kPath, kMethod, kQuery, kHeader, kCookie, kQueryArg };
  Kind kind = Kind::kIp;
  std::string name;  // kHeader (lower-case), kCookie, kQueryArg
};
// ip.src, http.host, http.request.uri.path, http.request.method, http.request.uri.query,
// http.request.headers["name"], http.request.cookies["name"], http.request.uri.args["name"].
Result<Characteristic> parseCharacteristic(std::string_view text);

// "url_decode" ... -> Normalizer; invalidArgument naming the unknown one.
Result<std::vector<waf::Normalizer>> parseNormalizers(const std::vector<std::string>& names);

// waf.lists: each list's element type is inferred: all items IPs/CIDRs/ranges -> Ip, all integers
// or ranges -> Int, else Bytes. An empty list is Bytes.
waf::ListRegistry buildNamedLists(const config::WafConfig& waf);

// Limits and default normalisers of waf:. `lists` may be null (then `in $name` fails).
waf::CompileOptions compileOptions(const config::WafConfig& waf, const waf::ListRegistry* lists);

waf::ActionKind actionKind(config::RuleAction action);
waf::ActionKind actionKind(config::RateLimitAction action);

// The rate limit of a rate_limit rule: its ratelimit:, else its rate_limit shorthand
// ("100req/min", waf::parseRateLimitShorthand) with the defaults of config::WafRateLimit.
// invalidArgument when neither is there or the shorthand is not a rate.
Result<config::WafRateLimit> rateLimitOf(const config::SecurityRule& rule);

// The engine's spec for one rule: action, params (block response, skip targets, rate limit with
// its characteristics / counting expression / action) and the per-rule normalisers.
Result<waf::RuleSpec> ruleSpecFromConfig(const config::SecurityRule& rule);

}  // namespace shipgate::firewall
