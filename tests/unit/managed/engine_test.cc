// The engine on small rule texts: chains, markers, skipAfter, skip, setvar arithmetic, macros,
// captures, ctl exclusions, update-target, multiMatch, counts, default actions, t:none, and the
// load-time errors and report lines.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <random>

#include "engine_test_util.h"

namespace shipgate::managed {
namespace {

using testing::has;
using testing::ids;
using testing::Req;
using testing::RuleDir;
using testing::run;

struct Loaded {
  std::shared_ptr<const Engine> engine;
  std::unique_ptr<Engine::Scratch> scratch;
  std::vector<std::string> report;
  Verdict eval(const Req& r) { return run(*engine, *scratch, r); }
};

// The rules of `dir` with `rules` as its file; `prefilter` false turns the fast paths off (the
// reference they are compared with).
Loaded load(const RuleDir& dir, const std::string& rules, std::vector<Exclusion> ex = {},
            bool prefilter = true) {
  Loaded l;
  CrsSettings s = dir.settings(rules);
  s.exclusions = std::move(ex);
  s.prefilter = prefilter;
  auto e = Engine::load(s, &l.report);
  EXPECT_TRUE(e.isOk()) << e.status().message();
  if (!e.isOk()) return l;
  l.engine = *e;
  l.scratch = l.engine->newScratch();
  return l;
}

// Whether a line of the load report holds `text`.
bool reportHas(const std::vector<std::string>& report, const std::string& text) {
  for (const std::string& line : report)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

// The rules with the fast paths on and off (the reference); the fast load must report `decided`
// rules decided on TX variables.
std::pair<Loaded, Loaded> loadFastAndFull(const RuleDir& dir, const std::string& rules,
                                          int decided) {
  Loaded fast = load(dir, rules);
  EXPECT_TRUE(reportHas(fast.report, " " + std::to_string(decided) + " decided on TX variables"))
      << ::testing::PrintToString(fast.report);
  return {std::move(fast), load(dir, rules, {}, false)};
}

Req get(std::string uri) {
  Req r;
  r.uri = std::move(uri);
  return r;
}

TEST(ManagedEngine, DenyInterceptsWithStatusAndExpandedMessage) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule ARGS:id "@rx ^(\d+)x$" "id:10,phase:2,deny,status:406,capture,msg:'bad id %{TX.1} in %{MATCHED_VAR_NAME}',logdata:'%{MATCHED_VAR}'"
)");
  Verdict v = l.eval(get("/p?id=42x"));
  EXPECT_TRUE(v.intercepted);
  EXPECT_EQ(v.status, 406);
  EXPECT_EQ(v.intercepting_rule, 10);
  ASSERT_EQ(v.matched.size(), 1u);
  EXPECT_EQ(v.matched[0].msg, "bad id 42 in ARGS:id");
  EXPECT_EQ(v.matched[0].data, "42x");
  EXPECT_EQ(v.matched[0].matched_var, "ARGS:id");
  EXPECT_FALSE(l.eval(get("/p?id=42")).intercepted);
  EXPECT_FALSE(l.eval(get("/p?other=42x")).intercepted);
  // Selectors are case-insensitive.
  EXPECT_TRUE(l.eval(get("/p?ID=7x")).intercepted);
}

TEST(ManagedEngine, ChainNeedsEveryLinkAndRunsInnerSetvars) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule ARGS:a "@streq 1" "id:20,phase:1,pass,chain,setvar:tx.head=1"
  SecRule ARGS:b "@streq 2" "setvar:tx.inner=1"
SecRule TX:head "@eq 1" "id:21,phase:1,pass,msg:'head ran'"
SecRule TX:inner "@eq 1" "id:22,phase:1,pass,msg:'inner ran'"
)");
  Verdict both = l.eval(get("/?a=1&b=2"));
  EXPECT_TRUE(has(both, 20)) << ids(both);
  EXPECT_TRUE(has(both, 21)) << ids(both);
  EXPECT_TRUE(has(both, 22)) << ids(both);
  // The head matched and the chain did not: the rule does not match, but the head's setvar ran
  // (libmodsecurity runs a link's setvars as soon as the link matches, whatever the chain's
  // result; CRS rule 920450 depends on it).
  Verdict one = l.eval(get("/?a=1&b=3"));
  EXPECT_FALSE(has(one, 20)) << ids(one);
  EXPECT_TRUE(has(one, 21)) << ids(one);
  EXPECT_FALSE(has(one, 22)) << ids(one);
}

TEST(ManagedEngine, MatchedVarsFeedTheNextLink) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule ARGS "@rx ^x" "id:30,phase:2,pass,chain"
  SecRule MATCHED_VARS "@rx y$"
)");
  EXPECT_TRUE(has(l.eval(get("/?p=xay")), 30));
  EXPECT_FALSE(has(l.eval(get("/?p=xa&q=ay")), 30));
  // Only the link before one that reads them keeps its matched values (Link::keep_matched).
  auto m = load(dir, R"(
SecRule ARGS "@rx ^x" "id:31,phase:2,pass,chain"
  SecRule ARGS_NAMES "@rx ^q" "chain"
  SecRule MATCHED_VARS_NAMES "@rx ^ARGS_NAMES:q$"
)");
  EXPECT_TRUE(has(m.eval(get("/?p=x1&q=z")), 31));
  EXPECT_FALSE(has(m.eval(get("/?p=x1&qq=z")), 31));
}

TEST(ManagedEngine, SkipAfterJumpsToTheMarkerInTheSamePhase) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule ARGS:skip "@streq 1" "id:40,phase:2,pass,nolog,skipAfter:END-40"
SecRule ARGS "@rx attack" "id:41,phase:2,pass,msg:'caught'"
SecMarker END-40
SecRule ARGS "@rx attack" "id:42,phase:2,pass,msg:'after marker'"
)");
  Verdict a = l.eval(get("/?x=attack"));
  EXPECT_TRUE(has(a, 41));
  EXPECT_TRUE(has(a, 42));
  EXPECT_FALSE(has(a, 40));  // nolog
  Verdict b = l.eval(get("/?x=attack&skip=1"));
  EXPECT_FALSE(has(b, 41)) << ids(b);
  EXPECT_TRUE(has(b, 42)) << ids(b);
}

