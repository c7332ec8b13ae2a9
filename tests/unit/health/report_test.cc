// The `shipgate health` table and JSON renderers.
#include "shipgate/health/report.h"

#include <gtest/gtest.h>

#include <sstream>

namespace shipgate::health {
namespace {

std::vector<CheckRow> rows() {
  return {
      {"app api/blue", "127.0.0.1:9101", "http", true, std::chrono::microseconds(1234), "HTTP 200"},
      {"database", "postgresql://db:5432", "postgres", false, std::chrono::microseconds(2000500),
       "no response from db:5432"},
  };
}

TEST(ReportTest, TableColumnsAreAligned) {
  const std::string table = renderTable(rows());
  std::istringstream in(table);
  std::string header, first, second;
  std::getline(in, header);
  std::getline(in, first);
  std::getline(in, second);
  EXPECT_EQ(header.rfind("COMPONENT", 0), 0u) << table;
  for (const char* col : {"TARGET", "RESULT", "LATENCY", "DETAIL"}) {
    const size_t at = header.find(col);
    ASSERT_NE(at, std::string::npos) << col;
    if (std::string(col) == "RESULT") {
      EXPECT_EQ(first.substr(at, 2), "ok") << table;
      EXPECT_EQ(second.substr(at, 4), "FAIL") << table;
    }
    if (std::string(col) == "LATENCY") {
      EXPECT_EQ(first.substr(at, 5), "1.2ms") << table;
      EXPECT_EQ(second.substr(at, 8), "2000.5ms") << table;
    }
    if (std::string(col) == "DETAIL") {
      EXPECT_EQ(first.substr(at), "HTTP 200") << table;
      EXPECT_EQ(second.substr(at), "no response from db:5432") << table;
    }
  }
}

TEST(ReportTest, JsonCarriesEveryField) {
  auto j = renderJson(rows());
  EXPECT_FALSE(j["ok"].get<bool>());
  ASSERT_EQ(j["checks"].size(), 2u);
  EXPECT_EQ(j["checks"][0]["component"], "app api/blue");
  EXPECT_EQ(j["checks"][0]["target"], "127.0.0.1:9101");
  EXPECT_EQ(j["checks"][0]["kind"], "http");
  EXPECT_TRUE(j["checks"][0]["ok"].get<bool>());
  EXPECT_DOUBLE_EQ(j["checks"][0]["latency_ms"].get<double>(), 1.234);
  EXPECT_EQ(j["checks"][1]["detail"], "no response from db:5432");
  auto good = rows();
  good.pop_back();
  EXPECT_TRUE(renderJson(good)["ok"].get<bool>());
  EXPECT_TRUE(allOk({}));
}

TEST(ReportTest, BadSeedUrlIsAFailedRow) {
  config::Config cfg;
  config::RegionHealthCheck hc;
  hc.name = "primary";
  hc.region = "us-east-1";
  hc.endpoint = "api.coinestate.io/health";  // no scheme
  cfg.health_checks.push_back(hc);
  auto out = runAllChecks(cfg);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].component, "health_checks.primary (us-east-1)");
  EXPECT_FALSE(out[0].ok);
  EXPECT_NE(out[0].detail.find("bad endpoint URL"), std::string::npos) << out[0].detail;
}

}  // namespace
}  // namespace shipgate::health
