// RuleSet: order, actions, skip, rate-limit reporting, diagnostics, the seed's rules.
#include "shipgate/waf/ruleset.h"

#include <gtest/gtest.h>

#include <thread>

namespace shipgate::waf {
namespace {

RuleSpec rule(std::string name, std::string expr, ActionKind action) {
  RuleSpec r;
  r.name = std::move(name);
  r.expression = std::move(expr);
  r.action = action;
  return r;
}

std::unique_ptr<OwnedRequest> request(std::string_view raw) {
  auto r = parseRawHttpRequest(raw);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return std::move(r.value());
}

// The seed's security_rules, with the normalisers the example config turns on.
std::shared_ptr<const RuleSet> seedRules(std::vector<RuleDiagnostic>* diags = nullptr) {
  std::vector<RuleSpec> rules;
  rules.push_back(
      rule("Block malicious bots", "(cf.bot_management.score lt 30)", ActionKind::kBlock));
  RuleSpec rl =
      rule("Rate limit API", "(http.request.uri.path matches \"/api/.*\")", ActionKind::kRateLimit);
  rl.params.rate_limit = parseRateLimitShorthand("100req/min").value();
  rules.push_back(rl);
  rules.push_back(rule("Block SQL injection attempts",
                       "(any(http.request.uri.query contains {\"union select\" \"' or 1=1\" "
                       "\"drop table\"}))",
                       ActionKind::kBlock));
  RuleSetOptions opts;
  opts.compile.normalize = {Normalizer::kUrlDecode, Normalizer::kStripComments,
                            Normalizer::kCompressWhitespace, Normalizer::kLower};
  auto set = RuleSet::compile(std::move(rules), opts, diags);
  EXPECT_TRUE(set.isOk()) << set.status().message();
  return set.value();
}

TEST(RuleSetTest, SeedRulesCompileWithOneRewriteWarning) {
  std::vector<RuleDiagnostic> diags;
  auto set = seedRules(&diags);
  ASSERT_EQ(set->rules().size(), 3u);
  ASSERT_EQ(diags.size(), 2u);  // contains {...} and any(<Bool>)
  for (const auto& d : diags) {
    EXPECT_FALSE(d.is_error);
    EXPECT_EQ(d.rule_index, 2u);
    EXPECT_EQ(d.diagnostic.rewrite,
              "(http.request.uri.query contains \"union select\" or http.request.uri.query "
              "contains \"' or 1=1\" or http.request.uri.query contains \"drop table\")");
    EXPECT_NE(d.rendered.find("rule \"Block SQL injection attempts\": 1:"), std::string::npos)
        << d.rendered;
    EXPECT_NE(d.rendered.find("rewrite: (http.request.uri.query contains"), std::string::npos);
  }
}

TEST(RuleSetTest, SeedRulesVerdicts) {
  auto set = seedRules();
  auto attack = request("GET /api/search?q=1%20UnIoN/**/SeLeCt%20pw HTTP/1.1\r\nHost: x\r\n\r\n");
  attack->mutableRequest().bot_score = 80;
  Evaluation e = set->evaluate(attack->request());
  ASSERT_EQ(e.verdicts.size(), 3u);
  EXPECT_EQ(e.verdicts[0], Verdict::kNoMatch);
  EXPECT_EQ(e.verdicts[1], Verdict::kMatch);
  EXPECT_EQ(e.verdicts[2], Verdict::kMatch);
  EXPECT_EQ(e.rate_limit_matches, std::vector<size_t>{1});
  ASSERT_TRUE(e.action.has_value());
  EXPECT_EQ(*e.action, ActionKind::kBlock);
  EXPECT_EQ(e.terminating_rule, std::optional<size_t>(2));
  EXPECT_EQ(set->rules()[1].spec.params.rate_limit.requests_per_period, 100);
  EXPECT_EQ(set->rules()[1].spec.params.rate_limit.period_seconds, 60);

  auto bot = request("GET /api/x?q=union+select HTTP/1.1\r\n\r\n");
  bot->mutableRequest().bot_score = 3;
  e = set->evaluate(bot->request());
  EXPECT_EQ(e.terminating_rule, std::optional<size_t>(0));
  EXPECT_EQ(e.verdicts[1], Verdict::kNotEvaluated);  // evaluation stopped at the block
  EXPECT_TRUE(e.rate_limit_matches.empty());

  auto fine = request("GET /about?q=union+station HTTP/1.1\r\n\r\n");
  e = set->evaluate(fine->request());
  EXPECT_FALSE(e.action.has_value());
  EXPECT_FALSE(e.terminating_rule.has_value());
  EXPECT_EQ(e.verdicts,
            (std::vector<Verdict>{Verdict::kNoMatch, Verdict::kNoMatch, Verdict::kNoMatch}));
}

TEST(RuleSetTest, LogContinuesAllowStopsSkipRestStops) {
  std::vector<RuleSpec> rules;
  rules.push_back(rule("log-all", "ssl or not ssl", ActionKind::kLog));
  rules.push_back(rule("allow-office", "ip.src in {10.0.0.0/8}", ActionKind::kAllow));
  rules.push_back(rule("skip-health", "http.request.uri.path eq \"/healthz\"", ActionKind::kSkip));
  rules.push_back(rule("block-all", "ssl or not ssl", ActionKind::kBlock));
  auto set = RuleSet::compile(std::move(rules), {});
  ASSERT_TRUE(set.isOk()) << set.status().message();

  auto office = request("GET / HTTP/1.1\r\n\r\n");
  office->mutableRequest().client_ip = IpAddr::parse("10.1.2.3");
  Evaluation e = (*set)->evaluate(office->request());
  EXPECT_EQ(e.log_matches, std::vector<size_t>{0});
  EXPECT_EQ(e.action, std::optional<ActionKind>(ActionKind::kAllow));
  EXPECT_EQ(e.verdicts[3], Verdict::kNotEvaluated);

  auto health = request("GET /healthz HTTP/1.1\r\n\r\n");
  e = (*set)->evaluate(health->request());
  EXPECT_EQ(e.action, std::optional<ActionKind>(ActionKind::kSkip));
  EXPECT_EQ(e.verdicts[3], Verdict::kSkipped);

  auto other = request("GET /x HTTP/1.1\r\n\r\n");
  e = (*set)->evaluate(other->request());
  EXPECT_EQ(e.action, std::optional<ActionKind>(ActionKind::kBlock));
  EXPECT_EQ(e.terminating_rule, std::optional<size_t>(3));
}

TEST(RuleSetTest, SkipNamedRulesAndDisabledRules) {
  std::vector<RuleSpec> rules;
  RuleSpec skip = rule("skip-ua-check", "http.host eq \"internal\"", ActionKind::kSkip);
  skip.params.skip_rest = false;
  skip.params.skip_rules = {"no-curl"};
  rules.push_back(skip);
  rules.push_back(rule("no-curl", "starts_with(http.user_agent, \"curl\")", ActionKind::kBlock));
  RuleSpec off = rule("off", "ssl or not ssl", ActionKind::kBlock);
  off.enabled = false;
  rules.push_back(off);
  rules.push_back(rule("log-curl", "lower(http.user_agent) contains \"curl\"", ActionKind::kLog));
  auto set = RuleSet::compile(std::move(rules), {});
  ASSERT_TRUE(set.isOk()) << set.status().message();

  auto internal = request("GET / HTTP/1.1\r\nHost: internal\r\nUser-Agent: curl/8\r\n\r\n");
  Evaluation e = (*set)->evaluate(internal->request());
  EXPECT_EQ(e.verdicts[1], Verdict::kSkipped);
  EXPECT_EQ(e.verdicts[2], Verdict::kDisabled);
  EXPECT_EQ(e.verdicts[3], Verdict::kMatch);
  EXPECT_FALSE(e.action.has_value());

  auto outside = request("GET / HTTP/1.1\r\nHost: www\r\nUser-Agent: curl/8\r\n\r\n");
  e = (*set)->evaluate(outside->request());
  EXPECT_EQ(e.action, std::optional<ActionKind>(ActionKind::kBlock));
}

TEST(RuleSetTest, ErrorsOfAllRulesAreReported) {
  std::vector<RuleSpec> rules;
  rules.push_back(rule("a", "http.host contians \"x\"", ActionKind::kBlock));
  rules.push_back(rule("b", "ssl", ActionKind::kBlock));
  rules.push_back(rule("c", "ip.src in $missing", ActionKind::kBlock));
  RuleSpec s = rule("d", "ssl", ActionKind::kSkip);
  s.params.skip_rest = false;
  s.params.skip_rules = {"nope"};
  rules.push_back(s);
  std::vector<RuleDiagnostic> diags;
  auto set = RuleSet::compile(std::move(rules), {}, &diags);
  ASSERT_FALSE(set.isOk());
  const std::string& m = set.status().message();
  EXPECT_NE(m.find("rule \"a\": 1:11: error: expected one of"), std::string::npos) << m;
  EXPECT_NE(m.find("rule \"c\": 1:1: error: unknown list $missing"), std::string::npos) << m;
  EXPECT_NE(m.find("rule \"d\": skip names unknown rule \"nope\""), std::string::npos) << m;
  EXPECT_EQ(m.find("rule \"b\""), std::string::npos) << m;
  ASSERT_EQ(diags.size(), 2u);
  EXPECT_TRUE(diags[0].is_error);
}

TEST(RuleSetTest, PerRuleNormalizeOverridesTheSetDefault) {
  std::vector<RuleSpec> rules;
  RuleSpec raw = rule("raw", "http.request.uri.query contains \"a b\"", ActionKind::kLog);
  raw.normalize = std::vector<Normalizer>{};
  rules.push_back(raw);
  rules.push_back(rule("decoded", "http.request.uri.query contains \"a b\"", ActionKind::kLog));
  RuleSetOptions opts;
  opts.compile.normalize = {Normalizer::kUrlDecode};
  auto set = RuleSet::compile(std::move(rules), opts);
  ASSERT_TRUE(set.isOk());
  auto r = request("GET /?q=a%20b HTTP/1.1\r\n\r\n");
  Evaluation e = (*set)->evaluate(r->request());
  EXPECT_EQ(e.verdicts[0], Verdict::kNoMatch);
  EXPECT_EQ(e.verdicts[1], Verdict::kMatch);
}

TEST(RuleSetTest, RateLimitCountingExpressionCompiles) {
  RuleSpec r = rule("login", "http.request.uri.path eq \"/login\"", ActionKind::kRateLimit);
  r.params.rate_limit = parseRateLimitShorthand("5 requests per 10s").value();
  r.params.rate_limit.counting_expression = "http.response.code eq 401";
  std::vector<RuleSpec> rules{r};
  auto set = RuleSet::compile(rules, {});
  ASSERT_TRUE(set.isOk()) << set.status().message();
  const auto& rule0 = (*set)->rules()[0];
  ASSERT_NE(rule0.counting_filter, nullptr);
  auto resp = request("POST /login HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(rule0.counting_filter->matches(resp->request()));
  resp->mutableRequest().response_code = 401;
  EXPECT_TRUE(rule0.counting_filter->matches(resp->request()));

  r.params.rate_limit.counting_expression = "http.response.code eq \"401\"";
  auto bad = RuleSet::compile({r}, {});
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("counting_expression"), std::string::npos);
}

TEST(RuleSetTest, SharedAcrossThreadsWithOwnContexts) {
  auto set = seedRules();
  auto attack = request("GET /x?q=drop%20TABLE HTTP/1.1\r\n\r\n");
  auto fine = request("GET /x?q=hello HTTP/1.1\r\n\r\n");
  std::atomic<int> wrong{0};
  auto work = [&](const OwnedRequest& r, bool blocked) {
    EvalContext ctx;
    Evaluation e;
    for (int i = 0; i < 2000; ++i) {
      set->evaluate(r.request(), ctx, e);
      if (e.action.has_value() != blocked) ++wrong;
    }
  };
  std::thread a(work, std::cref(*attack), true);
  std::thread b(work, std::cref(*fine), false);
  a.join();
  b.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(RuleSetTest, RuleTimingUsesTheGivenClock) {
  auto set = seedRules();
  SimulatedClock clock;
  auto r = request("GET / HTTP/1.1\r\n\r\n");
  EvalContext ctx;
  Evaluation e;
  set->evaluate(r->request(), ctx, e, &clock);
  ASSERT_EQ(e.rule_nanos.size(), 3u);
  for (int64_t ns : e.rule_nanos) EXPECT_EQ(ns, 0);  // simulated time did not move
}

TEST(RuleSetTest, MakeRuleSpecFromTheSeedsStrings) {
  auto spec = makeRuleSpec("Rate limit API", "(http.request.uri.path matches \"/api/.*\")",
                           "rate_limit", "100req/min");
  ASSERT_TRUE(spec.isOk()) << spec.status().message();
  EXPECT_EQ(spec->action, ActionKind::kRateLimit);
  EXPECT_EQ(spec->params.rate_limit.requests_per_period, 100);
  EXPECT_FALSE(makeRuleSpec("x", "ssl", "rate_limit").isOk());
  EXPECT_FALSE(makeRuleSpec("x", "ssl", "block", "100req/min").isOk());
  EXPECT_FALSE(makeRuleSpec("x", "ssl", "drop").isOk());
  EXPECT_FALSE(makeRuleSpec("x", "ssl", "rate_limit", "lots").isOk());
}

TEST(RuleSetTest, DescribeMatchShowsTheFieldsTheRuleReads) {
  std::vector<RuleSpec> rules{rule("sqli",
                                   "http.request.uri.query contains \"union\" and "
                                   "ip.src in {192.0.2.0/24} and not ssl",
                                   ActionKind::kBlock)};
  auto set = RuleSet::compile(std::move(rules), {});
  ASSERT_TRUE(set.isOk());
  auto r = request("GET /?q=1+union+select+" + std::string(100, 'x') + " HTTP/1.1\r\n\r\n");
  r->mutableRequest().client_ip = IpAddr::parse("192.0.2.9");
  EvalContext ctx;
  Evaluation e;
  (*set)->evaluate(r->request(), ctx, e);
  ASSERT_EQ(e.action, std::optional<ActionKind>(ActionKind::kBlock));
  EXPECT_EQ((*set)->describeMatch(0, ctx, 16),
            "http.request.uri.query=\"q=1+union+select\"... ip.src=192.0.2.9 ssl=false");
  EXPECT_EQ(describeValue(Value()), "<missing>");
  Value items[2] = {Value::ofBytes("a\"\x01"), Value::ofInt(7)};
  std::string_view keys[2] = {"k1", "k2"};
  EXPECT_EQ(describeValue(Value::ofArray(items, 2)), "[\"a\\\"\\x01\", 7]");
  EXPECT_EQ(describeValue(Value::ofMap(keys, items, 2)), "{\"k1\": \"a\\\"\\x01\", \"k2\": 7}");
}

TEST(RuleSetTest, ResponseCodeInARuleExpressionIsFlagged) {
  std::vector<RuleDiagnostic> diags;
  auto set =
      RuleSet::compile({rule("r", "http.response.code eq 403", ActionKind::kLog)}, {}, &diags);
  ASSERT_TRUE(set.isOk());
  ASSERT_EQ(diags.size(), 1u);
  EXPECT_FALSE(diags[0].is_error);
  EXPECT_NE(diags[0].rendered.find("only set in the response phase"), std::string::npos);
}

TEST(ActionTest, ParseActionAndShorthand) {
  EXPECT_EQ(parseAction("block"), std::optional<ActionKind>(ActionKind::kBlock));
  EXPECT_EQ(parseAction("managed_challenge"), std::optional<ActionKind>(ActionKind::kChallenge));
  EXPECT_EQ(parseAction("rate_limit"), std::optional<ActionKind>(ActionKind::kRateLimit));
  EXPECT_FALSE(parseAction("drop").has_value());
  for (auto kind : {ActionKind::kBlock, ActionKind::kChallenge, ActionKind::kLog, ActionKind::kSkip,
                    ActionKind::kAllow, ActionKind::kRateLimit}) {
    EXPECT_EQ(parseAction(actionName(kind)), std::optional<ActionKind>(kind));
  }
  struct Case {
    const char* text;
    int64_t n;
    int64_t period;
  };
  for (const Case& c :
       {Case{"100req/min", 100, 60}, Case{"100 req/min", 100, 60}, Case{"100/min", 100, 60},
        Case{"5req/10s", 5, 10}, Case{"1000 requests per hour", 1000, 3600}, Case{"2r/s", 2, 1},
        Case{"10req/2m", 10, 120}, Case{"7 req / day", 7, 86400}}) {
    auto spec = parseRateLimitShorthand(c.text);
    ASSERT_TRUE(spec.isOk()) << c.text << ": " << spec.status().message();
    EXPECT_EQ(spec->requests_per_period, c.n) << c.text;
    EXPECT_EQ(spec->period_seconds, c.period) << c.text;
    EXPECT_EQ(spec->characteristics, std::vector<std::string>{"ip.src"});
  }
  for (const char* bad :
       {"", "req/min", "0req/min", "-5req/min", "100req/fortnight", "100req", "100req/0s", "abc"}) {
    EXPECT_FALSE(parseRateLimitShorthand(bad).isOk()) << bad;
  }
}

}  // namespace
}  // namespace shipgate::waf