// A rule that is one operator on one TX variable with no effect but its match and skipAfter (the
// CRS's paranoia-level gates) is decided without walking the rule; it must decide, skip and leave
// MATCHED_VAR_NAME as the full evaluation does (the reference: the same rules with the fast paths
// off), and a ctl exclusion of the request still applies to it.
TEST(ManagedEngine, TxGatesDecideAsTheFullRuleWould) {
  RuleDir dir;
  const std::string rules = R"(
SecAction "id:200,phase:1,pass,nolog,setvar:tx.level=1"
SecRule ARGS:lvl "@rx ^(\d)$" "id:201,phase:1,pass,nolog,capture,setvar:tx.level=%{tx.1}"
SecRule ARGS:nogate "@streq 1" "id:199,phase:1,pass,nolog,ctl:ruleRemoveById=202"
SecRule TX:LEVEL "@lt 2" "id:202,phase:1,pass,nolog,skipAfter:END-GATE"
SecRule ARGS "@rx attack" "id:203,phase:1,pass,msg:'level 2 rule'"
SecMarker END-GATE
SecRule TX:missing "!@eq 5" "id:204,phase:1,pass,nolog,skipAfter:END-MISSING"
SecAction "id:205,phase:1,pass,msg:'after missing'"
SecMarker END-MISSING
SecRule TX:level "!@eq 3" "id:206,phase:1,pass,nolog"
SecRule MATCHED_VAR_NAME "@streq TX:level" "id:207,phase:1,pass,msg:'after 206'"
)";
  auto [fast, full] = loadFastAndFull(dir, rules, 3);
  ASSERT_TRUE(fast.engine && full.engine);

  struct Case {
    const char* uri;
    std::vector<int64_t> want, not_want;
  };
  const Case cases[] = {
      {"/?x=attack", {205, 207}, {203}},           // level 1: the gate skips 203
      {"/?lvl=2&x=attack", {203, 205, 207}, {}},   // level 2: no skip
      {"/?lvl=3", {205}, {207}},                   // 206 does not match: 201 matched last
      {"/?nogate=1&x=attack", {203, 205, 207}, {}},  // ctl removes the gate for this request
      {"/?x=attack", {205, 207}, {203}},           // ... and only for that one
  };
  for (const Case& c : cases) {
    Verdict a = fast.eval(get(c.uri));
    Verdict b = full.eval(get(c.uri));
    EXPECT_EQ(ids(a), ids(b)) << c.uri;
    for (int64_t id : c.want) EXPECT_TRUE(has(a, id)) << c.uri << " " << id << ": " << ids(a);
    for (int64_t id : c.not_want) EXPECT_FALSE(has(a, id)) << c.uri << " " << id << ": " << ids(a);
  }
}

// The same for rules of several TX targets and counts, and chains of them (the CRS's exclusion
// templates and its IP reputation and DoS checks): the rule matches when every link has a value
// that passes, and MATCHED_VAR(_NAME) is the last value that did, also when a later link fails.
TEST(ManagedEngine, TxChainsAndCountsDecideAsTheFullRuleWould) {
  RuleDir dir;
  const std::string rules = R"(
SecRule ARGS:excl "@rx ^(\d)$" "id:400,phase:1,pass,nolog,capture,setvar:tx.excl=%{tx.1}"
SecRule ARGS:a "@rx ^(\d)$" "id:401,phase:1,pass,nolog,capture,setvar:tx.a=%{tx.1}"
SecRule ARGS:b "@rx ^(\d)$" "id:402,phase:1,pass,nolog,capture,setvar:tx.b=%{tx.1}"
SecRule &TX:excl|TX:excl "@eq 0" "id:410,phase:1,pass,nolog,skipAfter:END-EXCL"
SecAction "id:411,phase:1,pass,msg:'not excluded'"
SecMarker END-EXCL
SecRule MATCHED_VAR_NAME "@rx ." "id:412,phase:1,pass,msg:'after 410: %{MATCHED_VAR_NAME}=%{MATCHED_VAR}'"
SecRule &TX:a "@eq 0" "id:420,phase:1,pass,nolog,chain,skipAfter:END-CHAIN"
  SecRule TX:b|&TX:b "!@eq 5" "chain"
  SecRule TX:a|TX:b|&TX:excl "@lt 3"
SecAction "id:421,phase:1,pass,msg:'chain did not match'"
SecMarker END-CHAIN
SecRule MATCHED_VAR_NAME "@rx ." "id:422,phase:2,pass,msg:'after 420: %{MATCHED_VAR_NAME}=%{MATCHED_VAR}'"
)";
  auto [fast, full] = loadFastAndFull(dir, rules, 2);
  ASSERT_TRUE(fast.engine && full.engine);
  auto msgs = [](const Verdict& v) {
    std::string out;
    for (const MatchedRule& m : v.matched) out += std::to_string(m.id) + " " + m.msg + "\n";
    return out;
  };
  const char* uris[] = {"/",     "/?excl=0",     "/?excl=1",  "/?a=1",        "/?b=5",
                        "/?b=2", "/?b=4&excl=1", "/?a=2&b=5", "/?excl=0&b=1", "/?a=4&b=9&excl=2"};
  size_t skipped = 0, chained = 0;
  for (const char* uri : uris) {
    Verdict a = fast.eval(get(uri));
    Verdict b = full.eval(get(uri));
    EXPECT_EQ(msgs(a), msgs(b)) << uri;
    if (!has(a, 411)) ++skipped;
    if (!has(a, 421)) ++chained;
  }
  // The cases take both ways of each rule.
  EXPECT_GT(skipped, 0u);
  EXPECT_LT(skipped, std::size(uris));
  EXPECT_GT(chained, 0u);
  EXPECT_LT(chained, std::size(uris));
}

// A rule that only sets TX variables nothing reads (the CRS's 901318 hashes the User-Agent into
// tx.ua_hash for initcol, which this engine does not run) is passed over: the fast path gives
// what running every rule gives. A variable read by name, by a TX:/regex/ target, by a macro or
// by the Verdict keeps its rule, and skip:N still counts a rule passed over.
TEST(ManagedEngine, RulesWithoutEffectArePassedOver) {
  RuleDir dir;
  const std::string rules = R"(
SecRule ARGS:a "@rx ^(\d+)$" "id:500,phase:1,pass,nolog,t:none,t:sha1,t:hexEncode,setvar:tx.hash=%{MATCHED_VAR}"
SecRule ARGS:b "@rx ." "id:501,phase:1,pass,nolog,setvar:tx.seen_b=1"
SecRule ARGS:c "@rx ." "id:502,phase:1,pass,nolog,setvar:tx.c_flag=1"
SecRule ARGS:n "@rx ." "id:508,phase:1,pass,nolog,setvar:tx.named=7"
SecRule TX:/^seen_/ "@eq 1" "id:503,phase:1,pass,msg:'b seen'"
SecRule TX:named "@eq 7" "id:509,phase:1,pass,msg:'named'"
SecRule ARGS:d "@rx ." "id:504,phase:1,pass,skip:1,msg:'d with c=%{tx.c_flag}'"
SecRule ARGS:e "@rx ." "id:505,phase:1,pass,nolog,setvar:tx.unused_e=1"
SecRule ARGS "@rx ." "id:506,phase:1,pass,msg:'after the skip'"
SecRule ARGS:s "@rx ." "id:507,phase:2,pass,nolog,setvar:tx.sql_injection_score=+5"
)";
  Loaded fast = load(dir, rules);
  Loaded full = load(dir, rules, {}, false);
  ASSERT_TRUE(fast.engine && full.engine);
  // 500, 505, and the three rules the engine adds for CrsSettings (tx.paranoia_level,
  // tx.executing_paranoia_level, the thresholds), which no rule here reads.
  EXPECT_TRUE(reportHas(fast.report, " 5 rules without effect"))
      << ::testing::PrintToString(fast.report);
  auto text = [](const Verdict& v) {
    std::string out = "sqli=" + std::to_string(v.sqli) + "\n";
    for (const MatchedRule& m : v.matched) out += std::to_string(m.id) + " " + m.msg + "\n";
    return out;
  };
  const char* uris[] = {"/?a=1",
                        "/?b=1",
                        "/?c=1&d=1",
                        "/?d=1&e=1&x=1",
                        "/?d=1&x=1",
                        "/?n=1&s=1",
                        "/?a=12&b=x&c=y&d=z&e=1&n=2&s=3"};
  for (const char* uri : uris) {
    Verdict a = fast.eval(get(uri));
    EXPECT_EQ(text(a), text(full.eval(get(uri)))) << uri;
  }
  Verdict v = fast.eval(get("/?b=1&c=1&d=1&n=1&s=1"));
  EXPECT_TRUE(has(v, 503) && has(v, 509)) << ids(v);
  EXPECT_EQ(v.sqli, 5);
  EXPECT_TRUE(has(v, 506)) << "skip:1 of 504 passes over 505 only: " << ids(v);
  ASSERT_FALSE(v.matched.empty());
  bool c_seen = false;
  for (const MatchedRule& m : v.matched) c_seen = c_seen || m.msg == "d with c=1";
  EXPECT_TRUE(c_seen) << text(v);

  // A head that reads MATCHED_VAR would see the value such a rule leaves: nothing is passed over.
  Loaded reads_matched = load(dir, rules + R"(
SecRule MATCHED_VAR "@rx ." "id:510,phase:2,pass,msg:'last matched %{MATCHED_VAR}'"
)");
  EXPECT_TRUE(reportHas(reads_matched.report, " 0 rules without effect"))
      << ::testing::PrintToString(reads_matched.report);
  // So would a head whose operator's parameter expands MATCHED_VAR.
  Loaded param_reads_matched = load(dir, rules + R"(
SecRule ARGS:z "@streq %{MATCHED_VAR}" "id:511,phase:2,pass,msg:'z is the last matched'"
)");
  EXPECT_TRUE(reportHas(param_reads_matched.report, " 0 rules without effect"))
      << ::testing::PrintToString(param_reads_matched.report);
}

