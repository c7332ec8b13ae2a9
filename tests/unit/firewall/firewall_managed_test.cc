// waf.managed_rules.crs and waf.mask_upstream_errors: the config reader (values, defaults, located
// errors), the cf.waf.* fields, and the Firewall with the Debian OWASP CRS: a managed block, the
// log action, exclusions, custom rules on cf.waf.score and custom allow rules before the CRS.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <thread>

#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall_config.h"
#include "unit/firewall/firewall_fixture.h"

namespace shipgate::firewall {
namespace {

using testing::TestRequest;

config::LoadResult load(const std::string& yaml) {
  return config::loadString(yaml, "test.yaml", {&firewallSection()});
}

// The first error's text ("test.yaml:L:C: error: ..."), or "" when none.
std::string firstError(const config::LoadResult& r) {
  for (const auto& d : r.diagnostics) {
    if (d.severity == config::Diagnostic::Severity::kError) return d.toString();
  }
  return "";
}

const char* kCrs = R"(waf:
  managed_rules:
    crs:
      paranoia_level: 1
      inbound_threshold: 5
      action: ACTION
      exclusions: EXCLUSIONS
security_rules: RULES
)";

std::string crsYaml(const std::string& action = "block", const std::string& exclusions = "[]",
                    const std::string& rules = "[]") {
  std::string s = kCrs;
  s.replace(s.find("ACTION"), 6, action);
  s.replace(s.find("EXCLUSIONS"), 10, exclusions);
  s.replace(s.find("RULES"), 5, rules);
  return s;
}

TEST(ManagedConfig, ReadsEveryKey) {
  auto r = config::loadString(R"(waf:
  mask_upstream_errors: true
  managed_rules:
    crs:
      paranoia_level: 3
      inbound_threshold: 7
      action: log
      rules_dir: /tmp/crs-rules
      setup_file: /tmp/crs-setup.conf
      body_bytes: 65536
      exclusions:
        - id: 942100
        - ids: "942100-942199,920300"
          targets: ["ARGS:password", "REQUEST_COOKIES:/^sess/"]
        - tag: attack-xss
)",
                              "test.yaml");
  ASSERT_TRUE(r.ok()) << r.toString();
  const config::WafConfig& w = r.config->waf;
  EXPECT_TRUE(w.mask_upstream_errors);
  ASSERT_TRUE(w.crs.has_value());
  EXPECT_EQ(w.crs->paranoia_level, 3);
  EXPECT_EQ(w.crs->inbound_threshold, 7);
  EXPECT_EQ(w.crs->action, config::CrsAction::kLog);
  EXPECT_EQ(w.crs->rules_dir, "/tmp/crs-rules");
  EXPECT_EQ(w.crs->setup_file, "/tmp/crs-setup.conf");
  EXPECT_EQ(w.crs->body_bytes, 65536u);
  ASSERT_EQ(w.crs->exclusions.size(), 3u);
  EXPECT_EQ(w.crs->exclusions[0].ids, "942100");
  EXPECT_EQ(w.crs->exclusions[1].ids, "942100-942199,920300");
  EXPECT_EQ(w.crs->exclusions[1].targets,
            (std::vector<std::string>{"ARGS:password", "REQUEST_COOKIES:/^sess/"}));
  EXPECT_EQ(w.crs->exclusions[2].tag, "attack-xss");

  config::Diagnostics d;
  auto settings = crsSettingsOf(*w.crs, d);
  ASSERT_TRUE(settings.has_value());
  ASSERT_EQ(settings->exclusions.size(), 3u);
  ASSERT_EQ(settings->exclusions[0].ids.size(), 1u);
  EXPECT_EQ(settings->exclusions[0].ids[0].first, 942100);
  EXPECT_EQ(settings->exclusions[0].ids[0].last, 942100);
  ASSERT_EQ(settings->exclusions[1].ids.size(), 2u);
  EXPECT_EQ(settings->exclusions[1].ids[0].first, 942100);
  EXPECT_EQ(settings->exclusions[1].ids[0].last, 942199);
  ASSERT_EQ(settings->exclusions[1].targets.size(), 2u);
  EXPECT_EQ(settings->exclusions[1].targets[0].var, managed::Var::kArgs);
  EXPECT_EQ(settings->exclusions[1].targets[0].selector, "password");
  EXPECT_EQ(settings->exclusions[1].targets[1].var, managed::Var::kRequestCookies);
  EXPECT_TRUE(settings->exclusions[1].targets[1].selector_is_regex);
  EXPECT_EQ(settings->exclusions[1].targets[1].selector, "^sess");
  EXPECT_EQ(settings->exclusions[2].tag, "attack-xss");
  EXPECT_EQ(settings->paranoia_level, 3);
  EXPECT_EQ(settings->inbound_threshold, 7);
}

