// gateway_mix_bench: the managed rules (Debian CRS 3.3, PL1, block) on exactly the request mix of
// bench/waf_vs_modsecurity.sh's CRS view (its MIX: 10 requests, wrk's browser headers, Host a
// numeric 127.0.0.1:PORT, which the CRS's 920350 flags on every request), measured three ways so
// the gateway's cost around the engine can be told apart from the engine's own:
//   BM_GatewayMixEngine      Engine::evaluate alone, caches warm (as managed_engine_bench does)
//   BM_GatewayMixEngineCold  the same, with kPollute bytes of memory touched between requests
//                            (untimed), as the gateway's network path and kernel do between them
//   BM_GatewayMixEngineNet   the same, with a loopback TCP exchange between requests (untimed):
//                            the kernel's network path the gateway runs between evaluations
//   BM_GatewayMixFirewall/N  Firewall::inspect (the gateway's managed glue: request view, engine,
//                            cf.waf.* fields, metrics, the per-request log line) with the
//                            gateway's RequestView, rotating through N firewall::Scratch as the
//                            gateway does with N connections in flight
// and fixed-count variants for callgrind (Ir / 500 = per request):
//   valgrind --tool=callgrind --toggle-collect='shipgate::firewall::Firewall::inspect*'
//       build/bench/managed/gateway_mix_bench --benchmark_filter='BM_GatewayMixFirewallFixed/64'
// GATEWAY_MIX_ONLY=K (0-9) keeps the mix's request K alone, for the cost of one kind of request
// (per request = Ir / 500 as above):
//   GATEWAY_MIX_ONLY=1 valgrind ... (the same command)   # GET /, five headers, no arguments
// Not built by default, not run by ctest:
//   cmake --build build --target gateway_mix_bench && build/bench/managed/gateway_mix_bench
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/log.h"
#include "shipgate/config/loader.h"
#include "shipgate/firewall/firewall.h"
#include "shipgate/firewall/firewall_config.h"
#include "shipgate/managed/engine.h"

namespace {

using namespace shipgate;

struct MixRequest {
  std::string method, target, content_type, body, accept;
  std::vector<std::pair<std::string, std::string>> headers;  // as wrk sends them
  std::vector<waf::Header> views;
};

// bench/waf_vs_modsecurity.sh's MIX and BENCH_HEADERS, in its order.
std::vector<MixRequest> gatewayMix() {
  const std::string html = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
  std::vector<MixRequest> mix = {
      {"GET", "/api/listings?city=Lisbon&min_price=200000&max_price=450000&sort=price&page=2", "",
       "", "application/json", {}, {}},
      {"GET", "/", "", "", html, {}, {}},
      {"POST", "/api/orders", "application/json",
       R"({"listing_id": 42, "email": "ana.silva@example.com", "note": "Could we visit on Saturday after 5pm? My partner's flight lands at 3."})",
       "application/json", {}, {}},
      {"GET", "/static/js/app.3f9c2e1.js", "", "", "*/*", {}, {}},
      {"GET", "/api/search?q=sunny+flat+near+the+river&limit=20&offset=40&fields=id,title,price",
       "", "", "application/json", {}, {}},
      {"POST", "/contact", "application/x-www-form-urlencoded",
       "name=Ana+Silva&email=ana.silva%40example.com&subject=Viewing&message=Hello%2C+I+would+"
       "like+to+see+the+loft+in+Lisbon+next+week.+Is+the+price+negotiable%3F",
       "text/html,application/xhtml+xml,*/*;q=0.8", {}, {}},
      {"GET", "/static/css/styles.91ab.css", "", "", "text/css,*/*;q=0.1", {}, {}},
      {"GET", "/listings/42/sunny-flat-in-lisbon", "", "", html, {}, {}},
      {"POST", "/api/users/7/preferences", "application/json",
       R"({"currency": "EUR", "alerts": [{"city": "Porto", "max_price": 400000}], "newsletter": false})",
       "application/json", {}, {}},
      {"GET", "/images/listings/42/front.webp", "", "", "image/avif,image/webp,*/*;q=0.8", {}, {}},
  };
  if (const char* only = std::getenv("GATEWAY_MIX_ONLY")) {
    char* end = nullptr;
    const long k = std::strtol(only, &end, 10);
    if (*only == '\0' || *end != '\0' || k < 0 || k >= static_cast<long>(mix.size())) {
      std::fprintf(stderr, "gateway_mix_bench: GATEWAY_MIX_ONLY=%s: want a request index 0-%zu\n",
                   only, mix.size() - 1);
      std::exit(2);
    }
    mix = {mix[static_cast<size_t>(k)]};
  }
  for (auto& r : mix) {
    r.headers = {{"Host", "127.0.0.1:18080"},
                 {"User-Agent",
                  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                  "Chrome/120.0.0.0 Safari/537.36"},
                 {"Accept", r.accept},
                 {"Accept-Language", "en-US,en;q=0.9"},
                 {"Accept-Encoding", "gzip, deflate, br"}};
    if (!r.content_type.empty()) {
      r.headers.emplace_back("Content-Type", r.content_type);
      r.headers.emplace_back("Content-Length", std::to_string(r.body.size()));
    }
    for (const auto& [n, v] : r.headers) r.views.push_back(waf::Header{n, v});
  }
  return mix;
}

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "gateway_mix_bench: %s\n", what.c_str());
  std::exit(1);
}

