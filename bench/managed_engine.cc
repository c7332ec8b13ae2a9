// managed_engine_bench: cost of the managed rules engine per request (Google Benchmark), the full
// Debian CRS 3.3 at paranoia level 1 (and 4), on a realistic mix: a browser GET, an API GET with
// a query string, a JSON POST, a form POST, a static asset, one request of each per iteration
// round-robin. Not run by ctest:
//   cmake --build build --target managed_engine_bench && build/bench/managed_engine_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "shipgate/managed/engine.h"

namespace {

using namespace shipgate::managed;
using shipgate::waf::Header;

struct Req {
  std::string method, uri, body;
  std::vector<std::pair<std::string, std::string>> headers;
};

std::vector<Req> mix() {
  std::vector<std::pair<std::string, std::string>> browser = {
      {"Host", "shop.example.com"},
      {"User-Agent",
       "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
       "Safari/537.36"},
      {"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"Accept-Language", "en-US,en;q=0.9"},
      {"Accept-Encoding", "gzip, deflate, br"},
      {"Cookie", "session=8f14e45fceea167a5a36dedd4bea2543; theme=dark; _ga=GA1.2.123.456"},
      {"Connection", "keep-alive"}};
  auto with = [&](std::vector<std::pair<std::string, std::string>> extra) {
    auto h = browser;
    for (auto& e : extra) h.push_back(e);
    return h;
  };
  std::string json =
      R"({"customer":{"name":"Ana Silva","email":"ana@example.com","address":{"city":"Lisbon","street":"Rua Augusta 10"}},"items":[{"sku":"A-100","qty":2,"note":"gift wrap, please"},{"sku":"B-7","qty":1}],"coupon":"WINTER10","comment":"Deliver after 6 pm; ring twice."})";
  std::string form =
      "name=John+Smith&email=john%40example.com&subject=Order+question&message=Hello%2C+I+"
      "ordered+a+table+last+week+and+would+like+to+know+when+it+ships.+Thanks+a+lot%21";
  return {
      {"GET", "/products/garden/chairs", "", browser},
      {"GET", "/api/v1/orders?page=2&per_page=50&sort=-created_at&status=shipped&q=blue+chair", "",
       with({{"Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.abc"}})},
      {"POST", "/api/v1/orders", json,
       with({{"Content-Type", "application/json"},
             {"Content-Length", std::to_string(json.size())}})},
      {"POST", "/contact", form,
       with({{"Content-Type", "application/x-www-form-urlencoded"},
             {"Content-Length", std::to_string(form.size())}})},
      {"GET", "/static/js/app.3f2a1c.js", "", with({{"Referer", "https://shop.example.com/"}})},
  };
}

std::shared_ptr<const Engine> engine(int pl) {
  static std::shared_ptr<const Engine> cache[5];
  if (!cache[pl]) {
    CrsSettings s;
    s.paranoia_level = pl;
    auto e = Engine::load(s);
    if (!e.isOk()) {
      std::fprintf(stderr, "load: %s\n", e.status().message().c_str());
      std::exit(1);
    }
    cache[pl] = *e;
  }
  return cache[pl];
}

void BM_CrsMix(benchmark::State& state) {
  auto e = engine(static_cast<int>(state.range(0)));
  auto scratch = e->newScratch();
  auto reqs = mix();
  std::vector<std::vector<Header>> headers;
  std::vector<HttpRequestView> views;
  for (const auto& r : reqs) {
    std::vector<Header> hs;
    for (const auto& [n, v] : r.headers) hs.push_back(Header{n, v});
    headers.push_back(std::move(hs));
  }
  for (size_t i = 0; i < reqs.size(); ++i) {
    HttpRequestView v;
    v.method = reqs[i].method;
    v.uri = reqs[i].uri;
    v.headers = headers[i];
    v.body = reqs[i].body;
    v.client_ip = "192.0.2.10";
    v.client_port = 50000;
    v.server_port = 443;
    v.unique_id = "bench";
    views.push_back(v);
  }
  Verdict out;
  size_t i = 0, blocked = 0;
  for (auto _ : state) {
    e->evaluate(views[i], *scratch, out);
    blocked += out.intercepted;
    i = (i + 1) % views.size();
  }
  state.counters["blocked"] = static_cast<double>(blocked);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CrsMix)->Arg(1)->Arg(4)->Unit(benchmark::kMicrosecond);

// A fixed number of requests (50 of each kind), for instruction counts that do not depend on the
// machine's load: valgrind --tool=callgrind --toggle-collect='shipgate::managed::Engine::evaluate*'
//   build/bench/managed_engine_bench --benchmark_filter='BM_CrsMixFixed/1/'  (Ir / 250 = per request)
void BM_CrsMixFixed(benchmark::State& state) { BM_CrsMix(state); }
BENCHMARK(BM_CrsMixFixed)->Arg(1)->Arg(4)->Iterations(250)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
