// Registry::snapshot(): exact series values after known increments, the Prometheus text rendered
// from it, the series cap, and writers that never take the registry lock once warm.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>
#include <vector>

#include "shipgate/metrics/names.h"
#include "shipgate/metrics/prometheus.h"
#include "shipgate/metrics/registry.h"

namespace shipgate::metrics {
namespace {

Labels requestLabels(std::string site, std::string app, std::string slot, std::string region) {
  return {{"site", site}, {"app", app}, {"slot", slot}, {"region", region}};
}

TEST(RegistrySnapshot, RequestCountersAndHistogramsBySeries) {
  Registry r;
  for (int i = 0; i < 7; ++i) r.recordRequest({"api", "api", "blue", "eu"}, 200, 0.003);
  for (int i = 0; i < 3; ++i) r.recordRequest({"api", "api", "blue", "eu"}, 503, 0.2);
  r.recordRequest({"api", "api", "green", "eu"}, 404, 20.0);  // above every finite bound
  Snapshot s = r.snapshot();

  Labels blue = requestLabels("api", "api", "blue", "eu");
  Labels blue2xx = blue;
  blue2xx.push_back({"code", "2xx"});
  Labels blue5xx = blue;
  blue5xx.push_back({"code", "5xx"});
  ASSERT_NE(s.counter(names::kHttpRequests, blue2xx), nullptr);
  EXPECT_EQ(s.counter(names::kHttpRequests, blue2xx)->value, 7u);
  EXPECT_EQ(s.counter(names::kHttpRequests, blue5xx)->value, 3u);
  Labels blue4xx = blue;
  blue4xx.push_back({"code", "4xx"});
  EXPECT_EQ(s.counter(names::kHttpRequests, blue4xx), nullptr);  // zero classes are left out
  EXPECT_EQ(s.sumCounters(names::kHttpRequests, {{"app", "api"}}), 11u);
  EXPECT_EQ(s.sumCounters(names::kHttpRequests, {{"slot", "green"}}), 1u);

  const HistogramSeries* h = s.histogram(names::kHttpDuration, blue);
  ASSERT_NE(h, nullptr);
  ASSERT_EQ(h->upper_bounds.size() + 1, h->buckets.size());
  EXPECT_EQ(h->count, 10u);
  EXPECT_EQ(h->buckets[1], 7u);  // (0.001, 0.005]
  EXPECT_EQ(h->buckets[6], 3u);  // (0.1, 0.25]
  EXPECT_EQ(h->buckets.back(), 0u);
  EXPECT_NEAR(h->sum, 7 * 0.003 + 3 * 0.2, 1e-6);
  const HistogramSeries* g =
      s.histogram(names::kHttpDuration, requestLabels("api", "api", "green", "eu"));
  ASSERT_NE(g, nullptr);
  EXPECT_EQ(g->buckets.back(), 1u);  // +Inf only
  EXPECT_EQ(g->count, 1u);

  ASSERT_NE(s.family(names::kHttpDuration), nullptr);
  EXPECT_EQ(s.family(names::kHttpDuration)->kind, Kind::kHistogram);
}

TEST(RegistrySnapshot, NamedCountersHealthTransitionsAndPrefixFilter) {
  Registry r;
  r.addCounter(names::kUpstreamRetries, "app", "api");
  r.addCounter(names::kUpstreamRetries, "app", "api", 4);
  r.addCounter(names::kUpstreamRetries, "app", "web");
  r.recordHealthTransition("api", "blue", "api/blue/10.0.0.1:80", "unhealthy");
  r.recordHealthTransition("api", "blue", "api/blue/10.0.0.1:80", "healthy");
  r.recordHealthTransition("api", "blue", "api/blue/10.0.0.1:80", "unhealthy");
  Counter c = r.counter("shipgate_test_total", {{"k", "v"}});
  c.add(9);
  EXPECT_EQ(c.value(), 9u);

  Snapshot s = r.snapshot();
  EXPECT_EQ(s.counter(names::kUpstreamRetries, {{"app", "api"}})->value, 5u);
  EXPECT_EQ(s.counter(names::kUpstreamRetries, {{"app", "web"}})->value, 1u);
  const Labels down = {
      {"app", "api"}, {"slot", "blue"}, {"endpoint", "api/blue/10.0.0.1:80"}, {"to", "unhealthy"}};
  ASSERT_NE(s.counter(names::kHealthTransitions, down), nullptr);
  EXPECT_EQ(s.counter(names::kHealthTransitions, down)->value, 2u);
  EXPECT_EQ(s.sumCounters(names::kHealthTransitions, {{"endpoint", "api/blue/10.0.0.1:80"}}), 3u);
  EXPECT_EQ(s.counter("shipgate_test_total", {{"k", "v"}})->value, 9u);

  Snapshot only = r.snapshot("shipgate_upstream_");
  ASSERT_EQ(only.counters.size(), 2u);
  ASSERT_EQ(only.families.size(), 1u);
  EXPECT_TRUE(only.histograms.empty());
  EXPECT_TRUE(only.gauges.empty());

  std::string text = r.renderPrometheus();
  EXPECT_NE(text.find("shipgate_endpoint_health_transitions_total{app=\"api\",slot=\"blue\","
                      "endpoint=\"api/blue/10.0.0.1:80\",to=\"unhealthy\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("# TYPE shipgate_endpoint_health_transitions_total counter\n"),
            std::string::npos);
}

TEST(RegistrySnapshot, ScaledCountersRenderAsSecondsWithTheirHelp) {
  Registry r;
  r.describe("shipgate_x_seconds_total", "Time spent.", Kind::kCounter, 1e-9);
  r.counter("shipgate_x_seconds_total", {{"rule", "a"}}).add(1'500'000'000);
  std::string text = r.renderPrometheus();
  EXPECT_NE(text.find("# HELP shipgate_x_seconds_total Time spent.\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shipgate_x_seconds_total{rule=\"a\"} 1.500000000\n"), std::string::npos)
      << text;
  // The raw count stays exact in the snapshot.
  EXPECT_EQ(r.snapshot().counter("shipgate_x_seconds_total", {{"rule", "a"}})->value,
            1'500'000'000u);
}

TEST(RegistrySnapshot, SeriesPastTheCapAreRefusedAndCounted) {
  Registry r(RegistryOptions{.max_series = 3});
  r.recordRequest({"a", "", "", ""}, 200, 0.001);
  r.addCounter("shipgate_c_total", "k", "1");
  r.addCounter("shipgate_c_total", "k", "2");
  r.addCounter("shipgate_c_total", "k", "3", 5);                     // refused
  r.recordRequest({"b", "", "", ""}, 200, 0.001);                    // refused
  r.recordHealthTransition("x", "blue", "x/blue/h:1", "unhealthy");  // refused
  r.addCounter("shipgate_c_total", "k", "1", 2);  // an existing series still counts
  Snapshot s = r.snapshot();
  EXPECT_EQ(s.overflowed_series, 3u);
  EXPECT_EQ(s.counter(names::kSeriesOverflow, {})->value, 3u);
  EXPECT_EQ(s.counter("shipgate_c_total", {{"k", "1"}})->value, 3u);
  EXPECT_EQ(s.counter("shipgate_c_total", {{"k", "3"}}), nullptr);
  EXPECT_EQ(s.sumCounters(names::kHttpRequests), 1u);
  EXPECT_EQ(s.histograms.size(), 1u);
  EXPECT_EQ(s.sumCounters(names::kHealthTransitions), 0u);
}

// A writer that has met its series increments without the registry lock: it finishes while
// another thread holds that lock. (Before, addCounter locked on every call and would wait.)
TEST(RegistrySnapshot, WarmWritersNeverTakeTheRegistryLock) {
  Registry r;
  std::mutex m;
  std::condition_variable cv;
  bool warm = false, go = false, done = false;
  std::thread writer([&] {
    r.addCounter(names::kUpstreamRetries, "app", "api");
    r.recordRequest({"s", "api", "blue", "eu"}, 200, 0.01);
    r.recordHealthTransition("api", "blue", "api/blue/h:1", "unhealthy");
    {
      std::unique_lock<std::mutex> lock(m);
      warm = true;
      cv.notify_all();
      cv.wait(lock, [&] { return go; });
    }
    for (int i = 0; i < 1000; ++i) {
      r.addCounter(names::kUpstreamRetries, "app", "api");
      r.recordRequest({"s", "api", "blue", "eu"}, 200, 0.01);
      r.recordHealthTransition("api", "blue", "api/blue/h:1", "unhealthy");
    }
    std::lock_guard<std::mutex> lock(m);
    done = true;
    cv.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return warm; });
  }
  bool finished_while_locked = false;
  r.holdLockForTest([&] {
    std::unique_lock<std::mutex> lock(m);
    go = true;
    cv.notify_all();
    // Not a speed assertion: a writer that needed the lock could never finish here.
    finished_while_locked = cv.wait_for(lock, std::chrono::seconds(20), [&] { return done; });
  });
  writer.join();
  EXPECT_TRUE(finished_while_locked);
  Snapshot s = r.snapshot();
  EXPECT_EQ(s.counter(names::kUpstreamRetries, {{"app", "api"}})->value, 1001u);
  EXPECT_EQ(s.sumCounters(names::kHttpRequests), 1001u);
  EXPECT_EQ(s.sumCounters(names::kHealthTransitions), 1001u);
}

TEST(RegistrySnapshot, ConcurrentWritersWithASnapshotReader) {
  Registry r;
  std::atomic<bool> stop{false};
  uint64_t last_seen = 0;
  bool monotonic = true;
  std::thread reader([&] {
    while (!stop.load()) {
      Snapshot s = r.snapshot();
      uint64_t now = s.sumCounters(names::kUpstreamRetries);
      for (const auto& h : s.histograms) {
        uint64_t finite = 0;
        for (uint64_t b : h.buckets) finite += b;
        if (finite != h.count) monotonic = false;  // +Inf bucket keeps the count consistent
      }
      if (now < last_seen) monotonic = false;
      last_seen = now;
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < 4; ++t) {
    writers.emplace_back([&r, t] {
      for (int i = 0; i < 20000; ++i) {
        r.addCounter(names::kUpstreamRetries, "app", t % 2 == 0 ? "a" : "b");
        r.recordRequest({"s", "a", "blue", ""}, 200, 0.002);
      }
    });
  }
  for (auto& w : writers) w.join();
  stop.store(true);
  reader.join();
  EXPECT_TRUE(monotonic);
  Snapshot s = r.snapshot();
  EXPECT_EQ(s.sumCounters(names::kUpstreamRetries), 80000u);
  EXPECT_EQ(s.counter(names::kUpstreamRetries, {{"app", "a"}})->value, 40000u);
  EXPECT_EQ(s.sumCounters(names::kHttpRequests), 80000u);
}

TEST(RegistrySnapshot, RendererOrdersFamiliesAndEscapesLabels) {
  Snapshot s;
  s.families = {{"a_total", "A.", Kind::kCounter, 1.0}, {"b", "B.", Kind::kGauge, 1.0}};
  s.counters = {{"a_total", {{"v", "q\"b\\n\nx"}}, 2}, {"a_total", {}, 1}};
  s.gauges = {{"b", {}, -3}};
  std::string out;
  renderPrometheusText(s, out);
  EXPECT_EQ(out,
            "# HELP a_total A.\n# TYPE a_total counter\n"
            "a_total{v=\"q\\\"b\\\\n\\nx\"} 2\n"
            "a_total 1\n"
            "# HELP b B.\n# TYPE b gauge\nb -3\n");
}

// Every kind of series, rendered, is valid Prometheus text.
TEST(RegistrySnapshot, TheRenderingPassesPromtool) {
  Registry r;
  r.recordRequest({"api", "api", "blue", "eu"}, 200, 0.003);
  r.recordRequest({"we\"ird", "", "", ""}, 502, 30);
  r.addCounter(names::kUpstreamRetries, "app", "api", 2);
  r.recordHealthTransition("api", "blue", "api/blue/10.0.0.1:80", "unhealthy");
  r.describe("shipgate_x_seconds_total", "Time spent.", Kind::kCounter, 1e-9);
  r.counter("shipgate_x_seconds_total", {{"rule", "a\nb"}}).add(12345);
  r.connectionOpened();
  std::string path = ::testing::TempDir() + "/registry_snapshot.prom";
  {
    std::ofstream out(path);
    out << r.renderPrometheus();
  }
  std::string cmd = "promtool check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (fgets(buf, sizeof buf, p) != nullptr) output += buf;
  EXPECT_EQ(pclose(p), 0) << "promtool check metrics failed (is promtool installed?):\n"
                          << output << "\n"
                          << r.renderPrometheus();
}

}  // namespace
}  // namespace shipgate::metrics
