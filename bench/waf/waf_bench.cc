// waf_bench: cost of evaluating rule sets per request (Google Benchmark). Not run by ctest; see
// bench/waf_rules.sh. Each iteration is one request through RuleSet::evaluate with a reused
// EvalContext, which is what a gateway worker does: bind the request, compute the fields the
// rules touch (lazily), run the rules.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

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

}  // namespace

BENCHMARK_MAIN();