// A TX-decided rule on variables that only the fixed start sets is decided once per engine and
// thread; one on a variable a later rule sets (by name, through a macro, or a capture) is
// decided on every request. Both must decide what running every rule decides.
TEST(ManagedEngine, GatesOnTheFixedStartsVariablesDecideAsRunning) {
  RuleDir dir;
  const std::string rules = R"(
SecAction "id:600,phase:1,pass,nolog,setvar:tx.level=2,setvar:tx.gate=0"
SecRule ARGS:x "@rx ." "id:601,phase:1,pass,msg:'x'"
SecRule TX:level "@ge 2" "id:602,phase:1,pass,nolog,skipAfter:END-A"
SecRule ARGS "@rx ." "id:603,phase:1,pass,msg:'skipped by a frozen gate'"
SecMarker END-A
SecRule TX:level "@lt 2" "id:604,phase:1,pass,nolog,skipAfter:END-B"
SecRule ARGS "@rx ." "id:605,phase:1,pass,msg:'not skipped by a frozen gate'"
SecMarker END-B
SecRule ARGS:g "@rx ^(\d)$" "id:606,phase:1,pass,nolog,capture,setvar:tx.gate=%{tx.1}"
SecRule TX:gate "@ge 5" "id:607,phase:1,pass,nolog,skipAfter:END-C"
SecRule ARGS "@rx ." "id:608,phase:1,pass,msg:'gate under 5'"
SecMarker END-C
SecRule ARGS_NAMES "@rx ^(d\w*)$" "id:609,phase:1,pass,nolog,capture,setvar:tx.dyn_%{tx.1}=1"
SecRule &TX:dyn_dk "@eq 1" "id:610,phase:1,pass,nolog,skipAfter:END-D"
SecRule ARGS "@rx ." "id:611,phase:1,pass,msg:'no dk'"
SecMarker END-D
SecRule TX:1 "@streq dk" "id:612,phase:1,pass,nolog,skipAfter:END-E"
SecRule ARGS "@rx ." "id:613,phase:1,pass,msg:'no capture'"
SecMarker END-E
SecRule TX:level "@eq 2" "id:614,phase:2,pass,nolog,skipAfter:END-F"
SecRule ARGS "@rx ." "id:615,phase:2,pass,msg:'skipped in phase 2'"
SecMarker END-F
SecRule ARGS "@rx ." "id:616,phase:2,pass,msg:'phase 2'"
)";
  Loaded fast = load(dir, rules);
  Loaded full = load(dir, rules, {}, false);
  ASSERT_TRUE(fast.engine && full.engine);
  // 602, 604 and 614 read tx.level only; 607 (tx.gate, set by 606), 610 (tx.dyn_*, named by
  // 609's macro) and 612 (a capture variable) are decided per request.
  EXPECT_TRUE(reportHas(fast.report, "6 decided on TX variables (3 once per engine)"))
      << ::testing::PrintToString(fast.report);
  auto text = [](const Verdict& v) {
    std::string out;
    for (const MatchedRule& m : v.matched) out += std::to_string(m.id) + " " + m.msg + "\n";
    return out;
  };
  const char* uris[] = {"/?x=1",  "/?g=7",     "/?g=3",     "/?dk=1",    "/?dk=1&g=9",
                        "/?dz=1", "/?y=1&x=2", "/?g=7&x=1", "/?dk=1&g=1"};
  for (int round = 0; round < 2; ++round) {
    for (const char* uri : uris) {
      Verdict a = fast.eval(get(uri));
      EXPECT_EQ(text(a), text(full.eval(get(uri)))) << uri << " round " << round;
      EXPECT_FALSE(has(a, 603) || has(a, 615)) << uri << ": " << ids(a);
      EXPECT_TRUE(has(a, 605) && has(a, 616)) << uri << ": " << ids(a);
    }
  }
  Verdict v = fast.eval(get("/?g=7"));
  EXPECT_FALSE(has(v, 608)) << ids(v);
  v = fast.eval(get("/?g=3&dk=1"));
  EXPECT_TRUE(has(v, 608) && !has(v, 611) && !has(v, 613)) << ids(v);
  v = fast.eval(get("/?y=1"));
  EXPECT_TRUE(has(v, 611) && has(v, 613)) << ids(v);

  // A head that reads MATCHED_VAR_NAME sees what a gate leaves: none is decided once.
  Loaded reads_matched = load(dir, rules + R"(
SecRule MATCHED_VAR_NAME "@streq TX:level" "id:617,phase:2,pass,msg:'last matched'"
)");
  EXPECT_TRUE(reportHas(reads_matched.report, "6 decided on TX variables (0 once per engine)"))
      << ::testing::PrintToString(reads_matched.report);
  Verdict r = reads_matched.eval(get("/"));  // no argument: 614's match is the last
  EXPECT_TRUE(has(r, 617)) << ids(r);
}

