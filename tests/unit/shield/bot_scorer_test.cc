// BotScorer: every signal in the table fires on its own trigger, the score follows the weights,
// and verified bots need both the user agent and the source network.
#include "shipgate/shield/bot_scorer.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace shipgate::shield {
namespace {

constexpr std::string_view kChromeUa =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36";
constexpr std::string_view kFirefoxUa =
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
constexpr std::string_view kSafariUa =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Safari/605.1.15";
constexpr std::string_view kGooglebotUa =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

// The headers Chrome 120 sends for a top-level navigation over https, in its order.
BotFeatures chromeOverTls() {
  BotFeatures f;
  f.tls = true;
  f.client_ip = "203.0.113.7";
  f.addHeader("Host", "example.com");
  f.addHeader("Connection", "keep-alive");
  f.addHeader("sec-ch-ua", "\"Chromium\";v=\"120\", \"Not?A_Brand\";v=\"8\"");
  f.addHeader("sec-ch-ua-mobile", "?0");
  f.addHeader("sec-ch-ua-platform", "\"Linux\"");
  f.addHeader("Upgrade-Insecure-Requests", "1");
  f.addHeader("User-Agent", kChromeUa);
  f.addHeader("Accept", "text/html,application/xhtml+xml,*/*;q=0.8");
  f.addHeader("Sec-Fetch-Site", "none");
  f.addHeader("Sec-Fetch-Mode", "navigate");
  f.addHeader("Accept-Encoding", "gzip, deflate, br");
  f.addHeader("Accept-Language", "en-US,en;q=0.9");
  return f;
}

BotFeatures withUa(std::string_view ua) {
  BotFeatures f;
  f.client_ip = "203.0.113.7";
  f.addHeader("Host", "example.com");
  f.addHeader("User-Agent", ua);
  f.addHeader("Accept", "*/*");
  return f;
}

class BotScorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BotScorerConfig c;
    c.verified_bots = defaultVerifiedBots();
    auto r = BotScorer::create(c);
    ASSERT_TRUE(r.isOk()) << r.status().message();
    scorer_ = std::move(r).value();
  }
  static bool fired(const BotScore& s, std::string_view name) {
    return std::any_of(s.signals.begin(), s.signals.end(),
                       [&](const BotSignal& x) { return x.name == name; });
  }
  static int weightSum(const BotScore& s) {
    int sum = 0;
    for (const auto& x : s.signals) sum += x.weight;
    return sum;
  }
  std::unique_ptr<BotScorer> scorer_;
  BotWeights w_;
};

TEST_F(BotScorerTest, RealChromeLooksHuman) {
  auto s = scorer_->score(chromeOverTls());
  ASSERT_EQ(s.signals.size(), 1u) << s.describe();
  EXPECT_TRUE(fired(s, "browser_consistent"));
  EXPECT_EQ(s.score, 50 + w_.browser_consistent);
  EXPECT_GE(s.score, 30);
  EXPECT_FALSE(s.verified_bot);
}

TEST_F(BotScorerTest, ChallengeCookieIsAStrongHumanSignal) {
  auto f = chromeOverTls();
  f.valid_challenge_cookie = true;
  auto s = scorer_->score(f);
  EXPECT_TRUE(fired(s, "challenge_passed"));
  EXPECT_EQ(s.score, 99);  // 50 + 25 + 45, clamped
  // Even a UA missing browser headers gets into the human range with a solved challenge.
  BotFeatures bare = withUa(kFirefoxUa);
  bare.addHeader("Accept-Encoding", "gzip");
  int before = scorer_->score(bare).score;
  bare.valid_challenge_cookie = true;
  auto with = scorer_->score(bare);
  EXPECT_EQ(with.score, before + w_.challenge_passed);
  EXPECT_GE(with.score, 30);
}

TEST_F(BotScorerTest, AutomationUserAgentsScoreOne) {
  for (std::string_view ua :
       {"curl/8.4.0", "Wget/1.21.3", "python-requests/2.31.0", "Python-urllib/3.11",
        "Go-http-client/1.1", "okhttp/4.12.0", "Java/17.0.9", "libwww-perl/6.72",
        "Scrapy/2.11.0 (+https://scrapy.org)", "axios/1.6.2", "python-httpx/0.25.2"}) {
    auto s = scorer_->score(withUa(ua));
    EXPECT_TRUE(fired(s, "ua_automation_tool")) << ua << " " << s.describe();
    EXPECT_EQ(s.score, 1) << ua << " " << s.describe();
  }
}

