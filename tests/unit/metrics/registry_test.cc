#include "shipgate/metrics/registry.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace shipgate::metrics {
namespace {

TEST(MetricsRegistry, CountsRequestsByLabelsAndStatusClass) {
  Registry r;
  r.recordRequest({"api", "api", "blue", "us-east-1"}, 200, 0.003);
  r.recordRequest({"api", "api", "blue", "us-east-1"}, 204, 0.2);
  r.recordRequest({"api", "api", "green", "us-east-1"}, 502, 0.0004);
  std::string text = r.renderPrometheus();
  EXPECT_NE(text.find("shipgate_http_requests_total{site=\"api\",app=\"api\",slot=\"blue\","
                      "region=\"us-east-1\",code=\"2xx\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("slot=\"green\",region=\"us-east-1\",code=\"5xx\"} 1"), std::string::npos);
  // Histogram buckets are cumulative: 0.003 falls in le=0.005, 0.2 in le=0.25.
  EXPECT_NE(text.find("slot=\"blue\",region=\"us-east-1\",le=\"0.001\"} 0"), std::string::npos);
  EXPECT_NE(text.find("slot=\"blue\",region=\"us-east-1\",le=\"0.005\"} 1"), std::string::npos);
  EXPECT_NE(text.find("slot=\"blue\",region=\"us-east-1\",le=\"0.25\"} 2"), std::string::npos);
  EXPECT_NE(text.find("slot=\"blue\",region=\"us-east-1\",le=\"+Inf\"} 2"), std::string::npos);
}

TEST(MetricsRegistry, ConcurrentRecordingLosesNothing) {
  Registry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&r] {
      for (int i = 0; i < 10000; ++i) r.recordRequest({"s", "", "", ""}, 200, 0.001);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_NE(r.renderPrometheus().find("code=\"2xx\"} 40000"), std::string::npos);
}

TEST(MetricsRegistry, EscapesLabelValuesAndRendersCountersAndCollectors) {
  Registry r;
  r.recordRequest({"we\"ird\\site", "", "", ""}, 404, 0.01);
  r.addCounter("shipgate_upstream_retries_total", "app", "api");
  r.addCounter("shipgate_upstream_retries_total", "app", "api", 2);
  r.addCollector([](std::string& out) { out += "# TYPE custom gauge\ncustom 7\n"; });
  r.connectionOpened();
  std::string text = r.renderPrometheus();
  EXPECT_NE(text.find("site=\"we\\\"ird\\\\site\""), std::string::npos) << text;
  EXPECT_NE(text.find("shipgate_upstream_retries_total{app=\"api\"} 3"), std::string::npos);
  EXPECT_NE(text.find("custom 7"), std::string::npos);
  EXPECT_NE(text.find("shipgate_active_connections 1"), std::string::npos);
}

TEST(MetricsRegistry, TwoRegistriesDoNotShareThreadCaches) {
  Registry a, b;
  a.recordRequest({"x", "", "", ""}, 200, 0.001);
  b.recordRequest({"x", "", "", ""}, 500, 0.001);
  EXPECT_EQ(a.renderPrometheus().find("5xx"), std::string::npos);
  EXPECT_EQ(b.renderPrometheus().find("2xx"), std::string::npos);
}

}  // namespace
}  // namespace shipgate::metrics