// The request-independent start of phase 1 runs once per thread and engine; later requests
// start from the variables it left. Each request must still see what running it gives.
TEST(ManagedEngine, FixedStartGivesWhatRunningItGives) {
  RuleDir dir;
  const std::string rules = R"(
SecAction "id:300,phase:1,pass,nolog,setvar:tx.count=+1,setvar:tx.level=2"
SecRule &TX:threshold "@eq 0" "id:301,phase:1,pass,nolog,setvar:tx.threshold=5"
SecRule TX:level "@lt 2" "id:302,phase:1,pass,nolog,skipAfter:END-SETUP"
SecAction "id:303,phase:1,pass,nolog,setvar:tx.above=1"
SecRule TX:level "@ge 2" "id:308,phase:1,pass,nolog"
SecMarker END-SETUP
SecRule REQUEST_HEADERS:X-Level "@rx ^(\d)$" "id:304,phase:1,pass,nolog,capture,setvar:tx.level=%{tx.1}"
SecRule MATCHED_VAR_NAME "@streq TX:level" "id:309,phase:1,pass,msg:'matched var of the start'"
SecRule TX:count "!@eq 1" "id:305,phase:1,deny,msg:'count %{tx.count}'"
SecRule TX:above "@eq 1" "id:306,phase:1,pass,msg:'above %{tx.level} %{tx.threshold}'"
SecRule MATCHED_VAR_NAME "@streq TX:above" "id:307,phase:2,pass,msg:'matched var kept'"
)";
  auto l = load(dir, rules);
  ASSERT_NE(l.engine, nullptr);
  // The settings' three SecActions (900000, 900001, 900110), 300, 301, 302, 303, 308 and the
  // marker; 304 reads the request.
  EXPECT_TRUE(reportHas(l.report, " 9 request-independent steps at the start of phase 1"))
      << ::testing::PrintToString(l.report);
  for (int i = 0; i < 3; ++i) {
    Req r = get("/");
    if (i == 1) r.headers.push_back({"X-Level", "7"});
    Verdict v = l.eval(r);
    // tx.count is 1 on every request (not 1, 2, 3): the start is restored, not replayed on top.
    EXPECT_FALSE(v.intercepted) << "request " << i << ": " << ids(v);
    ASSERT_TRUE(has(v, 306)) << "request " << i << ": " << ids(v);
    for (const auto& m : v.matched) {
      if (m.id == 306) {
        EXPECT_EQ(m.msg, i == 1 ? "above 7 5" : "above 2 5") << "request " << i;
      }
    }
    EXPECT_TRUE(has(v, 307)) << "request " << i << ": " << ids(v);
    EXPECT_EQ(has(v, 309), i != 1) << "request " << i << ": " << ids(v);
  }
  // The start's variables come back in the order the start set them, whatever slots the
  // scratch's history gave their names (here another engine's request set them from cookies in
  // the other order first): a walk of TX visits them as on a fresh scratch, and logs the same
  // last variable.
  auto reversed = load(dir, R"(
SecRule REQUEST_COOKIES_NAMES "@rx ^(.*)$" "id:400,phase:1,pass,nolog,capture,setvar:'tx.%{tx.1}=1'"
)");
  auto ordered = load(dir, R"(
SecAction "id:410,phase:1,pass,nolog,setvar:tx.v_a=1,setvar:tx.v_b=1"
SecRule TX:/^v_/ "@rx 1" "id:411,phase:2,pass,msg:'last %{MATCHED_VAR_NAME}'"
)");
  ASSERT_TRUE(reversed.engine && ordered.engine);
  Req cookies = get("/");
  cookies.header("Cookie", "v_b=1; v_a=1");
  run(*reversed.engine, *reversed.scratch, cookies);
  for (int i = 0; i < 3; ++i) {
    Verdict v = run(*ordered.engine, *reversed.scratch, get("/"));
    ASSERT_EQ(v.matched.size(), 1u) << "request " << i << ": " << ids(v);
    EXPECT_EQ(v.matched[0].msg, "last TX:v_b") << "request " << i;
  }
  // A start that gives a verdict (CRS 901001 denies when crs-setup.conf is missing; a rule may
  // log and pass) runs on every request.
  for (const char* action : {"deny,status:500", "pass"}) {
    auto verdict = load(dir, std::string(R"(
SecRule &TX:crs_setup_version "@eq 0" "id:310,phase:1,)") +
                                 action + R"(,msg:'no setup'"
SecRule REQUEST_HEADERS:X-A "@rx a" "id:311,phase:1,pass,msg:'a'"
)");
    ASSERT_NE(verdict.engine, nullptr);
    for (int i = 0; i < 3; ++i) {
      Verdict v = verdict.eval(get("/"));
      EXPECT_TRUE(has(v, 310)) << action << " request " << i;
      EXPECT_EQ(v.intercepted, std::string(action) != "pass") << action << " request " << i;
    }
  }
  // The start's variables are restored by their slot numbers in the variable table; a request
  // that sets more names than the table keeps (VarTable::kMaxSlots) makes it forget them all,
  // and the requests after it still start from the same variables.
  auto slots = load(dir, R"(
SecAction "id:340,phase:1,pass,nolog,setvar:tx.base=4,setvar:tx.other=x"
SecRule REQUEST_COOKIES_NAMES "@rx ^(.*)$" "id:341,phase:1,pass,nolog,capture,setvar:'tx.name_%{tx.1}=1'"
SecRule TX:base "@eq 4" "id:342,phase:2,pass,msg:'base %{tx.base} %{tx.other}'"
)");
  ASSERT_NE(slots.engine, nullptr);
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "n" + std::to_string(i) + "=1; ";  // > kMaxSlots, 4096
  for (int i = 0; i < 6; ++i) {
    Req r = get("/");
    r.header("Cookie", i == 2 ? many : "a=1");
    Verdict v = slots.eval(r);
    ASSERT_TRUE(has(v, 342)) << "request " << i << ": " << ids(v);
    for (const auto& m : v.matched) {
      if (m.id == 342) {
        EXPECT_EQ(m.msg, "base 4 x") << "request " << i;
      }
    }
  }
  // A phase 1 that is fixed from start to end: phase 2 sees its variables on every request.
  auto whole = load(dir, R"(
SecAction "id:330,phase:1,pass,nolog,setvar:tx.count=+1"
SecRule TX:count "@eq 1" "id:331,phase:2,pass,msg:'one'"
)");
  ASSERT_NE(whole.engine, nullptr);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(has(whole.eval(get("/")), 331)) << "request " << i;
  // One scratch used with two engines: each starts from its own variables.
  auto other = load(dir, R"(
SecAction "id:320,phase:1,pass,nolog,setvar:tx.level=9"
SecRule REQUEST_HEADERS:X-None "@rx x" "id:322,phase:1,pass,nolog"
SecRule TX:level "@eq 9" "id:321,phase:1,pass,msg:'nine'"
)");
  ASSERT_NE(other.engine, nullptr);
  for (int i = 0; i < 2; ++i) {
    Verdict a = run(*other.engine, *l.scratch, get("/"));
    EXPECT_TRUE(has(a, 321)) << ids(a);
    Verdict b = l.eval(get("/"));
    EXPECT_TRUE(has(b, 306)) << ids(b);
    EXPECT_FALSE(has(b, 321)) << ids(b);
  }
}

TEST(ManagedEngine, SkipCountsRules) {
  RuleDir dir;
  auto l = load(dir, R"(
SecAction "id:50,phase:1,pass,nolog,skip:1"
SecAction "id:51,phase:1,pass,log,msg:'skipped'"
SecAction "id:52,phase:1,pass,log,msg:'runs'"
)");
  Verdict v = l.eval(get("/"));
  EXPECT_FALSE(has(v, 51));
  EXPECT_TRUE(has(v, 52));
}

TEST(ManagedEngine, SetvarArithmeticAndDelete) {
  RuleDir dir;
  auto l = load(dir, R"(
SecAction "id:60,phase:1,pass,nolog,setvar:tx.score=5,setvar:tx.step=3"
SecAction "id:61,phase:1,pass,nolog,setvar:'tx.score=+%{tx.step}',setvar:tx.gone=1"
SecAction "id:62,phase:1,pass,nolog,setvar:tx.score=-1,setvar:!tx.gone"
SecRule TX:score "@eq 7" "id:63,phase:1,pass,msg:'score %{tx.score}'"
SecRule &TX:gone "@eq 0" "id:64,phase:1,pass,msg:'deleted'"
SecRule TX:/^sc/ "@eq 7" "id:65,phase:1,pass,msg:'regex selector'"
)");
  Verdict v = l.eval(get("/"));
  EXPECT_TRUE(has(v, 63)) << ids(v);
  EXPECT_TRUE(has(v, 64)) << ids(v);
  EXPECT_TRUE(has(v, 65)) << ids(v);
  ASSERT_FALSE(v.matched.empty());
  EXPECT_EQ(v.matched[0].msg, "score 7");
}