TEST(ManagedConfig, Defaults) {
  auto r = config::loadString("waf:\n  managed_rules:\n    crs: {}\n", "test.yaml");
  ASSERT_TRUE(r.ok()) << r.toString();
  const config::WafConfig& w = r.config->waf;
  EXPECT_FALSE(w.mask_upstream_errors);
  ASSERT_TRUE(w.crs.has_value());
  EXPECT_EQ(w.crs->paranoia_level, 1);
  EXPECT_EQ(w.crs->inbound_threshold, 5);
  EXPECT_EQ(w.crs->action, config::CrsAction::kBlock);
  EXPECT_EQ(w.crs->rules_dir, "/usr/share/modsecurity-crs/rules");
  EXPECT_EQ(w.crs->setup_file, "/etc/modsecurity/crs/crs-setup.conf");
  EXPECT_EQ(w.crs->body_bytes, 131072u);
  auto none = config::loadString("waf: {}\n", "test.yaml");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.config->waf.crs.has_value());
}

TEST(ManagedConfig, BadValuesAreLocatedErrors) {
  struct Case {
    const char* yaml;
    const char* expect;  // a substring of the first error
  };
  const Case cases[] = {
      {"waf:\n  managed_rules:\n    crs:\n      paranoia_level: 5\n",
       "test.yaml:4:23: error: waf.managed_rules.crs.paranoia_level"},
      {"waf:\n  managed_rules:\n    crs:\n      inbound_threshold: 0\n",
       "test.yaml:4:26: error: waf.managed_rules.crs.inbound_threshold"},
      {"waf:\n  managed_rules:\n    crs:\n      action: drop\n",
       "test.yaml:4:15: error: waf.managed_rules.crs.action"},
      {"waf:\n  managed_rules:\n    crs:\n      paranoia: 2\n",
       "test.yaml:4:7: error: unknown key \"paranoia\" in waf.managed_rules.crs"},
      {"waf:\n  managed_rules:\n    owasp: {}\n", "test.yaml:3:5: error: unknown key \"owasp\" in waf.managed_rules"},
      {"waf:\n  managed_rules:\n    crs:\n      exclusions:\n        - {id: 942100, tag: x}\n",
       "waf.managed_rules.crs.exclusions[0]: needs exactly one of id, ids or tag"},
      {"waf:\n  managed_rules:\n    crs:\n      exclusions:\n        - targets: [ARGS]\n",
       "waf.managed_rules.crs.exclusions[0]: needs exactly one of id, ids or tag"},
      {"waf:\n  managed_rules:\n    crs:\n      exclusions:\n        - {id: 942100, color: red}\n",
       "test.yaml:5:24: error: unknown key \"color\" in waf.managed_rules.crs.exclusions[0]"},
      {"waf:\n  managed_rules:\n    crs:\n      exclusions: {id: 1}\n",
       "test.yaml:4:19: error: waf.managed_rules.crs.exclusions: expected a list"},
      {"waf:\n  mask_upstream_errors: sometimes\n", "test.yaml:2:25: error: waf.mask_upstream_errors"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto r = load(c.yaml);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(firstError(r).find(c.expect), std::string::npos) << r.toString();
  }
}

TEST(ManagedConfig, BadExclusionsAreLocatedErrors) {
  struct Case {
    const char* exclusions;
    const char* expect;
  };
  const Case cases[] = {
      {"[{ids: \"942x\"}]", "test.yaml:7:26: error: waf.managed_rules.crs.exclusions[0]: \"942x\" "
                            "is not a rule id or id range"},
      {"[{id: 942100, targets: [\"NOPE:x\"]}]",
       "waf.managed_rules.crs.exclusions[0].targets[0]: \"NOPE:x\" is not one target"},
      {"[{id: 942100, targets: [\"!ARGS:x\"]}]",
       "waf.managed_rules.crs.exclusions[0].targets[0]: write the target without '!'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.exclusions);
    auto r = load(crsYaml("block", c.exclusions));
    EXPECT_FALSE(r.ok());
    EXPECT_NE(firstError(r).find(c.expect), std::string::npos) << r.toString();
  }
}

TEST(ManagedConfig, WafFieldsNeedManagedRules) {
  auto r = load(R"(security_rules:
  - name: api attacks
    expression: 'http.request.uri.path matches "^/api/" and cf.waf.score lt 20'
    action: block
)");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(firstError(r).find("test.yaml:3:61: error: security_rules[0].expression: cf.waf.score "
                               "needs the managed rules: configure waf.managed_rules.crs"),
            std::string::npos)
      << r.toString();
  auto arr = load(R"(security_rules:
  - name: sqli ids
    expression: 'any(cf.waf.managed.matched_rules[*] eq 942100)'
    action: log
)");
  EXPECT_FALSE(arr.ok());
  EXPECT_NE(firstError(arr).find("cf.waf.managed.matched_rules needs the managed rules"),
            std::string::npos)
      << arr.toString();
}

