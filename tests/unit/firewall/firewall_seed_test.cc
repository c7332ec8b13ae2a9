// The seed's three rules through the Firewall with the example config: SQL injection spellings,
// ordinary queries, the bot rule and the block / challenge responses.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "shipgate/shield/challenge.h"
#include "unit/firewall/firewall_fixture.h"

// Counts the allocations of this thread while counting is on (see AllocationFree below).
namespace {
thread_local bool g_count_allocations = false;
thread_local size_t g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_count_allocations) ++g_allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// Kept out of line: GCC 12 cannot see into the replaced operator new above, so a std::free()
// inlined into a caller looks like a mismatched deallocation (-Wmismatched-new-delete); called,
// these deletes pair with that operator new.
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace shipgate::firewall {
namespace {

using testing::TestRequest;

class SeedRules : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = testing::exampleConfig();
    ASSERT_NE(config_, nullptr);
    fw_ = testing::buildOrDie(*config_, clock_);
    ASSERT_NE(fw_, nullptr);
  }
  Decision inspect(TestRequest r) {
    RequestView v = r.view();
    return fw_->inspect(v, scratch_);
  }
  SimulatedClock clock_;
  std::shared_ptr<const config::Config> config_;
  std::shared_ptr<const Firewall> fw_;
  Scratch scratch_;
};

TEST_F(SeedRules, SqlInjectionSpellingsAreBlocked) {
  for (const char* query :
       {"/search?q=UNION%20SELECT%20password%20FROM%20users", "/search?q=1+union+select+1,2",
        "/search?q=1%20UnIoN/**/SeLeCt%20card", "/search?q=x%27%20or%201=1--",
        "/search?q=%27+OR+1%3D1", "/search?q=1;DROP%20TABLE%20users", "/search?q=drop++table",
        "/search?q=UNION%0ASELECT", "/search?q=union%2520select"}) {
    SCOPED_TRACE(query);
    Decision d = inspect(TestRequest::chrome(query));
    EXPECT_EQ(d.outcome, Outcome::kBlock);
    EXPECT_EQ(d.status, 403);
    EXPECT_EQ(d.rule, "Block SQL injection attempts");
    ASSERT_EQ(d.event_id.size(), 16u);
    EXPECT_NE(d.body.find("Block SQL injection attempts"), std::string::npos) << d.body;
    EXPECT_NE(d.body.find(d.event_id), std::string::npos);
    EXPECT_EQ(d.content_type, "text/html; charset=utf-8");
    bool header = false;
    for (const auto& [n, v] : d.headers) {
      if (n == "X-Shipgate-Block") {
        header = true;
        EXPECT_EQ(v, "rule=\"Block SQL injection attempts\"; event=" + d.event_id);
      }
    }
    EXPECT_TRUE(header);
  }
}

// A passed API request (bot score, client rate, the /api/ limit with its RateLimit headers, the
// response phase) allocates nothing once the per-thread scratch and the tables are warm.
TEST_F(SeedRules, PassedApiRequestAllocatesNothing) {
  constexpr int kClients = 20, kRounds = 5;
  std::vector<TestRequest> requests;
  requests.reserve(kClients);
  std::vector<RequestView> views;
  for (int i = 0; i < kClients; ++i) {
    requests.push_back(TestRequest::chrome("/api/properties?city=lisbon&sort=price_desc"));
    requests.back().client_ip = "198.51.100." + std::to_string(i + 1);
  }
  for (auto& r : requests) views.push_back(r.view());
  for (int round = 0; round < 3; ++round) {  // warm-up: scratch buffers, rate-limit tables
    for (const auto& v : views) fw_->onResponse(v, 200, scratch_), (void)fw_->inspect(v, scratch_);
    clock_.advance(std::chrono::milliseconds(100));
  }
  int passed = 0, with_headers = 0;
  g_allocations = 0;
  g_count_allocations = true;
  for (int round = 0; round < kRounds; ++round) {
    for (const auto& v : views) {
      Decision d = fw_->inspect(v, scratch_);
      passed += d.outcome == Outcome::kPass ? 1 : 0;
      with_headers += d.headers.find("RateLimit").has_value() ? 1 : 0;
      fw_->onResponse(v, 200, scratch_);
    }
    clock_.advance(std::chrono::milliseconds(100));
  }
  g_count_allocations = false;
  EXPECT_EQ(passed, kClients * kRounds);
  EXPECT_EQ(with_headers, kClients * kRounds);
  EXPECT_EQ(g_allocations, 0u);
}