TEST(ManagedEngine, MacrosOfRequestAndRule) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule REQUEST_METHOD "@streq GET" "id:70,phase:1,pass,severity:'2',msg:'m',logdata:'%{request_headers.host} %{REQUEST_LINE} %{rule.id} %{rule.severity} %{ARGS.q} %{remote_addr}'"
)");
  Verdict v = l.eval(get("/a?q=zz"));
  ASSERT_EQ(v.matched.size(), 1u);
  EXPECT_EQ(v.matched[0].data, "example.com GET /a?q=zz HTTP/1.1 70 CRITICAL zz 127.0.0.1");
  EXPECT_EQ(v.matched[0].severity, "CRITICAL");
}

// Macros are split into literal text and references when the rules load (the reader has
// refused unclosed ones and unknown variables): a collection without a key and an unknown
// rule field expand to nothing, names are case-insensitive, a setvar name built from a macro
// is one variable, and %{rule.msg} expands the rule's own (expanded) msg.
TEST(ManagedEngine, MacroEdgeCases) {
  RuleDir dir;
  auto l = load(dir, R"(
SecAction "id:68,phase:1,pass,nolog,setvar:tx.Mixed_Case=v1"
SecAction "id:69,phase:1,pass,nolog,setvar:'tx.%{tx.mixed_case}_x=%{REQUEST_METHOD}%{tx.mixed_case}'"
SecRule REQUEST_METHOD "@streq GET" "id:71,phase:1,pass,msg:'M %{rule.id}',logdata:'[%{rule.msg}][%{ARGS}%{rule.nope}][%{TX.mixed_case}%{tx.MIXED_CASE}|%{tx.v1_x}]'"
)");
  Verdict v = l.eval(get("/a"));
  ASSERT_EQ(v.matched.size(), 1u);
  EXPECT_EQ(v.matched[0].msg, "M 71");
  EXPECT_EQ(v.matched[0].data, "[M 71][][v1v1|GETv1]");
}

// The value cache numbers a request's values and keeps a table of values x transformation
// nodes; a request with more than that table holds (here 200,000 cookies) is cached by hash
// instead. Both find the same matches, and a small request after a large one is judged afresh.
TEST(ManagedEngine, ValueCacheServesSmallAndHugeRequests) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule REQUEST_COOKIES_NAMES "@rx ^trap$" "id:301,phase:1,pass,t:none,t:urlDecodeUni,t:lowercase,msg:'trap'"
SecRule REQUEST_COOKIES "@rx ^evil\d$" "id:302,phase:1,pass,t:none,t:lowercase,msg:'lower'"
SecRule REQUEST_COOKIES "@rx ^EVIL\d$" "id:300,phase:1,deny,t:none"
)");
  auto withCookies = [](std::string cookie) {
    Req r = get("/");
    r.headers.emplace_back("Cookie", std::move(cookie));
    return r;
  };
  // Each value is read raw (300) and through two chains (301, 302): the cache keeps them apart.
  Verdict small = l.eval(withCookies("a=1; T%52AP=2; b=EVIL7"));
  EXPECT_TRUE(small.intercepted);
  EXPECT_EQ(small.intercepting_rule, 300);
  EXPECT_TRUE(has(small, 301)) << ids(small);
  EXPECT_TRUE(has(small, 302)) << ids(small);

  std::string many;
  for (int i = 0; i < 200000; ++i)
    many += "c" + std::to_string(i) + "=v" + std::to_string(i) + "; ";
  Verdict clean = l.eval(withCookies(many + "last=fine"));
  EXPECT_FALSE(clean.intercepted);
  EXPECT_TRUE(clean.matched.empty()) << ids(clean);
  Verdict huge = l.eval(withCookies(many + "TRAP=1; z=EVIL9"));
  EXPECT_TRUE(huge.intercepted);
  EXPECT_EQ(huge.intercepting_rule, 300);
  EXPECT_TRUE(has(huge, 301)) << ids(huge);
  EXPECT_TRUE(has(huge, 302)) << ids(huge);

  EXPECT_FALSE(l.eval(withCookies("a=1; b=good")).intercepted);
  EXPECT_TRUE(l.eval(withCookies("a=EVIL3")).intercepted);
}

// @detectSQLi's verdicts on headers and cookies are remembered across requests in the scratch
// (64 slots): whatever the scratch has seen, every request gets what a fresh scratch gives it,
// the fingerprint it captures (TX.0) included. Hundreds of distinct texts, a third of them
// injections, share the slots, so benign and injected texts collide in them.
TEST(ManagedEngine, SqliMemoAnswersAsAFreshScratch) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule REQUEST_COOKIES|REQUEST_HEADERS:User-Agent|ARGS "@detectSQLi" "id:942100,phase:2,pass,capture,t:none,t:urlDecodeUni,multiMatch,msg:'sqli',logdata:'%{TX.0} in %{MATCHED_VAR_NAME}: %{MATCHED_VAR}'"
)");
  ASSERT_TRUE(l.engine);
  std::vector<std::string> texts;
  for (int i = 0; i < 300; ++i) {
    switch (i % 3) {
      case 0:
        texts.push_back("Mozilla/5.0 (X11; Linux x86_64) Chrome/" + std::to_string(100 + i));
        break;
      case 1:
        texts.push_back(std::to_string(i) + "' or '" + std::to_string(i) + "'='" +
                        std::to_string(i));
        break;
      default:
        texts.push_back("session%3D" + std::to_string(i * 7919) + "%3B%20path");
        break;
    }
  }
  std::mt19937 rng(42);
  int attacks = 0;
  for (int n = 0; n < 3000; ++n) {
    const std::string& ua = texts[rng() % texts.size()];
    const std::string& cookie = texts[rng() % texts.size()];
    Req r = get("/?q=" + std::to_string(n));
    r.headers[1].second = ua;
    r.header("Cookie", "c=" + cookie);
    Verdict memo = l.eval(r);
    auto fresh_scratch = l.engine->newScratch();
    Verdict fresh = run(*l.engine, *fresh_scratch, r);
    ASSERT_EQ(ids(memo), ids(fresh)) << "UA " << ua << ", cookie " << cookie;
    ASSERT_EQ(memo.matched.size(), fresh.matched.size());
    for (size_t k = 0; k < memo.matched.size(); ++k) {
      ASSERT_EQ(memo.matched[k].data, fresh.matched[k].data) << "UA " << ua;
      ASSERT_EQ(memo.matched[k].matched_var, fresh.matched[k].matched_var);
      // TX.0: the fingerprint @detectSQLi captured, remembered or not.
      ASSERT_NE(memo.matched[k].data.rfind(" in ", 0), 0U) << memo.matched[k].data;
    }
    if (has(memo, 942100)) ++attacks;
  }
  EXPECT_GT(attacks, 1000);  // the injections are caught, not only agreed on
  EXPECT_LT(attacks, 2900);  // and the benign texts pass
}