TEST_F(BotScorerTest, AttackToolsAndHeadlessBrowsers) {
  for (std::string_view ua : {"sqlmap/1.7.11#stable (https://sqlmap.org)",
                              "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)"}) {
    auto s = scorer_->score(withUa(ua));
    EXPECT_TRUE(fired(s, "ua_attack_tool")) << ua << " " << s.describe();
    EXPECT_EQ(s.score, 1);
  }
  for (std::string_view ua :
       {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "HeadlessChrome/120.0.6099.28 Safari/537.36",
        "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) "
        "PhantomJS/2.1.1 Safari/538.1"}) {
    auto s = scorer_->score(withUa(ua));
    EXPECT_TRUE(fired(s, "ua_headless")) << ua << " " << s.describe();
    EXPECT_FALSE(fired(s, "browser_consistent"));
    EXPECT_LT(s.score, 30);
  }
}

TEST_F(BotScorerTest, EmptyOrAbsentUserAgent) {
  BotFeatures absent;
  absent.addHeader("Host", "example.com");
  auto s = scorer_->score(absent);
  ASSERT_TRUE(fired(s, "ua_empty"));
  EXPECT_EQ(s.signals[0].detail, "absent");
  EXPECT_EQ(s.score, 1);
  auto e = scorer_->score(withUa(""));
  ASSERT_TRUE(fired(e, "ua_empty"));
  EXPECT_EQ(e.signals[0].detail, "empty");
}

TEST_F(BotScorerTest, ChromeWithoutClientHintsOverTls) {
  auto f = chromeOverTls();
  f.has_sec_ch_ua = false;
  auto s = scorer_->score(f);
  ASSERT_EQ(s.signals.size(), 1u) << s.describe();
  EXPECT_TRUE(fired(s, "chrome_without_client_hints"));
  EXPECT_EQ(s.score, 50 + w_.chrome_without_client_hints);
  // Over plain http Chrome does not send client hints: no signal.
  f.tls = false;
  f.has_sec_fetch = true;
  EXPECT_FALSE(fired(scorer_->score(f), "chrome_without_client_hints"));
  // Firefox never sends them.
  auto ff = chromeOverTls();
  ff.user_agent = kFirefoxUa;
  ff.has_sec_ch_ua = false;
  EXPECT_FALSE(fired(scorer_->score(ff), "chrome_without_client_hints"));
}

TEST_F(BotScorerTest, MissingBrowserHeadersEachCount) {
  struct Case {
    std::optional<std::string_view> BotFeatures::*field;
    std::string_view signal;
    int weight;
  } cases[] = {
      {&BotFeatures::accept_language, "browser_missing_accept_language",
       w_.browser_missing_accept_language},
      {&BotFeatures::accept_encoding, "browser_missing_accept_encoding",
       w_.browser_missing_accept_encoding},
      {&BotFeatures::accept, "browser_missing_accept", w_.browser_missing_accept},
  };
  for (const auto& c : cases) {
    auto f = chromeOverTls();
    f.*(c.field) = std::nullopt;
    auto s = scorer_->score(f);
    ASSERT_EQ(s.signals.size(), 1u) << s.describe();
    EXPECT_EQ(s.signals[0].name, c.signal);
    EXPECT_EQ(s.score, 50 + c.weight);
  }
  // The same headers missing on a non-browser UA are not held against it.
  auto s = scorer_->score(withUa("MyApp/1.0"));
  EXPECT_TRUE(s.signals.empty()) << s.describe();
  EXPECT_EQ(s.score, 50);
}

TEST_F(BotScorerTest, MissingSecFetchOnModernBrowsers) {
  for (std::string_view ua : {kChromeUa, kFirefoxUa, kSafariUa}) {
    auto f = chromeOverTls();
    f.user_agent = ua;
    f.has_sec_fetch = false;
    auto s = scorer_->score(f);
    EXPECT_TRUE(fired(s, "browser_missing_sec_fetch")) << ua << " " << s.describe();
  }
  // Safari 15 predates Sec-Fetch-*.
  auto f = chromeOverTls();
  f.user_agent =
      "Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15 (KHTML, like Gecko) "
      "Version/15.6 Safari/605.1.15";
  f.has_sec_fetch = false;
  EXPECT_FALSE(fired(scorer_->score(f), "browser_missing_sec_fetch"));
}