// The firewall of the bench's shipgate_crs config (waf.managed_rules.crs PL1, block), logging at
// level error as the bench's gateway does.
std::shared_ptr<const firewall::Firewall> crsFirewall() {
  static RealClock clock;
  static std::shared_ptr<const firewall::Firewall> fw = [] {
    log::setLevel(log::Level::kError);  // the bench's shipgate config: server.log.level error
    auto r = config::loadString(R"(waf:
  managed_rules:
    crs: {paranoia_level: 1, inbound_threshold: 5, action: block}
)",
                                "bench.yaml", {&firewall::firewallSection()});
    if (!r.ok() || !r.config) die("config: " + r.toString());
    auto built = firewall::Firewall::build(*r.config, clock, nullptr);
    if (!built.isOk()) die("firewall: " + built.status().message());
    return *built;
  }();
  return fw;
}

std::vector<managed::HttpRequestView> engineViews(const std::vector<MixRequest>& mix) {
  std::vector<managed::HttpRequestView> views;
  for (const auto& r : mix) {
    managed::HttpRequestView v;
    v.method = r.method;
    v.uri = r.target;
    v.protocol = "HTTP/1.1";
    v.headers = r.views;
    v.body = r.body;
    v.body_complete = true;
    v.client_ip = "127.0.0.1";
    v.client_port = 50000;
    v.server_port = 18080;
    v.unique_id = "bench";
    views.push_back(v);
  }
  return views;
}

// Larger than L2 (2 MiB here): roughly what a request's trip through the kernel and the rest of
// the gateway leaves of the engine's working set.
constexpr size_t kPollute = 4 << 20;

// A loopback TCP connection that carries one request-sized message each way per request
// (untimed): the kernel's network path the gateway runs between two evaluations (read the
// client's request, send it upstream, receive the answer, send it to the client), with what it
// leaves of the caches, TLB and branch predictors.
class LoopbackTraffic {
 public:
  LoopbackTraffic() {
    int l = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t n = sizeof(a);
    if (l < 0 || ::bind(l, reinterpret_cast<sockaddr*>(&a), n) != 0 || ::listen(l, 1) != 0 ||
        ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &n) != 0) {
      die("loopback listen");
    }
    client_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (client_ < 0 || ::connect(client_, reinterpret_cast<sockaddr*>(&a), n) != 0) {
      die("loopback connect");
    }
    server_ = ::accept(l, nullptr, nullptr);
    ::close(l);
    if (server_ < 0) die("loopback accept");
  }
  ~LoopbackTraffic() {
    ::close(client_);
    ::close(server_);
  }
  void exchange() {
    char buf[400] = {};
    for (int k = 0; k < 2; ++k) {  // client -> gateway -> upstream, and the answer back
      pass(client_, server_, buf, sizeof(buf));
      pass(server_, client_, buf, sizeof(buf));
    }
  }

 private:
  static void pass(int from, int to, char* buf, size_t n) {
    if (::send(from, buf, n, 0) != static_cast<ssize_t>(n)) die("loopback send");
    size_t got = 0;
    while (got < n) {
      ssize_t r = ::recv(to, buf + got, n - got, 0);
      if (r <= 0) die("loopback recv");
      got += static_cast<size_t>(r);
    }
  }
  int client_ = -1, server_ = -1;
};