TEST(ResponseHeadersTest, KeepsOrderAndTextWhenItSpillsAndWhenCopied) {
  ResponseHeaders h;
  std::vector<std::pair<std::string, std::string>> want;
  for (int i = 0; i < 10; ++i) {  // past kInlineHeaders and kInlineBytes
    want.emplace_back("X-Header-" + std::to_string(i), std::string(40 + i, static_cast<char>('a' + i)));
    h.add(want.back().first, want.back().second);
    ResponseHeaders copy = h;
    ResponseHeaders assigned;
    assigned.add("Old", "value");
    assigned = copy;
    for (const ResponseHeaders* x : {&h, &copy, &assigned}) {
      ASSERT_EQ(x->size(), want.size());
      size_t k = 0;
      for (const auto& [n, v] : *x) {
        EXPECT_EQ(n, want[k].first);
        EXPECT_EQ(v, want[k].second);
        ++k;
      }
    }
  }
  EXPECT_EQ(h.find("X-Header-3").value_or(""), std::string(43, 'd'));
  EXPECT_FALSE(h.find("x-header-3"));
  h.clear();
  EXPECT_TRUE(h.empty());
  h.add("A", "b");
  EXPECT_EQ(h[0].second, "b");
}

TEST_F(SeedRules, OrdinaryQueriesPass) {
  for (const char* query :
       {"/search?q=union+station", "/search?q=union%20station%20select%20seats",
        "/search?q=select+a+union", "/listing?city=Union+City&sort=price", "/search?q=O%27Brien",
        "/search?q=dropped+tables", "/search?q=1=1", "/", "/search?q=or+1"}) {
    SCOPED_TRACE(query);
    Decision d = inspect(TestRequest::chrome(query));
    EXPECT_EQ(d.outcome, Outcome::kPass) << d.rule;
    EXPECT_FALSE(d.respond());
  }
}

// Honest limits of the seed's substring rule: a search *about* SQL that contains the phrase is
// blocked too (false positive), and the rule only looks at the query, not the body.
TEST_F(SeedRules, SubstringRuleLimits) {
  EXPECT_EQ(inspect(TestRequest::chrome("/search?q=how+to+drop+table+in+postgres")).outcome,
            Outcome::kBlock);
  TestRequest post = TestRequest::chrome("/search");
  post.method = "POST";
  EXPECT_EQ(inspect(post).outcome, Outcome::kPass);
}

TEST_F(SeedRules, BotRuleBlocksToolsWithoutBrowserHeaders) {
  for (const char* ua : {"curl/8.0", "python-requests/2.31.0", "Go-http-client/1.1", ""}) {
    SCOPED_TRACE(ua);
    TestRequest r = TestRequest::tool(ua, "/");
    if (std::string(ua).empty()) r.headers.erase(r.headers.begin() + 1);
    Decision d = inspect(r);
    EXPECT_EQ(d.outcome, Outcome::kBlock);
    EXPECT_EQ(d.rule, "Block malicious bots");
    EXPECT_LT(d.bot_score, 30);
    EXPECT_GE(d.bot_score, 1);
  }
  // A browser user agent alone, over TLS without any of the headers Chrome sends: blocked.
  TestRequest bare = TestRequest::tool(testing::kChromeUa, "/");
  EXPECT_EQ(inspect(bare).outcome, Outcome::kBlock);
}

TEST_F(SeedRules, ChromeWithValidClearancePasses) {
  TestRequest chrome = TestRequest::chrome("/");
  Decision plain = inspect(chrome);
  EXPECT_EQ(plain.outcome, Outcome::kPass);
  EXPECT_GE(plain.bot_score, 30);

  std::string nonce = fw_->challenge().issueNonce(chrome.client_ip, testing::kChromeUa);
  auto counter = shield::solveProofOfWork(nonce, fw_->challenge().difficultyBits());
  ASSERT_TRUE(counter.has_value());
  TestRequest cleared = TestRequest::chrome("/");
  cleared.headers.emplace_back(
      "Cookie", "theme=dark; sg_clearance=" + nonce + "." + std::to_string(*counter));
  Decision d = inspect(cleared);
  EXPECT_EQ(d.outcome, Outcome::kPass);
  EXPECT_GT(d.bot_score, plain.bot_score);
  EXPECT_EQ(d.bot_score, 99);

  // The same cookie from another address is not a clearance (bound to the client IP).
  TestRequest elsewhere = cleared;
  elsewhere.client_ip = "203.0.113.99";
  EXPECT_EQ(inspect(elsewhere).bot_score, plain.bot_score);
}

TEST(FirewallChallenge, ChallengeRuleServesThePageUntilSolved) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
waf:
  challenge: {difficulty_bits: 8, secret: "0123456789abcdef0123"}
security_rules:
  - name: "Challenge logins"
    expression: 'http.request.uri.path eq "/login"'
    action: challenge
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  TestRequest r = TestRequest::chrome("/login");
  RequestView v = r.view();
  Decision d = fw->inspect(v, s);
  ASSERT_EQ(d.outcome, Outcome::kChallenge);
  EXPECT_EQ(d.status, 403);
  EXPECT_EQ(d.rule, "Challenge logins");
  EXPECT_NE(d.body.find("<script"), std::string::npos);
  EXPECT_NE(d.body.find("v1.8."), std::string::npos) << "the page carries a nonce";

  std::string nonce = fw->challenge().issueNonce(r.client_ip, testing::kChromeUa);
  auto counter = shield::solveProofOfWork(nonce, 8);
  ASSERT_TRUE(counter);
  TestRequest solved = TestRequest::chrome("/login");
  solved.headers.emplace_back("Cookie", "sg_clearance=" + nonce + "." + std::to_string(*counter));
  RequestView sv = solved.view();
  EXPECT_EQ(fw->inspect(sv, s).outcome, Outcome::kPass);

  // Expired clearance: challenged again.
  clock.advance(std::chrono::hours(2));
  EXPECT_EQ(fw->inspect(sv, s).outcome, Outcome::kChallenge);
  // Other paths are not challenged.
  TestRequest home = TestRequest::chrome("/");
  RequestView hv = home.view();
  EXPECT_EQ(fw->inspect(hv, s).outcome, Outcome::kPass);
}