// Weak patterns gated by the byte pairs their matches start with (WeakSet::pair_entries, read
// sixteen bytes at a time): on values with the pairs anywhere (first, last, across the blocks)
// and without them, the rules that fire are those of the engine without its fast paths.
TEST(ManagedEngine, FirstPairGatesDecideAsTheRegexes) {
  RuleDir dir;
  const std::string rules = R"rules(
SecRule REQUEST_HEADERS:User-Agent|ARGS "@rx (?:\x5c|/)(?=[.%])(?:\.|%2e){2}(?:\x5c|/)" "id:501,phase:2,pass,t:none,msg:'traversal'"
SecRule ARGS_NAMES|ARGS "@rx \b(?=\w)(?:msysobjects|pg_catalog|information_schema)\b" "id:502,phase:2,pass,t:none,msg:'db'"
SecRule ARGS "@rx (?<=[^a-z])ab(?=c)" "id:503,phase:2,pass,t:none,msg:'not gated: looks back'"
)rules";
  Loaded fast = load(dir, rules);
  Loaded full = load(dir, rules, {}, false);
  ASSERT_TRUE(fast.engine && full.engine);
  EXPECT_TRUE(reportHas(fast.report, " 2 without the byte pairs their matches start with"))
      << ::testing::PrintToString(fast.report);
  // Mostly bytes that start no pair, or pairs that start no match; now and then a piece of one.
  const std::vector<std::string> plain = {"a", "Z", "0", "7",  " ",  "_",  "-",  "ab",
                                          "c", ".", "/", "\\", "%2", "pg", "ms", "in"};
  const std::vector<std::string> rare = {"..",         "%2e",         "%2E",
                                         "/../",       "\\..\\",      "/%2e%2e/",
                                         "pg_catalog", "msysobjects", "information_schema",
                                         "xabc",       "-abc"};
  auto encode = [](const std::string& v) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : v) {
      if (std::isalnum(c) != 0) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += hex[c >> 4];
        out += hex[c & 15];
      }
    }
    return out;
  };
  std::mt19937 rng(7);
  auto text = [&] {
    std::string v;
    const size_t want = rng() % 70;
    while (v.size() < want)
      v += rng() % 24 == 0 ? rare[rng() % rare.size()] : plain[rng() % plain.size()];
    return v;
  };
  int fired[3] = {0, 0, 0};
  for (int n = 0; n < 3000; ++n) {
    const std::string ua = text(), value = text(), name = text();
    Req r = get("/?v=" + encode(value) + "&" + encode(name) + "=1");
    r.headers[1].second = ua;
    Verdict got = fast.eval(r);
    Verdict want = full.eval(r);
    ASSERT_EQ(ids(got), ids(want))
        << "UA \"" << ua << "\", value \"" << value << "\", name \"" << name << "\"";
    for (int k = 0; k < 3; ++k) fired[k] += has(got, 501 + k) ? 1 : 0;
  }
  std::printf("fired: 501 %d, 502 %d, 503 %d of 3000\n", fired[0], fired[1], fired[2]);
  for (int k = 0; k < 3; ++k) {
    EXPECT_GT(fired[k], 30) << 501 + k;    // each fires on some requests
    EXPECT_LT(fired[k], 2900) << 501 + k;  // and not on all of them
  }
}

// A walk of TX by a selector (920450's TX:/^header_name_/, 922110's) or of all of TX tests each
// variable name once per scratch, by its slot in the variable table: whatever names earlier
// requests left, a request over a long-lived scratch gets what a fresh scratch gives it, also
// after a request with more names than the table keeps (it then forgets them all) and after the
// scratch served another engine.
TEST(ManagedEngine, TxWalksAnswerAsAFreshScratch) {
  RuleDir dir;
  const std::string rules = R"(
SecRule REQUEST_COOKIES_NAMES "@rx ^(.*)$" "id:350,phase:1,pass,nolog,capture,setvar:'tx.seen_%{tx.1}=%{tx.1}'"
SecRule TX:/^seen_b/ "@rx ." "id:351,phase:2,pass,msg:'b %{MATCHED_VAR_NAME}'"
SecRule TX "@streq evil" "id:352,phase:2,pass,msg:'whole %{MATCHED_VAR_NAME}'"
SecRule TX:/SEEN_A/|!TX:seen_a2 "@rx ." "id:353,phase:2,pass,msg:'a %{MATCHED_VAR_NAME}'"
SecRule &TX:/^seen_b/ "@ge 2" "id:354,phase:2,pass,msg:'two or more b'"
)";
  auto l = load(dir, rules);
  auto other = load(dir, R"(
SecRule REQUEST_COOKIES_NAMES "@rx ^(.*)$" "id:360,phase:1,pass,nolog,capture,setvar:'tx.seen_%{tx.1}=%{tx.1}'"
SecRule TX:/^seen_a/ "@rx ." "id:361,phase:2,pass,msg:'other'"
)");
  ASSERT_TRUE(l.engine && other.engine);
  const std::vector<std::string> names = {"a1", "a2", "b1", "b2", "evil", "c", "seen_b", "B3"};
  std::string many;
  for (int i = 0; i < 5000; ++i) many += "m" + std::to_string(i) + "=1; ";  // > kMaxSlots
  std::mt19937 rng(7);
  int walked = 0, counted = 0;
  for (int n = 0; n < 400; ++n) {
    std::string cookie = n == 150 ? many : "";
    for (size_t k = rng() % 4; k > 0; --k) cookie += names[rng() % names.size()] + "=1; ";
    Req r = get("/");
    if (!cookie.empty()) r.header("Cookie", cookie);
    if (n % 10 == 7) {  // the scratch serves another engine, with the same TX names
      Verdict o = run(*other.engine, *l.scratch, r);
      auto o_fresh = other.engine->newScratch();
      ASSERT_EQ(ids(o), ids(run(*other.engine, *o_fresh, r))) << "request " << n;
    }
    Verdict got = l.eval(r);
    auto fresh_scratch = l.engine->newScratch();
    Verdict want = run(*l.engine, *fresh_scratch, r);
    ASSERT_EQ(ids(got), ids(want)) << "request " << n << ", cookies " << cookie.substr(0, 80);
    // The walks visit the variables in the order this request set them, whatever the scratch's
    // history: the last one matched, which the messages name, is the fresh scratch's.
    ASSERT_EQ(got.matched.size(), want.matched.size());
    for (size_t k = 0; k < got.matched.size(); ++k)
      ASSERT_EQ(got.matched[k].msg, want.matched[k].msg)
          << "request " << n << ", cookies " << cookie.substr(0, 80);
    // And it names one this request set.
    for (const auto& m : got.matched) {
      if (m.id == 354) continue;  // a count: its message names no variable
      const size_t at = m.msg.find("TX:seen_");
      ASSERT_NE(at, std::string::npos) << m.msg;
      const std::string name = m.msg.substr(at + 8);
      std::string lower = "; " + cookie;  // TX names are lower-case
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      EXPECT_NE(lower.find("; " + name + "="), std::string::npos)
          << "request " << n << ": " << m.msg << " not among " << cookie.substr(0, 80);
    }
    if (has(got, 351) || has(got, 353)) ++walked;
    if (has(got, 354)) ++counted;
  }
  EXPECT_GT(walked, 100);
  EXPECT_GT(counted, 20);
}

// A walk of TX whose link sets TX variables per match sees the variables as they were when it
// started (libmodsecurity resolves a rule's targets before it runs the operator on them): 371
// matches tx.h_a, whose setvar makes tx.h_b, which the walk does not visit. So MATCHED_VAR_NAME
// is the last of the variables it started with, and the count after it is two. Without the
// snapshot (the walk over the live table) 371 would also match tx.h_b, and name it.
TEST(ManagedEngine, TxWalkSeesTheVariablesItStartedWith) {
  RuleDir dir;
  auto l = load(dir, R"(
SecAction "id:370,phase:1,pass,nolog,setvar:tx.h_a=b"
SecRule TX:/^h_/ "@rx ^(b)$" "id:371,phase:1,pass,capture,msg:'walked %{MATCHED_VAR_NAME}',setvar:'tx.h_%{tx.1}=%{tx.1}'"
SecRule &TX:/^h_/ "@eq 2" "id:372,phase:1,pass,msg:'two'"
)");
  ASSERT_TRUE(l.engine);
  for (int n = 0; n < 3; ++n) {  // a warm scratch too: tx.h_b has its slot from the request before
    Verdict v = l.eval(get("/"));
    ASSERT_EQ(ids(v), "371 372 ") << "request " << n;
    EXPECT_EQ(v.matched[0].msg, "walked TX:h_a") << "request " << n;
  }
}

