// BotScorer: a heuristic bot score on Cloudflare's scale, and verified (good) bots.
//
// Score: 1..99, 1 = certainly automated, 2..29 likely automated, 30..99 likely human; 0 means
// "not computed" and is never returned by score() (the gateway uses 0 / missing when the scorer
// is off). The score is base_score plus the weights of the signals that fired, clamped to 1..99.
// Default weights (BotWeights):
//
//   signal                      weight  fires when
//   ua_automation_tool            -60   UA is a known HTTP library / CLI: curl, Wget,
//                                       python-requests, Python-urllib, python-httpx, aiohttp,
//                                       Go-http-client, okhttp, Java/, Apache-HttpClient,
//                                       libwww-perl, Scrapy, axios, node-fetch, PostmanRuntime
//   ua_attack_tool                -80   UA is an attack scanner: sqlmap, Nikto, Nmap, masscan,
//                                       zgrab, Nuclei, WPScan, dirbuster, gobuster, Acunetix
//   ua_headless                   -60   HeadlessChrome, PhantomJS, Selenium, Puppeteer, Playwright
//   ua_crawler                    -40   UA says bot/crawler/spider (Googlebot, bingbot, ...)
//   ua_empty                      -60   no User-Agent header, or an empty one
//   chrome_without_client_hints   -25   UA claims Chrome/Edge >= 90 over TLS but sends no
//                                       Sec-CH-UA* header (real Chrome sends them on https)
//   browser_missing_accept_language -20 browser UA, no Accept-Language
//   browser_missing_accept_encoding -20 browser UA, no Accept-Encoding
//   browser_missing_accept        -10   browser UA, no Accept
//   browser_missing_sec_fetch     -15   modern browser UA (Chrome>=80, Firefox>=90, Safari
//                                       >=16.4) over TLS without any Sec-Fetch-* header
//   header_order_unusual          -15   browser UA on HTTP/1.x whose first header is not Host
//   browser_connection_close      -10   browser UA on HTTP/1.x sending "Connection: close"
//                                       (browsers keep connections alive; scripts often don't)
//   rate_high                     -20   requests_per_minute > high_rate_per_minute (120)
//   rate_very_high                -40   requests_per_minute > very_high_rate_per_minute (600)
//                                       (replaces rate_high)
//   browser_consistent            +25   browser UA and none of the browser-inconsistency signals
//                                       above fired (all of Accept, Accept-Language,
//                                       Accept-Encoding present, order and hints consistent)
//   challenge_passed              +45   a valid sg_clearance cookie (solved proof of work) was
//                                       presented: a strong human signal
//
// base_score is 50. Examples: curl -> 1; python-requests -> 1; Chrome with its usual headers
// -> 75; the same with a clearance cookie -> 99; a bare "Mozilla/5.0 ... Chrome/120" UA with no
// other headers over TLS -> 1.
//
// verified_bot: true when a configured good bot matches by BOTH user-agent substring
// (case-sensitive) and source address in one of its CIDRs. A UA match from an address outside
// the CIDRs is a spoof and fires `verified_bot_spoofed` (-30).
//
// Thread-safety: BotScorer is immutable after create(); score() is const and may be called
// from any number of threads. BotFeatures holds views: the request's memory must outlive score().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/status.h"

namespace shipgate::shield {

struct BotWeights {
  int ua_automation_tool = -60;
  int ua_attack_tool = -80;
  int ua_headless = -60;
  int ua_crawler = -40;
  int ua_empty = -60;
  int chrome_without_client_hints = -25;
  int browser_missing_accept_language = -20;
  int browser_missing_accept_encoding = -20;
  int browser_missing_accept = -10;
  int browser_missing_sec_fetch = -15;
  int header_order_unusual = -15;
  int browser_connection_close = -10;
  int rate_high = -20;
  int rate_very_high = -40;
  int browser_consistent = 25;
  int challenge_passed = 45;
  int verified_bot_spoofed = -30;
};

struct VerifiedBotConfig {
  std::string name;                  // "googlebot"
  std::string user_agent_substring;  // "Googlebot"
  std::vector<std::string> cidrs;    // "66.249.64.0/19", "2001:4860:4801::/48"
};

struct BotScorerConfig {
  int base_score = 50;
  BotWeights weights;
  int64_t high_rate_per_minute = 120;
  int64_t very_high_rate_per_minute = 600;
  std::vector<VerifiedBotConfig> verified_bots;
};

// Googlebot and Bingbot with their published ranges (a starting point for configs).
std::vector<VerifiedBotConfig> defaultVerifiedBots();

// What the caller knows about one request. Views into the request; fill by hand or with
// addHeader() for every header in received order.
struct BotFeatures {
  std::optional<std::string_view> user_agent;  // nullopt = no User-Agent header
  std::string_view first_header;               // name of the first header received, any case
  size_t header_count = 0;
  std::optional<std::string_view> accept;
  std::optional<std::string_view> accept_language;
  std::optional<std::string_view> accept_encoding;
  std::optional<std::string_view> connection;
  bool has_sec_fetch = false;  // any Sec-Fetch-* header
  bool has_sec_ch_ua = false;  // any Sec-CH-UA* header
  int http_major = 1;          // 1 for HTTP/1.x, 2 for h2, 3 for h3
  bool tls = false;
  std::optional<double> requests_per_minute;  // from this client; nullopt = unknown
  bool valid_challenge_cookie = false;        // Challenge::verifyCookie said valid
  std::string_view client_ip;                 // ip.src as text

  // Counts the header (the first one's name is kept for header order) and fills the matching
  // field (case-insensitive names).
  void addHeader(std::string_view name, std::string_view value);
};

struct BotSignal {
  std::string_view name;  // one of the names in the table above (static storage)
  int weight = 0;
  std::string detail;  // e.g. the UA family "curl" or "first header: user-agent"
};

struct BotScore {
  int score = 0;  // 1..99
  bool verified_bot = false;
  std::string verified_bot_name;   // which configured bot matched
  std::vector<BotSignal> signals;  // every signal that fired, in table order
  // "score=1 signals=ua_automation_tool(-60:curl),rate_high(-20:300/min)".
  std::string describe() const;
};

class BotScorer {
 public:
  // invalidArgument for a bad CIDR, an empty UA substring, or rate thresholds out of order.
  static Result<std::unique_ptr<BotScorer>> create(BotScorerConfig config);
  ~BotScorer();
  BotScore score(const BotFeatures& features) const;
  // The same into `out`, reusing its storage (the gateway's per-thread scratch).
  void score(const BotFeatures& features, BotScore& out) const;
  const BotScorerConfig& config() const { return config_; }

 private:
  struct VerifiedBot;
  explicit BotScorer(BotScorerConfig config);
  BotScorerConfig config_;
  std::vector<VerifiedBot> verified_;
  uint64_t id_;  // unique per scorer in the process: keys the per-thread user-agent cache
};

}  // namespace shipgate::shield