TEST(FirewallActions, AllowSkipLogAndCustomBlock) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
waf:
  normalize: []
  block: {status: 451, content_type: "text/plain", body: "no: {rule} {event_id}"}
  lists:
    office: ["10.1.0.0/16", "192.168.7.7"]
security_rules:
  - {name: office, expression: "ip.src in $office", action: allow}
  - {name: audit, expression: 'http.request.method eq "DELETE"', action: log}
  - name: health
    expression: 'http.request.uri.path eq "/health"'
    action: skip
    skip: {rules: [admin]}
  - {name: admin, expression: 'starts_with(http.request.uri.path, "/admin")', action: block}
  - name: everything
    expression: 'http.request.uri.path ne ""'
    action: block
    block: {status: 406, content_type: "application/json", body: '{"rule":"{rule}"}'}
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  Scratch s;
  auto run = [&](const std::string& method, const std::string& target, const std::string& ip) {
    TestRequest r = TestRequest::chrome(target);
    r.method = method;
    r.client_ip = ip;
    RequestView v = r.view();
    return fw->inspect(v, s);
  };
  EXPECT_EQ(run("DELETE", "/admin", "10.1.2.3").outcome, Outcome::kPass);  // allow wins
  Decision admin = run("GET", "/admin/x", "198.51.100.1");
  EXPECT_EQ(admin.rule, "admin");
  EXPECT_EQ(admin.status, 451);
  EXPECT_EQ(admin.content_type, "text/plain");
  EXPECT_EQ(admin.body, "no: admin " + admin.event_id);
  // skip {rules: [admin]} on /health: admin is skipped, the rules after it still run.
  Decision health = run("GET", "/health", "198.51.100.1");
  EXPECT_EQ(health.rule, "everything");
  EXPECT_EQ(health.status, 406);
  EXPECT_EQ(health.body, "{\"rule\":\"everything\"}");
  EXPECT_EQ(s.evaluation().verdicts[3], waf::Verdict::kSkipped);
  // log continues: DELETE from outside is logged, then blocked by "everything".
  Decision del = run("DELETE", "/x", "198.51.100.1");
  EXPECT_EQ(del.rule, "everything");
  EXPECT_EQ(s.evaluation().log_matches.size(), 1u);
}

TEST(FirewallActions, DisabledWafPassesEverything) {
  SimulatedClock clock;
  auto fw = testing::firewallFrom(R"yaml(
waf: {enabled: false}
security_rules:
  - {name: all, expression: 'http.request.uri.path ne ""', action: block}
)yaml",
                                  clock);
  ASSERT_NE(fw, nullptr);
  EXPECT_FALSE(fw->enabled());
  Scratch s;
  TestRequest r = TestRequest::chrome("/");
  RequestView v = r.view();
  EXPECT_EQ(fw->inspect(v, s).outcome, Outcome::kPass);
}

TEST(FirewallChallenge, ReloadKeepsTheRandomSecret) {
  SimulatedClock clock;
  auto c = testing::configFrom(R"yaml(
waf: {challenge: {difficulty_bits: 4}}
security_rules:
  - {name: all, expression: 'http.request.uri.path ne ""', action: challenge}
)yaml");
  ASSERT_NE(c, nullptr);
  auto fw1 = testing::buildOrDie(*c, clock);
  ASSERT_NE(fw1, nullptr);
  std::string nonce = fw1->challenge().issueNonce("192.0.2.1", "ua");
  auto counter = shield::solveProofOfWork(nonce, 4);
  ASSERT_TRUE(counter);
  std::string cookie = nonce + "." + std::to_string(*counter);
  EXPECT_TRUE(fw1->challenge().verifyCookie(cookie, "192.0.2.1", "ua").valid);
  auto fw2 = testing::buildOrDie(*c, clock, fw1.get());
  ASSERT_NE(fw2, nullptr);
  EXPECT_TRUE(fw2->challenge().verifyCookie(cookie, "192.0.2.1", "ua").valid);
  auto fresh = testing::buildOrDie(*c, clock);  // no previous: a new random secret
  ASSERT_NE(fresh, nullptr);
  EXPECT_FALSE(fresh->challenge().verifyCookie(cookie, "192.0.2.1", "ua").valid);
}

}  // namespace
}  // namespace shipgate::firewall
