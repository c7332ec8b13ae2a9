// The waf: section, the security_rules extensions, and the firewall's section validator: rule
// expressions compiled once at load time, with errors located at the exact file line:column
// inside the (quoted) expression, and the Firewall built from that compiled result.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "shipgate/common/clock.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/firewall_config.h"
#include "unit/config/test_util.h"

namespace shipgate::config {
namespace {

using testing::countErrors;
using testing::hasDiag;
using testing::hasWarning;
using testing::load;

TEST(WafConfig, DefaultsAndAllKeys) {
  auto plain = load("security_rules:\n  - {name: a, expression: 'ssl', action: log}\n");
  ASSERT_TRUE(plain.ok()) << plain.toString();
  const WafConfig& d = plain.config->waf;
  EXPECT_FALSE(d.enabled.has_value());
  EXPECT_EQ(d.normalize.size(), 4u);
  EXPECT_EQ(d.body_bytes, 8192u);
  EXPECT_EQ(d.block.status, 403);
  EXPECT_FALSE(d.verified_bots.has_value());
  EXPECT_EQ(d.bot_high_rate_per_minute, 120);
  EXPECT_EQ(d.bot_very_high_rate_per_minute, 600);

  auto r = load(R"yaml(
waf:
  enabled: true
  normalize: [lower]
  body_bytes: 1KiB
  limits: {expression_length: 2000, nesting: 10, regex_size: 100, set_size: 50}
  lists:
    blocked_ips: ["192.0.2.0/24", "198.51.100.7"]
    ports: ["8000..8009"]
    agents: ["sqlmap", "nikto"]
  block: {status: 406, content_type: text/plain, body: "blocked {rule} {event_id}"}
  challenge: {secret: "0123456789abcdef", difficulty_bits: 12, ttl: 30m}
  bots:
    verified:
      - {name: mybot, user_agent: MyBot, cidrs: ["203.0.113.0/24"]}
    high_rate_per_minute: 300
    very_high_rate_per_minute: 3000
  rate_limit: {max_keys: 5000}
security_rules:
  - name: bad-ips
    expression: "ip.src in $blocked_ips"
    action: block
    description: "known bad"
    normalize: []
    enabled: false
    block: {status: 410, content_type: text/plain, body: gone}
  - name: health
    expression: 'http.request.uri.path eq "/health"'
    action: skip
    skip: {rules: [bad-ips]}
  - name: api
    expression: 'starts_with(http.request.uri.path, "/api/")'
    action: rate_limit
    ratelimit:
      characteristics: [ip.src, 'http.request.headers["x-api-key"]']
      period: 10s
      requests_per_period: 20
      mitigation_timeout: 1m
      counting_expression: 'http.response.code ge 400'
      action: challenge
  - {name: short, expression: 'http.request.uri.path eq "/s"', action: rate_limit,
     rate_limit: "5req/10s"}
)yaml");
  ASSERT_TRUE(r.ok()) << r.toString();
  const Config& c = *r.config;
  EXPECT_EQ(c.waf.enabled, true);
  EXPECT_EQ(c.waf.normalize, std::vector<std::string>{"lower"});
  EXPECT_EQ(c.waf.body_bytes, 1024u);
  EXPECT_EQ(c.waf.max_expression_length, 2000u);
  EXPECT_EQ(c.waf.max_nesting_depth, 10);
  EXPECT_EQ(c.waf.max_regex_length, 100u);
  EXPECT_EQ(c.waf.max_set_size, 50u);
  EXPECT_EQ(c.waf.lists.at("ports"), std::vector<std::string>{"8000..8009"});
  EXPECT_EQ(c.waf.block.status, 406);
  EXPECT_EQ(c.waf.block.body, "blocked {rule} {event_id}");
  EXPECT_EQ(c.waf.challenge_difficulty_bits, 12);
  EXPECT_EQ(c.waf.challenge_ttl_s, 1800);
  ASSERT_TRUE(c.waf.verified_bots.has_value());
  EXPECT_EQ((*c.waf.verified_bots)[0].cidrs, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_EQ(c.waf.rate_limit_max_keys, 5000u);
  EXPECT_EQ(c.waf.bot_high_rate_per_minute, 300);
  EXPECT_EQ(c.waf.bot_very_high_rate_per_minute, 3000);
  ASSERT_EQ(c.security_rules.size(), 4u);
  const SecurityRule& bad = c.security_rules[0];
  EXPECT_FALSE(bad.enabled);
  EXPECT_EQ(bad.description, "known bad");
  ASSERT_TRUE(bad.normalize.has_value());
  EXPECT_TRUE(bad.normalize->empty());
  ASSERT_TRUE(bad.block.has_value());
  EXPECT_EQ(bad.block->status, 410);
  EXPECT_EQ(c.security_rules[1].skip_rules, std::vector<std::string>{"bad-ips"});
  ASSERT_TRUE(c.security_rules[2].ratelimit.has_value());
  const WafRateLimit& rl = *c.security_rules[2].ratelimit;
  EXPECT_EQ(rl.characteristics.size(), 2u);
  EXPECT_EQ(rl.period_seconds, 10);
  EXPECT_EQ(rl.requests_per_period, 20);
  EXPECT_EQ(rl.mitigation_timeout_seconds, 60);
  EXPECT_EQ(rl.action, RateLimitAction::kChallenge);
  EXPECT_EQ(rl.counting_expression, "http.response.code ge 400");
  // The firewall's settings: the shorthand becomes the structured form, the characteristics and
  // actions are parsed.
  EXPECT_FALSE(c.security_rules[3].ratelimit.has_value());
  auto fc = firewall::firewallConfigOf(c);
  ASSERT_TRUE(fc.isOk()) << fc.status().message();
  const auto& rules = (*fc)->rules->rules();
  ASSERT_EQ(rules.size(), 4u);
  const waf::RateLimitSpec& short_rl = rules[3].spec.params.rate_limit;
  EXPECT_EQ(short_rl.requests_per_period, 5);
  EXPECT_EQ(short_rl.period_seconds, 10);
  EXPECT_EQ(short_rl.characteristics, std::vector<std::string>{"ip.src"});
  EXPECT_EQ(short_rl.mitigation_timeout_seconds, 0);
  EXPECT_EQ(short_rl.action, waf::ActionKind::kBlock);
  EXPECT_EQ(rules[2].spec.params.rate_limit.action, waf::ActionKind::kChallenge);
  EXPECT_EQ(rules[1].spec.action, waf::ActionKind::kSkip);
  ASSERT_EQ((*fc)->rule_settings[2].characteristics.size(), 2u);
  EXPECT_EQ((*fc)->rule_settings[2].characteristics[1].kind,
            firewall::Characteristic::Kind::kHeader);
  EXPECT_EQ((*fc)->rule_settings[2].characteristics[1].name, "x-api-key");
}

// The loader alone knows no rules engine: without the firewall's validator an expression is not
// compiled, and nothing is stored for the firewall.
TEST(WafConfig, TheLoaderAloneDoesNotCompileRules) {
  const std::string yaml = "security_rules:\n  - {name: a, expression: 'http.host eqq 1', "
                           "action: block}\n";
  auto plain = loadString(yaml, "test.yaml");
  ASSERT_TRUE(plain.ok()) << plain.toString();
  EXPECT_TRUE(plain.config->sections.empty());
  auto checked = load(yaml);
  EXPECT_FALSE(checked.ok());
  EXPECT_TRUE(hasDiag(checked, "test.yaml:2:38", "security_rules[0].expression"))
      << checked.toString();
  // A Config loaded without the validator still builds a Firewall (validated at build time),
  // and a bad rule is refused there with the located error.
  SimulatedClock clock;
  auto built = firewall::Firewall::build(*plain.config, clock, nullptr);
  ASSERT_FALSE(built.isOk());
  EXPECT_NE(built.status().message().find("test.yaml:2:"), std::string::npos)
      << built.status().message();
}

// A reload compiles each rule once: the Firewall is built from the rule set the loader's
// validator compiled (the same object), not from a second compile.
TEST(WafConfig, TheFirewallIsBuiltFromTheRulesCompiledAtLoad) {
  auto r = load("security_rules:\n  - {name: a, expression: 'http.host eq \"x\"', action: block}\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  auto it = r.config->sections.find(firewall::kFirewallSection);
  ASSERT_NE(it, r.config->sections.end());
  auto fc = std::dynamic_pointer_cast<const firewall::FirewallConfig>(it->second);
  ASSERT_NE(fc, nullptr);
  SimulatedClock clock;
  auto built = firewall::Firewall::build(*r.config, clock, nullptr);
  ASSERT_TRUE(built.isOk()) << built.status().message();
  EXPECT_EQ(&(*built)->ruleSet(), fc->rules.get());
  // A copy of the Config (as runtime changes make) shares the compiled rules.
  config::Config copy = *r.config;
  auto rebuilt = firewall::Firewall::build(copy, clock, built->get());
  ASSERT_TRUE(rebuilt.isOk());
  EXPECT_EQ(&(*rebuilt)->ruleSet(), fc->rules.get());
}

TEST(WafConfig, ExpressionErrorsAreLocatedInsideTheScalar) {
  // Double-quoted with escapes: the error is at "eqq" (column counts the backslashes).
  auto r = load(
      "security_rules:\n"
      "  - name: a\n"
      "    expression: \"(http.request.uri.path matches \\\"/x\\\" and http.host eqq \\\"h\\\")\"\n"
      "    action: block\n"
      "  - name: b\n"
      "    expression: 'http.host eq \"a''b\" or ip.src in {10.0.0.0/33}'\n"
      "    action: block\n"
      "  - name: c\n"
      "    expression: |\n"
      "      http.host eq \"a\"\n"
      "        and lenn(http.host) gt 3\n"
      "    action: log\n"
      "  - name: d\n"
      "    expression: http.host eq \"x\" and ip.src in $nolist\n"
      "    action: block\n");
  // a: `    expression: "` -> quote at col 17; the field `http.host` then `eqq`.
  std::string line3 =
      "    expression: \"(http.request.uri.path matches \\\"/x\\\" and http.host eqq";
  int col_eqq = static_cast<int>(line3.size()) - 3 + 1;
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:" + std::to_string(col_eqq), "security_rules[0].expression"))
      << r.toString();
  // b: single-quoted with '' escapes; the bad CIDR prefix length (the engine marks "33").
  std::string line6 = "    expression: 'http.host eq \"a''b\" or ip.src in {10.0.0.0/";
  EXPECT_TRUE(
      hasDiag(r, "test.yaml:6:" + std::to_string(line6.size() + 1), "security_rules[1].expression"))
      << r.toString();
  // c: block scalar, second line, at "lenn".
  EXPECT_TRUE(hasDiag(r, "test.yaml:11:13", "security_rules[2].expression")) << r.toString();
  // d: plain scalar, unknown list (the engine marks the whole comparison).
  std::string line14 = "    expression: http.host eq \"x\" and ";
  EXPECT_TRUE(hasDiag(r, "test.yaml:14:" + std::to_string(line14.size() + 1), "nolist"))
      << r.toString();
  EXPECT_EQ(countErrors(r), 4) << r.toString();
  // The message carries the engine's caret rendering.
  bool caret = false;
  for (const auto& d : r.diagnostics) {
    if (d.message.find("security_rules[0]") != std::string::npos) {
      caret =
          d.message.find("\n    ") != std::string::npos && d.message.find('^') != std::string::npos;
    }
  }
  EXPECT_TRUE(caret) << r.toString();
}

TEST(WafConfig, BadKeysAndValues) {
  auto r = load(R"yaml(waf:
  normalize: [lower, rot13]
  challenge: {secret: short, difficulty_bits: 40}
  limits: {nesting: 0}
  block: {status: 99}
security_rules:
  - {name: a, expression: "ssl", action: block, normalize: [upper]}
  - {name: b, expression: "ssl", action: log, block: {status: 403}}
  - {name: c, expression: "ssl", action: skip, skip: {rules: [nope]}}
  - name: d
    expression: "ssl"
    action: rate_limit
    ratelimit: {characteristics: ["cf.colo"], period: 0s}
  - name: e
    expression: "ssl"
    action: rate_limit
    rate_limit: "1req/s"
    ratelimit: {requests_per_period: 1}
  - name: f
    expression: "ssl"
    action: rate_limit
    ratelimit: {requests_per_period: 5, counting_expression: "http.response.code eq"}
)yaml");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:22", "unknown normaliser \"rot13\"")) << r.toString();
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:23", "waf.challenge.secret: must be at least 16 bytes"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:3:47", "waf.challenge.difficulty_bits"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:4:21", "waf.limits.nesting"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:5:19", "waf.block.status"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:7:61", "unknown normaliser \"upper\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:8:54", "block: only applies to action \"block\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:9:5", "skip.rules: no rule named \"nope\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:13:55", "period: must be positive"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:13:16", "requests_per_period is required"));
  EXPECT_TRUE(hasDiag(r, "test.yaml:10:5", "unknown characteristic \"cf.colo\""));
  EXPECT_TRUE(hasDiag(r, "test.yaml:18:16", "not both"));
  std::string line22 =
      "    ratelimit: {requests_per_period: 5, counting_expression: \"http.response.code eq";
  EXPECT_TRUE(hasDiag(r, "test.yaml:22:" + std::to_string(line22.size() + 1),
                      "security_rules[5].ratelimit.counting_expression"))
      << r.toString();
}

TEST(WafConfig, BotRateThresholdsMustBeOrderedAndPositive) {
  auto r = load("waf:\n  bots: {high_rate_per_minute: 500, very_high_rate_per_minute: 100}\n");
  EXPECT_TRUE(hasDiag(r, "test.yaml:2:9",
                      "waf.bots: very_high_rate_per_minute (100) is below high_rate_per_minute "
                      "(500)"))
      << r.toString();
  auto zero = load("waf:\n  bots: {high_rate_per_minute: 0}\n");
  EXPECT_TRUE(hasDiag(zero, "test.yaml:2:32", "waf.bots.high_rate_per_minute")) << zero.toString();
  auto text = load("waf:\n  bots: {very_high_rate_per_minute: lots}\n");
  EXPECT_TRUE(hasDiag(text, "test.yaml:2:37", "waf.bots.very_high_rate_per_minute"))
      << text.toString();
}

TEST(WafConfig, SeedQuirkWarningCarriesTheRewrite) {
  auto r = load(
      "security_rules:\n"
      "  - name: sqli\n"
      "    expression: \"(any(http.request.uri.query contains {\\\"union select\\\" \\\"drop "
      "table\\\"}))\"\n"
      "    action: block\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_TRUE(hasWarning(r, "test.yaml:3:19", "any() expects an Array<Bool>"));
  EXPECT_TRUE(hasWarning(r, "test.yaml:3:23",
                         "rewrite: (http.request.uri.query contains \"union select\" or "
                         "http.request.uri.query contains \"drop table\")"));
}

}  // namespace
}  // namespace shipgate::config
