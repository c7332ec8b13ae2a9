// transform_bench: cost of the CRS's most used `t:` chains per value, ours (applyTransform with
// two reused buffers, as the engine runs a chain) against libmodsecurity 3's (Action::evaluate,
// as ModSecurity runs it), on the same values: a plain query value, a JSON body, and an encoded
// attack. Compare the BM_Ours/<chain>/<value> and BM_LibModSecurity/<chain>/<value> rows.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "shipgate/managed/transform.h"

#ifdef SHIPGATE_BENCH_LIBMODSECURITY
#include <modsecurity/actions/action.h>
namespace modsecurity::actions::transformations {
class Transformation {
 public:
  static modsecurity::actions::Action* instantiate(std::string name);
};
}  // namespace modsecurity::actions::transformations
#endif

namespace {

using shipgate::managed::applyTransform;
using shipgate::managed::parseTransform;
using shipgate::managed::Transform;

const std::vector<std::vector<std::string>> kChains = {
    // REQUEST-941 (XSS) and REQUEST-930's chains.
    {"utf8toUnicode", "urlDecodeUni", "htmlEntityDecode", "jsDecode", "cssDecode", "removeNulls"},
    {"urlDecodeUni", "lowercase"},
    {"utf8toUnicode", "urlDecodeUni", "normalizePathWin", "lowercase"},
    {"urlDecodeUni", "cmdLine"},
};

const std::vector<std::string> kValues = {
    "page=2&sort=created_at&q=running+shoes+size+42",
    R"({"user":{"name":"Zoë Müller","email":"zoe@example.com"},"items":[{"sku":"A-1","qty":2}]})",
    "%3Cscript%3Ealert(%26%23x27;xss%26%23x27;)%3C%2Fscript%3E%u003cimg%20src%3Dx%3E\\u0061",
};

std::vector<Transform> chain(int i) {
  std::vector<Transform> r;
  for (const std::string& n : kChains[i]) r.push_back(*parseTransform(n));
  return r;
}

void BM_Ours(benchmark::State& state) {
  std::vector<Transform> c = chain(static_cast<int>(state.range(0)));
  const std::string& value = kValues[state.range(1)];
  std::string a, b;
  for (auto _ : state) {
    std::string_view cur = value;
    std::string* out = &a;
    for (Transform t : c) {
      (void)applyTransform(t, cur, *out);
      cur = *out;
      out = out == &a ? &b : &a;
    }
    benchmark::DoNotOptimize(cur.data());
  }
}
BENCHMARK(BM_Ours)->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}});

#ifdef SHIPGATE_BENCH_LIBMODSECURITY
void BM_LibModSecurity(benchmark::State& state) {
  std::vector<std::unique_ptr<modsecurity::actions::Action>> c;
  for (const std::string& n : kChains[state.range(0)]) {
    c.emplace_back(modsecurity::actions::transformations::Transformation::instantiate(
        "t:" + (n == "cmdLine" ? std::string("cmd_line") : n)));
  }
  const std::string& value = kValues[state.range(1)];
  for (auto _ : state) {
    std::string cur = value;
    for (auto& t : c) cur = t->evaluate(cur, nullptr);
    benchmark::DoNotOptimize(cur.data());
  }
}
BENCHMARK(BM_LibModSecurity)->ArgsProduct({{0, 1, 2, 3}, {0, 1, 2}});
#endif

}  // namespace

BENCHMARK_MAIN();