TEST(ManagedEngine, DynamicOperatorParameter) {
  RuleDir dir;
  auto l = load(dir, R"(
SecAction "id:80,phase:1,pass,nolog,setvar:tx.limit=3"
SecRule &ARGS "@gt %{tx.limit}" "id:81,phase:2,deny,msg:'too many args'"
)");
  EXPECT_FALSE(l.eval(get("/?a=1&b=2&c=3")).intercepted);
  Verdict v = l.eval(get("/?a=1&b=2&c=3&d=4"));
  EXPECT_TRUE(v.intercepted);
  EXPECT_EQ(v.status, 403);
}

TEST(ManagedEngine, CtlRemovesRulesAndTargetsForThisRequestOnly) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule REQUEST_URI "@beginsWith /admin" "id:90,phase:1,pass,nolog,ctl:ruleRemoveById=95"
SecRule REQUEST_URI "@beginsWith /login" "id:91,phase:1,pass,nolog,ctl:ruleRemoveTargetById=96;ARGS:password"
SecRule REQUEST_URI "@beginsWith /tag" "id:92,phase:1,pass,nolog,ctl:ruleRemoveByTag=attack-x"
SecRule ARGS "@rx evil" "id:95,phase:2,deny,tag:'attack-x'"
SecRule ARGS "@rx bad" "id:96,phase:2,deny"
)");
  EXPECT_TRUE(l.eval(get("/x?q=evil")).intercepted);
  EXPECT_FALSE(l.eval(get("/admin?q=evil")).intercepted);
  EXPECT_FALSE(l.eval(get("/tag?q=evil")).intercepted);
  EXPECT_TRUE(l.eval(get("/x?password=bad")).intercepted);
  EXPECT_FALSE(l.eval(get("/login?password=bad")).intercepted);
  EXPECT_TRUE(l.eval(get("/login?user=bad")).intercepted);
  // The ctl of one request does not leak into the next on the same scratch.
  EXPECT_TRUE(l.eval(get("/x?q=evil")).intercepted);
}

TEST(ManagedEngine, RemoveAndUpdateDirectivesAfterTheRules) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule ARGS "@rx evil" "id:100,phase:2,deny"
SecRule ARGS "@rx bad" "id:101,phase:2,deny"
SecRule ARGS "@rx worse" "id:102,phase:2,deny"
SecRuleRemoveById 100
SecRuleUpdateTargetById 101 "!ARGS:comment"
SecRuleUpdateActionById 102 "pass"
)");
  EXPECT_FALSE(l.eval(get("/?q=evil")).intercepted);
  EXPECT_TRUE(l.eval(get("/?q=bad")).intercepted);
  EXPECT_FALSE(l.eval(get("/?comment=bad")).intercepted);
  Verdict v = l.eval(get("/?q=worse"));
  EXPECT_FALSE(v.intercepted);
  EXPECT_TRUE(has(v, 102));
}

TEST(ManagedEngine, ConfiguredExclusionsByIdTagAndTarget) {
  RuleDir dir;
  const char* rules = R"(
SecRule ARGS "@rx evil" "id:110,phase:2,deny,tag:'attack-x'"
)";
  auto none = load(dir, rules);
  EXPECT_TRUE(none.eval(get("/?q=evil")).intercepted);

  Exclusion by_id;
  by_id.ids = {IdRange{100, 119}};
  EXPECT_FALSE(load(dir, rules, {by_id}).eval(get("/?q=evil")).intercepted);

  Exclusion by_tag;
  by_tag.tag = "attack-x";
  EXPECT_FALSE(load(dir, rules, {by_tag}).eval(get("/?q=evil")).intercepted);

  Exclusion by_target;
  by_target.ids = {IdRange{110, 110}};
  Target t;
  t.var = Var::kArgs;
  t.selector = "q";
  by_target.targets = {t};
  auto l = load(dir, rules, {by_target});
  EXPECT_FALSE(l.eval(get("/?q=evil")).intercepted);
  EXPECT_TRUE(l.eval(get("/?r=evil")).intercepted);
}

TEST(ManagedEngine, CountsAndNegatedExclusionTargets) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule &REQUEST_HEADERS:X-Token "@eq 0" "id:120,phase:1,pass,msg:'no token'"
SecRule &ARGS "@eq 2" "id:121,phase:2,pass,msg:'two args'"
SecRule ARGS|!ARGS:safe "@rx x" "id:122,phase:2,pass,msg:'x outside safe'"
SecRule ARGS_NAMES "@rx ^n" "id:123,phase:2,pass,msg:'name'"
)");
  Verdict v = l.eval(get("/?safe=x&nab=1"));
  EXPECT_TRUE(has(v, 120));
  EXPECT_TRUE(has(v, 121));
  EXPECT_FALSE(has(v, 122)) << ids(v);
  EXPECT_TRUE(has(v, 123));
  Req r = get("/?a=x");
  r.header("x-token", "1");
  Verdict w = l.eval(r);
  EXPECT_FALSE(has(w, 120)) << ids(w);
  EXPECT_FALSE(has(w, 121));
  EXPECT_TRUE(has(w, 122));
}

TEST(ManagedEngine, DefaultActionTransformsAndTnone) {
  RuleDir dir(
      "SecDefaultAction \"phase:1,log,pass,t:lowercase\"\n"
      "SecDefaultAction \"phase:2,log,pass,t:lowercase\"\n");
  auto l = load(dir, R"(
SecRule ARGS "@streq abc" "id:130,phase:2,pass,msg:'folded'"
SecRule ARGS "@streq abc" "id:131,phase:2,pass,t:none,msg:'not folded'"
SecRule ARGS "@streq abc" "id:132,phase:2,pass,t:none,t:lowercase,msg:'explicit'"
)");
  Verdict v = l.eval(get("/?q=ABC"));
  EXPECT_TRUE(has(v, 130));
  EXPECT_FALSE(has(v, 131));
  EXPECT_TRUE(has(v, 132));
}

TEST(ManagedEngine, BlockTakesTheDefaultDisruptiveAction) {
  RuleDir pass_dir;
  auto p = load(pass_dir, R"(SecRule ARGS "@rx evil" "id:140,phase:2,block")");
  Verdict v = p.eval(get("/?q=evil"));
  EXPECT_FALSE(v.intercepted);
  EXPECT_TRUE(has(v, 140));

  RuleDir deny_dir("SecDefaultAction \"phase:2,log,deny,status:418\"\n");
  auto d = load(deny_dir, R"(SecRule ARGS "@rx evil" "id:140,phase:2,block")");
  Verdict w = d.eval(get("/?q=evil"));
  EXPECT_TRUE(w.intercepted);
  EXPECT_EQ(w.status, 418);
}

TEST(ManagedEngine, MultiMatchTriesEveryStageOfTheChain) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule ARGS "@rx ^%41$" "id:150,phase:2,pass,t:none,t:urlDecode,multiMatch,msg:'raw'"
SecRule ARGS "@rx ^%41$" "id:151,phase:2,pass,t:none,t:urlDecode,msg:'final only'"
)");
  Verdict v = l.eval(get("/?q=%2541"));
  EXPECT_TRUE(has(v, 150)) << ids(v);
  EXPECT_FALSE(has(v, 151)) << ids(v);
}