TEST(ManagedConfig, RuleFileErrorIsAConfigErrorWithFileAndLine) {
  std::string dir = ::testing::TempDir() + "/bad_crs";
  std::string cmd = "mkdir -p " + dir + "/rules";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  FILE* f = std::fopen((dir + "/rules/REQUEST-901-X.conf").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fputs("# a comment\nSecRule ARGS \"@rx a\" \"id:1,phase:2,pass\"\nSecFrobnicate On\n", f);
  std::fclose(f);
  f = std::fopen((dir + "/setup.conf").c_str(), "w");
  ASSERT_NE(f, nullptr);
  std::fclose(f);
  auto r = load("waf:\n  managed_rules:\n    crs:\n      rules_dir: " + dir +
                "/rules\n      setup_file: " + dir + "/setup.conf\n");
  EXPECT_FALSE(r.ok());
  std::string e = firstError(r);
  EXPECT_NE(e.find("test.yaml:4:7: error: waf.managed_rules.crs: "), std::string::npos) << e;
  EXPECT_NE(e.find("REQUEST-901-X.conf:3"), std::string::npos) << e;
}

// ---- The Firewall with the Debian CRS ----

class ManagedFirewall : public ::testing::Test {
 protected:
  std::shared_ptr<const Firewall> build(const std::string& yaml) {
    auto r = load(yaml);
    EXPECT_TRUE(r.ok()) << r.toString();
    if (!r.ok()) return nullptr;
    config_ = r.config;
    return testing::buildOrDie(*config_, clock_);
  }
  Decision inspect(const Firewall& fw, TestRequest r, const std::string& body = "",
                   const std::string& content_type = "") {
    r.headers.emplace_back("Content-Length", std::to_string(body.size()));
    if (!content_type.empty()) r.headers.emplace_back("Content-Type", content_type);
    body_ = body;
    RequestView v = r.view();
    v.body = body_;
    v.body_size = static_cast<int64_t>(body_.size());
    if (!body.empty()) v.method = "POST";
    return fw.inspect(v, scratch_);
  }
  SimulatedClock clock_;
  std::shared_ptr<const config::Config> config_;
  Scratch scratch_;
  std::string body_;
};

TEST_F(ManagedFirewall, LoadsTheDebianCrsOnceAndSharesIt) {
  auto fw = build(crsYaml());
  ASSERT_NE(fw, nullptr);
  ASSERT_NE(fw->managedRules(), nullptr);
  EXPECT_GT(fw->managedRules()->ruleCount(), 100u);
  EXPECT_TRUE(fw->enabled());
  EXPECT_FALSE(fw->managedReport().empty());
  auto again = build(crsYaml());
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->managedRules(), fw->managedRules());
  auto other = build(crsYaml("log"));  // the action is the gateway's: same engine
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->managedRules(), fw->managedRules());
}

