// waf_bench: cost of the WAF per request (Google Benchmark). Not run by ctest; see
// bench/waf_rules.sh. Two levels:
//  - BM_SeedRules*, BM_Rules100: the rules engine alone. Each iteration is one request through
//    RuleSet::evaluate with a reused EvalContext (bind the request, compute the fields the rules
//    touch, lazily, run the rules), with the bot score given.
//  - BM_Firewall*: everything the gateway does per request for the WAF, through
//    firewall::Firewall built from examples/coinestate/shipgate.yaml: header list, bot score
//    (user agent, header signals, the client's request rate), the rules, the seed's /api/ rate
//    limit (check and count), the response phase. Clients rotate over N addresses (the argument:
//    10,000, or 1 for a hot cache) on a simulated clock advancing 1 ms per request with 10,000
//    clients (1,000 requests a second) and 1 s with one, so neither the rate limit nor the rate
//    signal fires.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/waf/ruleset.h"

namespace {

using namespace shipgate::waf;

RuleSpec rule(std::string name, std::string expr, ActionKind action) {
  RuleSpec r;
  r.name = std::move(name);
  r.expression = std::move(expr);
  r.action = action;
  return r;
}

// The seed's three security_rules, with the example config's normalisers.
std::shared_ptr<const RuleSet> seedRules() {
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
  return RuleSet::compile(std::move(rules), opts).value();
}

// 100 rules of the kinds people write, none of which matches the benign request.
std::shared_ptr<const RuleSet> hundredRules() {
  std::vector<RuleSpec> rules;
  for (int i = 0; i < 100; ++i) {
    std::string n = std::to_string(i);
    std::string expr;
    switch (i % 10) {
      case 0:
        expr = "http.request.uri.path matches \"^/admin" + n + "/.*\\\\.php$\"";
        break;
      case 1:
        expr = "http.host eq \"blocked" + n + ".example\" and not ssl";
        break;
      case 2:
        expr = "ip.src in {10." + n + ".0.0/16 192.0.2." + n + " 2001:db8:" + n + "::/48}";
        break;
      case 3:
        expr = "http.user_agent wildcard \"*scanner" + n + "*\"";
        break;
      case 4:
        expr = "any(http.request.headers[\"x-attack-" + n + "\"][*] contains \"1\")";
        break;
      case 5:
        expr = "http.request.uri.query contains {\"evil" + n + "\" \"<script" + n + "\"}";
        break;
      case 6:
        expr = "http.request.method in {\"TRACE\" \"TRACK\" \"DEBUG" + n + "\"}";
        break;
      case 7:
        expr =
            "cf.bot_management.score lt 5 and not cf.bot_management.verified_bot and "
            "http.request.uri.path eq \"/login" +
            n + "\"";
        break;
      case 8:
        expr = "lower(http.request.headers[\"referer\"][0]) contains \"spam" + n + ".example\"";
        break;
      case 9:
        expr = "http.request.body.size gt 10000000 or http.cookie contains \"debug" + n + "=1\"";
        break;
    }
    rules.push_back(rule("rule-" + n, expr, i % 3 == 0 ? ActionKind::kLog : ActionKind::kBlock));
  }
  RuleSetOptions opts;
  auto set = RuleSet::compile(std::move(rules), opts);
  if (!set.isOk()) {
    fprintf(stderr, "%s\n", set.status().message().c_str());
    abort();
  }
  return set.value();
}

std::unique_ptr<OwnedRequest> browserRequest(const char* target) {
  std::string raw = std::string("GET ") + target + " HTTP/1.1\r\n" +
                    "Host: coinestate.example\r\n"
                    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 "
                    "Firefox/128.0\r\n"
                    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
                    "Accept-Language: en-US,en;q=0.5\r\n"
                    "Accept-Encoding: gzip, deflate, br\r\n"
                    "Referer: https://coinestate.example/properties\r\n"
                    "Cookie: session=4f9a1c2e8b; theme=dark\r\n"
                    "Connection: keep-alive\r\n"
                    "Sec-Fetch-Dest: document\r\n"
                    "Sec-Fetch-Mode: navigate\r\n\r\n";
  auto r = parseRawHttpRequest(raw).value();
  r->mutableRequest().client_ip = IpAddr::parse("203.0.113.50");
  r->mutableRequest().tls = true;
  r->mutableRequest().bot_score = 85;
  return r;
}

void runSet(benchmark::State& state, const RuleSet& set, const Request& request) {
  EvalContext ctx;
  Evaluation eval;
  for (auto _ : state) {
    set.evaluate(request, ctx, eval);
    benchmark::DoNotOptimize(eval.action);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_SeedRules(benchmark::State& state) {
  auto set = seedRules();
  auto req = browserRequest("/api/properties?city=lisbon&max_price=500000&sort=price_desc");
  runSet(state, *set, req->request());
}
BENCHMARK(BM_SeedRules);

void BM_SeedRulesAttack(benchmark::State& state) {
  auto set = seedRules();
  auto req = browserRequest("/api/properties?city=1%27%20UnIoN/**/SeLeCt%20password%20FROM%20u");
  runSet(state, *set, req->request());
}
BENCHMARK(BM_SeedRulesAttack);

void BM_SeedRulesNoQuery(benchmark::State& state) {
  auto set = seedRules();
  auto req = browserRequest("/index.html");
  runSet(state, *set, req->request());
}
BENCHMARK(BM_SeedRulesNoQuery);

void BM_Rules100(benchmark::State& state) {
  auto set = hundredRules();
  auto req = browserRequest("/api/properties?city=lisbon&max_price=500000&sort=price_desc");
  runSet(state, *set, req->request());
}
BENCHMARK(BM_Rules100);

void BM_CompileSeedRules(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(seedRules());
}
BENCHMARK(BM_CompileSeedRules);

// ---- The whole firewall, as the gateway runs it ----


struct FirewallRig {
  shipgate::SimulatedClock clock;
  std::shared_ptr<const shipgate::config::Config> config;
  std::shared_ptr<const shipgate::firewall::Firewall> firewall;
  std::vector<std::string> client_ips;
  std::vector<std::pair<std::string, std::string>> header_text;

  FirewallRig(const std::string& yaml_path, int clients) {
    auto loaded = shipgate::config::loadFile(yaml_path);
    if (!loaded.ok()) {
      fprintf(stderr, "%s\n", loaded.toString().c_str());
      abort();
    }
    config = loaded.config;
    auto built = shipgate::firewall::Firewall::build(*config, clock, nullptr);
    if (!built.isOk()) {
      fprintf(stderr, "%s\n", built.status().message().c_str());
      abort();
    }
    firewall = built.value();
    for (int i = 0; i < clients; ++i) {
      client_ips.push_back("10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                           "." + std::to_string(i % 256));
    }
    // Chrome 120's headers on a navigation over https, in its order.
    header_text = {{"Host", "coinestate.example"},
                   {"sec-ch-ua", "\"Chromium\";v=\"120\", \"Google Chrome\";v=\"120\""},
                   {"sec-ch-ua-mobile", "?0"},
                   {"sec-ch-ua-platform", "\"Linux\""},
                   {"Upgrade-Insecure-Requests", "1"},
                   {"User-Agent",
                    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                    "Chrome/120.0.0.0 Safari/537.36"},
                   {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
                   {"Sec-Fetch-Site", "same-origin"},
                   {"Sec-Fetch-Mode", "navigate"},
                   {"Sec-Fetch-Dest", "document"},
                   {"Referer", "https://coinestate.example/properties"},
                   {"Accept-Encoding", "gzip, deflate, br"},
                   {"Accept-Language", "en-US,en;q=0.9"},
                   {"Cookie", "session=4f9a1c2e8b; theme=dark"}};
  }
};

std::string examplePath(const char* name) {
  return std::string(SHIPGATE_SOURCE_DIR) + "/examples/coinestate/" + name;
}

void runFirewall(benchmark::State& state, const std::string& yaml, const char* target) {
  using namespace shipgate::firewall;
  const int clients = static_cast<int>(state.range(0));
  const auto step = clients > 1 ? std::chrono::milliseconds(1) : std::chrono::milliseconds(1000);
  FirewallRig rig(yaml, clients);
  Scratch scratch;
  int client = 0;
  int64_t passed = 0;
  for (auto _ : state) {
    scratch.headers.clear();
    for (const auto& [n, v] : rig.header_text) scratch.headers.push_back({n, v});
    RequestView v;
    v.method = "GET";
    v.target = target;
    v.headers = scratch.headers;
    v.client_ip = rig.client_ips[client];
    v.tls = true;
    v.request_id = "bench";
    Decision d = rig.firewall->inspect(v, scratch);
    passed += d.respond() ? 0 : 1;
    rig.firewall->onResponse(v, d.respond() ? d.status : 200, scratch);
    benchmark::DoNotOptimize(d);
    if (++client == clients) client = 0;
    rig.clock.advance(step);
  }
  // Every request must pass: a blocked or limited one would measure another path.
  if (passed != static_cast<int64_t>(state.iterations())) {
    state.SkipWithError("a benchmark request was blocked or rate limited");
  }
  state.SetItemsProcessed(state.iterations());
}

// The seed's three rules on an API request: bot score, the /api/ rate limit, the SQLi patterns.
void BM_FirewallSeed(benchmark::State& state) {
  runFirewall(state, examplePath("shipgate.yaml"),
              "/api/properties?city=lisbon&max_price=500000&sort=price_desc");
}
BENCHMARK(BM_FirewallSeed)->Arg(10000)->Arg(1);

// The same on a static page (outside the rate limit's /api/).
void BM_FirewallSeedStatic(benchmark::State& state) {
  runFirewall(state, examplePath("shipgate.yaml"), "/properties/lisbon");
}
BENCHMARK(BM_FirewallSeedStatic)->Arg(10000)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