TEST(ManagedEngine, AllowStopsAndRuleEngineOffStops) {
  RuleDir dir;
  auto l = load(dir, R"(
SecRule REQUEST_URI "@beginsWith /health" "id:160,phase:1,allow,nolog"
SecRule REQUEST_URI "@beginsWith /off" "id:161,phase:1,pass,nolog,ctl:ruleEngine=Off"
SecRule REQUEST_URI "@beginsWith /detect" "id:162,phase:1,pass,nolog,ctl:ruleEngine=DetectionOnly"
SecRule ARGS "@rx evil" "id:163,phase:2,deny"
)");
  EXPECT_TRUE(l.eval(get("/x?q=evil")).intercepted);
  EXPECT_FALSE(l.eval(get("/health?q=evil")).intercepted);
  EXPECT_FALSE(l.eval(get("/off?q=evil")).intercepted);
  Verdict d = l.eval(get("/detect?q=evil"));
  EXPECT_FALSE(d.intercepted);
  EXPECT_TRUE(has(d, 163));
}

TEST(ManagedEngine, GroupedRegexesAgreeWithSingleRegexes) {
  // Many @rx rules on one chain: the Hyperscan group must not lose a match.
  RuleDir dir;
  std::string rules;
  for (int i = 0; i < 40; ++i) {
    rules += "SecRule ARGS \"@rx (?i)word" + std::to_string(i) +
             "\\b\" \"id:" + std::to_string(1000 + i) +
             ",phase:2,pass,t:none,t:urlDecodeUni,msg:'w'\"\n";
  }
  auto l = load(dir, rules);
  for (int i = 0; i < 40; i += 7) {
    Verdict v =
        l.eval(get("/?a=x%20WORD" + std::to_string(i) + "%20y&b=word" + std::to_string(i) + "1"));
    ASSERT_EQ(v.matched_ids.size(), 1u) << ids(v);
    EXPECT_EQ(v.matched_ids[0], 1000 + i);
  }
}

TEST(ManagedEngine, LoadErrorsNameFileAndLine) {
  RuleDir dir;
  auto dup = Engine::load(
      dir.settings("SecAction \"id:1,phase:1,pass\"\n\nSecAction \"id:1,phase:1,pass\"\n"));
  ASSERT_FALSE(dup.isOk());
  EXPECT_NE(dup.status().message().find("test.conf:3: duplicate rule id 1"), std::string::npos)
      << dup.status().message();

  std::vector<std::string> report;
  auto rbl = Engine::load(
      dir.settings("\n# comment\nSecRule REMOTE_ADDR \"@rbl sbl.example\" \"id:2,phase:1,deny\"\n"),
      &report);
  ASSERT_TRUE(rbl.isOk()) << rbl.status().message();
  bool found = false;
  for (const auto& line : report)
    if (line.find("test.conf:3: operator @rbl is not evaluated: rule 2 never matches") !=
        std::string::npos)
      found = true;
  EXPECT_TRUE(found);
  auto s = (*rbl)->newScratch();
  EXPECT_FALSE(run(**rbl, *s, get("/")).intercepted);

  auto bad = Engine::load(dir.settings("SecRule ARGS \"@rx (\" \"id:3,phase:1,deny\"\n"));
  ASSERT_FALSE(bad.isOk());
  EXPECT_NE(bad.status().message().find("test.conf:1"), std::string::npos)
      << bad.status().message();
}

TEST(ManagedEngine, AttackScoreBands) {
  EXPECT_EQ(attackScore(0), 99);
  EXPECT_EQ(attackScore(5), 19);
  EXPECT_EQ(attackScore(4), 35);
  EXPECT_EQ(attackScore(3), 51);
  EXPECT_EQ(attackScore(2), 67);
  EXPECT_EQ(attackScore(7), 1);
  EXPECT_EQ(attackScore(100), 1);
}

}  // namespace
}  // namespace shipgate::managed

namespace shipgate::managed {
namespace {

// The evaluator transforms a value once per step of its tree of chains, and when the steps so far
// changed nothing it reads the next step's output from the shallower node that applies the same
// step to the same text (Impl::node_child). Every chain must still see what applying its steps one
// by one gives, whichever chain asks first.
TEST(ManagedEngine, ChainsSharingStepsSeeTheirOwnTransforms) {
  const std::vector<std::string> chains = {
      "lowercase",
      "urlDecodeUni,lowercase",
      "htmlEntityDecode,lowercase",
      "urlDecodeUni,htmlEntityDecode,lowercase",
      "removeNulls,urlDecodeUni,htmlEntityDecode",
      "urlDecodeUni,htmlEntityDecode",
      "htmlEntityDecode",
      "urlDecodeUni",
      "cmdLine",
      "urlDecodeUni,cmdLine",
      "normalisePath,urlDecodeUni,lowercase",
      "urlDecodeUni,normalisePath,lowercase",
      "utf8toUnicode,urlDecodeUni,normalisePath,lowercase",
  };
  auto rulesText = [&](bool reversed) {
    std::string text;
    for (size_t k = 0; k < chains.size(); ++k) {
      size_t c = reversed ? chains.size() - 1 - k : k;
      std::string ts;
      std::string_view rest = chains[c];
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        ts += ",t:" + std::string(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
      }
      text += "SecRule ARGS:v \"@rx ^\" \"id:" + std::to_string(100 + c) + ",phase:2,pass,t:none" +
              ts + ",logdata:'%{MATCHED_VAR}'\"\n";
    }
    return text;
  };
  auto expected = [&](size_t c, const std::string& value) {
    std::string cur = value, next;
    std::string_view rest = chains[c];
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      auto t = parseTransform(rest.substr(0, comma));
      EXPECT_TRUE(t.has_value()) << rest;
      applyTransform(*t, cur, next);
      cur.swap(next);
      rest = comma == std::string_view::npos ? "" : rest.substr(comma + 1);
    }
    return cur;
  };
  // Values ARGS:v takes (sent percent-encoded, so the query's own decoding gives them back).
  const std::vector<std::string> values = {
      "plain",          "Plain Text",
      "a%41b",          "A&amp;B",
      "%26amp%3B",      "X%2541",
      "../a/./B",       "%2e%2e/A",
      "C^md  /c \"x\"", "caf\xc3\xa9 %C3%A9",
      "a//b/../C&lt;d", "%u0041&#66;c",
      "x%00y\\Z",       "   ",
  };
  for (bool reversed : {false, true}) {
    RuleDir dir;
    auto l = load(dir, rulesText(reversed));
    ASSERT_TRUE(l.engine);
    for (const std::string& value : values) {
      std::string uri = "/t?v=";
      for (unsigned char ch : value) {
        char hex[4];
        std::snprintf(hex, sizeof hex, "%%%02X", ch);
        uri += hex;
      }
      Verdict v = l.eval(get(uri));
      ASSERT_EQ(v.matched.size(), chains.size()) << value << ": " << ids(v);
      for (const MatchedRule& m : v.matched) {
        const auto c = static_cast<size_t>(m.id - 100);
        EXPECT_EQ(m.data, expected(c, value))
            << "value \"" << value << "\", chain " << chains[c] << (reversed ? " (reversed)" : "");
      }
    }
  }
}

}  // namespace
}  // namespace shipgate::managed