TEST_F(BotScorerTest, HeaderOrderUnlikeBrowsers) {
  BotFeatures f;
  f.tls = true;
  f.addHeader("User-Agent", kChromeUa);  // a script library putting User-Agent first
  f.addHeader("Host", "example.com");
  f.addHeader("Accept", "*/*");
  f.addHeader("Accept-Encoding", "gzip");
  f.addHeader("Accept-Language", "en");
  f.addHeader("sec-ch-ua", "x");
  f.addHeader("Sec-Fetch-Mode", "navigate");
  auto s = scorer_->score(f);
  ASSERT_EQ(s.signals.size(), 1u) << s.describe();
  EXPECT_EQ(s.signals[0].name, "header_order_unusual");
  EXPECT_EQ(s.signals[0].detail, "first header: User-Agent");
  EXPECT_EQ(s.score, 50 + w_.header_order_unusual);
  // HTTP/2 has no Host-first convention (pseudo-headers come first).
  f.http_major = 2;
  EXPECT_FALSE(fired(scorer_->score(f), "header_order_unusual"));
}

TEST_F(BotScorerTest, ConnectionCloseOnABrowser) {
  auto f = chromeOverTls();
  f.connection = "close";
  auto s = scorer_->score(f);
  ASSERT_EQ(s.signals.size(), 1u) << s.describe();
  EXPECT_EQ(s.signals[0].name, "browser_connection_close");
  EXPECT_EQ(s.score, 50 + w_.browser_connection_close);
  f.http_major = 2;  // HTTP/2 has no Connection header semantics
  EXPECT_FALSE(fired(scorer_->score(f), "browser_connection_close"));
}

TEST_F(BotScorerTest, RequestRate) {
  auto f = chromeOverTls();
  f.requests_per_minute = 60;
  EXPECT_EQ(scorer_->score(f).score, 75);
  f.requests_per_minute = 300;
  auto s = scorer_->score(f);
  EXPECT_TRUE(fired(s, "rate_high"));
  EXPECT_EQ(s.score, 75 + w_.rate_high);
  f.requests_per_minute = 5000;
  s = scorer_->score(f);
  EXPECT_TRUE(fired(s, "rate_very_high"));
  EXPECT_FALSE(fired(s, "rate_high"));
  EXPECT_EQ(s.score, 75 + w_.rate_very_high);
}

TEST_F(BotScorerTest, BareBrowserUaFromAScriptIsAutomated) {
  BotFeatures f;
  f.tls = true;
  f.addHeader("Host", "example.com");
  f.addHeader("User-Agent", kChromeUa);
  auto s = scorer_->score(f);
  EXPECT_EQ(s.score, 1) << s.describe();
  EXPECT_EQ(50 + weightSum(s), 50 - 25 - 20 - 20 - 10 - 15);
}

TEST_F(BotScorerTest, VerifiedBotNeedsUserAgentAndNetwork) {
  auto f = withUa(kGooglebotUa);
  f.client_ip = "66.249.66.1";
  auto s = scorer_->score(f);
  EXPECT_TRUE(s.verified_bot);
  EXPECT_EQ(s.verified_bot_name, "googlebot");
  EXPECT_TRUE(fired(s, "ua_crawler"));
  EXPECT_LT(s.score, 30);  // still a bot: verified is a separate flag
  // Same UA from elsewhere: a spoof.
  f.client_ip = "203.0.113.7";
  s = scorer_->score(f);
  EXPECT_FALSE(s.verified_bot);
  EXPECT_TRUE(fired(s, "verified_bot_spoofed"));
  // Google's network with a browser UA is not a verified bot.
  auto g = chromeOverTls();
  g.client_ip = "66.249.66.1";
  EXPECT_FALSE(scorer_->score(g).verified_bot);
  // IPv6 range.
  f.client_ip = "2001:4860:4801:10::1";
  EXPECT_TRUE(scorer_->score(f).verified_bot);
  f.client_ip = "not an ip";
  EXPECT_FALSE(scorer_->score(f).verified_bot);
}