enum class Between { kNothing, kPolluteMemory, kLoopbackTraffic };

void engineMix(benchmark::State& state, Between between) {
  const bool cold = between == Between::kPolluteMemory;
  std::unique_ptr<LoopbackTraffic> net;
  if (between == Between::kLoopbackTraffic) net = std::make_unique<LoopbackTraffic>();
  auto fw = crsFirewall();
  const managed::Engine& e = *fw->managedRules();
  auto scratch = e.newScratch();
  auto mix = gatewayMix();
  auto views = engineViews(mix);
  std::vector<char> junk(kPollute, 1);
  managed::Verdict out;
  size_t i = 0, blocked = 0, matched = 0;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      for (size_t k = 0; k < junk.size(); k += 64) junk[k] = static_cast<char>(junk[k] + 1);
      benchmark::DoNotOptimize(junk.data());
      state.ResumeTiming();
    } else if (net) {
      state.PauseTiming();
      net->exchange();
      state.ResumeTiming();
    }
    out.clear();
    e.evaluate(views[i], *scratch, out);
    blocked += out.intercepted;
    matched += out.matched.size();
    i = (i + 1) % views.size();
  }
  state.counters["blocked"] = static_cast<double>(blocked);
  state.counters["matches_per_req"] =
      benchmark::Counter(static_cast<double>(matched), benchmark::Counter::kAvgIterations);
  state.SetItemsProcessed(state.iterations());
}

void BM_GatewayMixEngine(benchmark::State& state) { engineMix(state, Between::kNothing); }
void BM_GatewayMixEngineCold(benchmark::State& state) {
  engineMix(state, Between::kPolluteMemory);
}
void BM_GatewayMixEngineNet(benchmark::State& state) {
  engineMix(state, Between::kLoopbackTraffic);
}
BENCHMARK(BM_GatewayMixEngine)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GatewayMixEngineCold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GatewayMixEngineNet)->Unit(benchmark::kMicrosecond);

// Arg: how many firewall::Scratch the requests rotate through. The gateway keeps one per
// request in flight (per keep-alive connection with a request: 64 under the bench's wrk -c64),
// so /64 is the gateway's case and /1 a single reused scratch.
void BM_GatewayMixFirewall(benchmark::State& state) {
  auto fw = crsFirewall();
  std::vector<std::unique_ptr<firewall::Scratch>> scratches;
  for (int64_t k = 0; k < std::max<int64_t>(1, state.range(0)); ++k) {
    scratches.push_back(std::make_unique<firewall::Scratch>());
  }
  auto mix = gatewayMix();
  size_t i = 0, n = 0, blocked = 0;
  for (auto _ : state) {
    firewall::Scratch& scratch = *scratches[n++ % scratches.size()];
    const MixRequest& r = mix[i];
    scratch.headers.assign(r.views.begin(), r.views.end());
    firewall::RequestView v;
    v.method = r.method;
    v.target = r.target;
    v.headers = scratch.headers;
    v.client_ip = "127.0.0.1";
    v.body = r.body;
    v.body_size = static_cast<int64_t>(r.body.size());
    v.request_id = "0123456789abcdef";
    v.client_port = 50000;
    v.server_port = 18080;
    firewall::Decision d = fw->inspect(v, scratch);
    blocked += d.respond();
    fw->onResponse(v, 200, scratch);
    i = (i + 1) % mix.size();
  }
  state.counters["blocked"] = static_cast<double>(blocked);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GatewayMixFirewall)->Arg(1)->Arg(64)->Unit(benchmark::kMicrosecond);

// 50 of each request of the mix, for instruction counts (see the top).
void BM_GatewayMixEngineFixed(benchmark::State& state) { engineMix(state, Between::kNothing); }
void BM_GatewayMixFirewallFixed(benchmark::State& state) { BM_GatewayMixFirewall(state); }
BENCHMARK(BM_GatewayMixEngineFixed)->Iterations(500)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_GatewayMixFirewallFixed)->Arg(1)->Arg(64)->Iterations(500)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