// A worker thread outlives every snapshot: the engine it last ran must not outlive the last
// firewall that holds it (a reload that turns the CRS off would keep it otherwise).
TEST_F(ManagedFirewall, AThreadThatRanTheEngineDoesNotKeepIt) {
  std::weak_ptr<const managed::Engine> engine;
  {
    auto fw = build(crsYaml());
    ASSERT_NE(fw, nullptr);
    engine = fw->sharedManagedRules();
    Decision d = inspect(*fw, TestRequest::chrome("/products?id=1%27%20OR%201%3D1--"));
    ASSERT_EQ(d.outcome, Outcome::kBlock);
    config_.reset();
  }
  EXPECT_TRUE(engine.expired());
  // The thread's next request on a new engine is evaluated with that engine.
  auto fw = build(crsYaml());
  ASSERT_NE(fw, nullptr);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/products?id=1%27%20OR%201%3D1--")).outcome,
            Outcome::kBlock);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/products?id=2")).outcome, Outcome::kPass);
}

TEST_F(ManagedFirewall, SqliQueryAndXssFormPostAreBlocked) {
  auto fw = build(crsYaml());
  ASSERT_NE(fw, nullptr);
  Decision d = inspect(*fw, TestRequest::chrome("/products?id=1%27%20OR%201%3D1--"));
  EXPECT_EQ(d.outcome, Outcome::kBlock);
  EXPECT_EQ(d.status, 403);
  ASSERT_TRUE(d.headers.find("X-Shipgate-Block").has_value());
  EXPECT_EQ(*d.headers.find("X-Shipgate-Block"), "managed=\"crs\"; rule=949110; event=req-test");
  EXPECT_LE(scratch_.managedVerdict().waf_score, 20);
  EXPECT_GE(scratch_.managedVerdict().sqli, 5);

  Decision x = inspect(*fw, TestRequest::chrome("/comment"),
                       "name=bob&text=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E",
                       "application/x-www-form-urlencoded");
  EXPECT_EQ(x.outcome, Outcome::kBlock);
  EXPECT_EQ(x.status, 403);
  EXPECT_GE(scratch_.managedVerdict().xss, 5);
}

TEST_F(ManagedFirewall, BenignJsonPostPasses) {
  auto fw = build(crsYaml());
  ASSERT_NE(fw, nullptr);
  Decision d = inspect(*fw, TestRequest::chrome("/api/orders?page=2"),
                       R"({"item":"select chair","qty":2,"note":"deliver to the back door"})",
                       "application/json");
  EXPECT_EQ(d.outcome, Outcome::kPass);
  EXPECT_EQ(scratch_.managedVerdict().anomaly_score, 0);
  EXPECT_EQ(scratch_.managedVerdict().waf_score, 99);
}