// The scorer caches what it learns from a user agent per thread: scorers with other verified
// bots (a reload) must not see each other's answers for the same user agent, nor a scorer
// created where a destroyed one lived.
TEST_F(BotScorerTest, UserAgentFactsAreNotSharedBetweenScorers) {
  constexpr std::string_view kUa = "Mozilla/5.0 (compatible; ExampleBot/1.0)";
  auto f = withUa(kUa);
  f.client_ip = "192.0.2.10";
  for (int round = 0; round < 3; ++round) {
    BotScorerConfig listed;
    listed.verified_bots = {{"example", "ExampleBot", {"192.0.2.0/24"}}};
    auto with_bot = BotScorer::create(listed).value();
    auto without_bot = BotScorer::create(BotScorerConfig{}).value();
    // Interleaved on one thread, same user agent: each answers by its own configuration.
    for (int i = 0; i < 2; ++i) {
      auto a = with_bot->score(f);
      EXPECT_TRUE(a.verified_bot) << round;
      EXPECT_EQ(a.verified_bot_name, "example");
      auto b = without_bot->score(f);
      EXPECT_FALSE(b.verified_bot) << round;
      EXPECT_FALSE(fired(b, "verified_bot_spoofed")) << round;
      EXPECT_TRUE(fired(b, "ua_crawler"));
    }
    // A UA that differs in one byte is its own entry.
    auto g = withUa("Mozilla/5.0 (compatible; ExampleBoT/1.0)");
    g.client_ip = "192.0.2.10";
    EXPECT_FALSE(with_bot->score(g).verified_bot);
  }
}

TEST_F(BotScorerTest, DescribeListsSignals) {
  auto f = withUa("curl/8.4.0");
  f.requests_per_minute = 300;
  EXPECT_EQ(scorer_->score(f).describe(),
            "score=1 signals=ua_automation_tool(-60:curl),rate_high(-20:300/min)");
}

TEST(BotScorerCreateTest, RejectsBadConfig) {
  BotScorerConfig c;
  c.verified_bots = {{"x", "X", {"10.0.0.0/33"}}};
  auto r = BotScorer::create(c);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("prefix length 33 > 32"), std::string::npos);
  c.verified_bots = {{"x", "", {"10.0.0.0/8"}}};
  EXPECT_FALSE(BotScorer::create(c).isOk());
  c.verified_bots = {{"x", "X", {"bogus"}}};
  EXPECT_FALSE(BotScorer::create(c).isOk());
  c.verified_bots = {};
  c.very_high_rate_per_minute = 10;
  EXPECT_FALSE(BotScorer::create(c).isOk());
}

}  // namespace
}  // namespace shipgate::shield

namespace shipgate::shield {
namespace {

TEST(BotFeaturesTest, HeaderNamesMatchIgnoringCaseOnly) {
  BotFeatures f;
  f.addHeader("USER-AGENT", "ua");
  f.addHeader("aCCEPT", "a");
  f.addHeader("Accept-LANGUAGE", "l");
  f.addHeader("accept-encoding", "e");
  f.addHeader("CONNECTION", "c");
  EXPECT_EQ(f.user_agent.value_or("-"), "ua");
  EXPECT_EQ(f.accept.value_or("-"), "a");
  EXPECT_EQ(f.accept_language.value_or("-"), "l");
  EXPECT_EQ(f.accept_encoding.value_or("-"), "e");
  EXPECT_EQ(f.connection.value_or("-"), "c");
  EXPECT_FALSE(f.has_sec_fetch);
  EXPECT_FALSE(f.has_sec_ch_ua);
  f.addHeader("SEC-FETCH-MODE", "navigate");
  f.addHeader("Sec-CH-UA-Mobile", "?0");
  EXPECT_TRUE(f.has_sec_fetch);
  EXPECT_TRUE(f.has_sec_ch_ua);

  // Same lengths, other bytes: '_' for '-', a byte 0x20 away from a non-letter, a near miss.
  BotFeatures g;
  g.addHeader("user_agent", "x");
  g.addHeader("accept\x0d" "encoding", "x");
  g.addHeader("acceqt", "x");
  g.addHeader("sec_fetch_mode", "x");
  g.addHeader("sec\x0d" "ch-ua", "x");
  EXPECT_FALSE(g.user_agent);
  EXPECT_FALSE(g.accept_encoding);
  EXPECT_FALSE(g.accept);
  EXPECT_FALSE(g.has_sec_fetch);
  EXPECT_FALSE(g.has_sec_ch_ua);
  EXPECT_EQ(g.header_count, 5u);
  EXPECT_EQ(g.first_header, "user_agent");
}

}  // namespace
}  // namespace shipgate::shield