TEST_F(ManagedFirewall, LogActionLetsTheAttackThrough) {
  auto fw = build(crsYaml("log"));
  ASSERT_NE(fw, nullptr);
  Decision d = inspect(*fw, TestRequest::chrome("/products?id=1%27%20OR%201%3D1--"));
  EXPECT_EQ(d.outcome, Outcome::kPass);
  EXPECT_TRUE(scratch_.managedVerdict().intercepted);
  std::string metrics;
  fw->renderMetrics(metrics);
  EXPECT_NE(metrics.find("shipgate_waf_managed_decisions_total{action=\"log\"} 1"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("shipgate_waf_managed_matches_total{category=\"sqli\"}"),
            std::string::npos);
  EXPECT_NE(metrics.find("shipgate_waf_managed_rules{paranoia_level=\"1\"}"), std::string::npos);
}

TEST_F(ManagedFirewall, ExclusionByTagLetsTheCaseThrough) {
  const std::string attack = "/products?id=1%27%20OR%201%3D1--";
  auto blocked = build(crsYaml());
  ASSERT_NE(blocked, nullptr);
  EXPECT_EQ(inspect(*blocked, TestRequest::chrome(attack)).outcome, Outcome::kBlock);
  auto excluded = build(crsYaml("block", "[{tag: attack-sqli}]"));
  ASSERT_NE(excluded, nullptr);
  EXPECT_EQ(inspect(*excluded, TestRequest::chrome(attack)).outcome, Outcome::kPass);
  auto target = build(crsYaml("block", "[{ids: \"942000-942999\", targets: [\"ARGS:id\"]}]"));
  ASSERT_NE(target, nullptr);
  EXPECT_EQ(inspect(*target, TestRequest::chrome(attack)).outcome, Outcome::kPass);
  EXPECT_EQ(inspect(*target, TestRequest::chrome("/products?q=1%27%20OR%201%3D1--")).outcome,
            Outcome::kBlock);
}

TEST_F(ManagedFirewall, CustomRuleOnWafScoreBlocksApiWhileManagedLogs) {
  auto fw = build(crsYaml("log", "[]", R"(
  - name: api attacks
    expression: 'cf.waf.score lt 20 and http.request.uri.path matches "^/api/"'
    action: block)"));
  ASSERT_NE(fw, nullptr);
  Decision api = inspect(*fw, TestRequest::chrome("/api/items?id=1%27%20OR%201%3D1--"));
  EXPECT_EQ(api.outcome, Outcome::kBlock);
  EXPECT_EQ(api.rule, "api attacks");
  Decision site = inspect(*fw, TestRequest::chrome("/items?id=1%27%20OR%201%3D1--"));
  EXPECT_EQ(site.outcome, Outcome::kPass);
  Decision benign = inspect(*fw, TestRequest::chrome("/api/items?id=12"));
  EXPECT_EQ(benign.outcome, Outcome::kPass);
}

TEST_F(ManagedFirewall, CustomAllowExemptsAPath) {
  auto fw = build(crsYaml("block", "[]", R"(
  - name: internal search
    expression: 'http.request.uri.path eq "/internal/sql"'
    action: allow)"));
  ASSERT_NE(fw, nullptr);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/internal/sql?q=1%27%20OR%201%3D1--")).outcome,
            Outcome::kPass);
  EXPECT_EQ(inspect(*fw, TestRequest::chrome("/public/sql?q=1%27%20OR%201%3D1--")).outcome,
            Outcome::kBlock);
}

// The gateway keeps one Scratch per request in flight; the engine's own buffers are one per
// thread. Requests of two engines (a reload) interleaved over several Scratches each keep their
// own verdict, on two threads at once.
TEST_F(ManagedFirewall, ScratchesOfRequestsInFlightKeepTheirVerdicts) {
  const std::string attack = "/products?id=1%27%20OR%201%3D1--";
  auto blocked = build(crsYaml());
  ASSERT_NE(blocked, nullptr);
  auto excluded = build(crsYaml("block", "[{tag: attack-sqli}]"));
  ASSERT_NE(excluded, nullptr);
  ASSERT_NE(blocked->managedRules(), excluded->managedRules());
  auto run = [&](int rounds, int* wrong) {
    Scratch a, b, c;
    for (int i = 0; i < rounds; ++i) {
      TestRequest ra = TestRequest::chrome(attack), rb = TestRequest::chrome(attack),
                  rc = TestRequest::chrome("/products?id=42");
      RequestView va = ra.view(), vb = rb.view(), vc = rc.view();
      Decision da = blocked->inspect(va, a);
      Decision db = excluded->inspect(vb, b);
      Decision dc = blocked->inspect(vc, c);
      *wrong += da.outcome != Outcome::kBlock || db.outcome != Outcome::kPass ||
                dc.outcome != Outcome::kPass;
      // Each verdict is still its own request's after the others ran.
      *wrong += !a.managedVerdict().intercepted || a.managedVerdict().sqli < 5 ||
                b.managedVerdict().intercepted || b.managedVerdict().sqli != 0 ||
                c.managedVerdict().intercepted || c.managedVerdict().anomaly_score != 0;
    }
  };
  int wrong_main = 0, wrong_other = 0;
  std::thread other(run, 20, &wrong_other);
  run(20, &wrong_main);
  other.join();
  EXPECT_EQ(wrong_main, 0);
  EXPECT_EQ(wrong_other, 0);
}

}  // namespace
}  // namespace shipgate::firewall
