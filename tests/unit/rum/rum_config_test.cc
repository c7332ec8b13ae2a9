// The rum: section through the real loader: defaults, every key, located errors, and the metric
// names taken from performance_slas.
#include "shipgate/rum/rum_config.h"

#include <gtest/gtest.h>

#include "shipgate/config/loader.h"

namespace shipgate::rum {
namespace {

using namespace std::chrono_literals;

const std::string kBase = "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n";

config::LoadResult load(const std::string& yaml) {
  static auto section = rumSection();
  return config::loadString(kBase + yaml, "rum.yaml", {section.get()});
}

TEST(RumConfig, DefaultsWithoutTheSectionAreTheSeedsFourMetrics) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << r.toString();
  auto c = rumConfigOf(*r.config);
  EXPECT_TRUE(c->enabled);
  EXPECT_EQ(c->path, "/_shipgate/rum");
  EXPECT_EQ(c->scriptPath(), "/_shipgate/rum.js");
  EXPECT_EQ(c->max_body_bytes, 4096u);
  EXPECT_EQ(c->rate_limit_count, 60);
  EXPECT_EQ(c->rate_limit_period, 60s);
  EXPECT_EQ(c->max_value_ms, 600000);
  EXPECT_EQ(c->metrics, (std::vector<std::string>{"homepage_load_time", "api_response_time",
                                                  "wallet_connection_time",
                                                  "transaction_confirmation"}));
  // A config loaded without the validator gets the same defaults.
  auto bare = config::loadString(kBase, "bare.yaml");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*rumConfigOf(*bare.config), *c);
}

TEST(RumConfig, MetricsDefaultToThePerformanceSlaKeys) {
  auto r = load(
      "performance_slas:\n"
      "  homepage_load_time: { target: 2000, alert_threshold: 3000 }\n"
      "  checkout_time: { target: 500, alert_threshold: 1000 }\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_EQ(rumConfigOf(*r.config)->metrics,
            (std::vector<std::string>{"homepage_load_time", "checkout_time"}));
}

TEST(RumConfig, EveryKey) {
  auto r = load(
      "rum:\n"
      "  enabled: false\n"
      "  path: /rum/beacon\n"
      "  max_body_bytes: 1KiB\n"
      "  rate_limit: 5/s\n"
      "  max_value_ms: 1000\n"
      "  max_metrics_per_beacon: 2\n"
      "  metrics: [homepage_load_time]\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  auto c = rumConfigOf(*r.config);
  EXPECT_FALSE(c->enabled);
  EXPECT_EQ(c->path, "/rum/beacon");
  EXPECT_EQ(c->scriptPath(), "/rum/beacon.js");
  EXPECT_EQ(c->max_body_bytes, 1024u);
  EXPECT_EQ(c->rate_limit_count, 5);
  EXPECT_EQ(c->rate_limit_period, 1s);
  EXPECT_EQ(c->max_value_ms, 1000);
  EXPECT_EQ(c->max_metrics_per_beacon, 2u);
  EXPECT_EQ(c->metrics, std::vector<std::string>{"homepage_load_time"});
  auto off = load("rum: {rate_limit: \"off\"}\n");
  ASSERT_TRUE(off.ok()) << off.toString();
  EXPECT_EQ(rumConfigOf(*off.config)->rate_limit_count, 0);
}

TEST(RumConfig, ErrorsAreLocatedAndSayWhatIsWrong) {
  struct Case {
    const char* yaml;
    const char* message;
  };
  const Case cases[] = {
      {"rum:\n  rate_limit: 60/fortnight\n",
       "rum.yaml:3:15: error: rum.rate_limit: \"60/fortnight\" is not a rate"},
      {"rum:\n  rate_limit: lots\n", "rum.rate_limit: \"lots\" is not a rate"},
      {"rum:\n  path: rum\n", "rum.yaml:3:9: error: rum.path: \"rum\" must be an absolute path"},
      {"rum:\n  path: /a/../b\n", "rum.path"},
      {"rum:\n  path: /rum/\n", "rum.path"},
      {"rum:\n  max_body_bytes: 2MiB\n", "rum.max_body_bytes: at most 1MiB"},
      {"rum:\n  max_value_ms: -5\n", "rum.max_value_ms"},
      {"rum:\n  max_metrics_per_beacon: 0\n", "rum.max_metrics_per_beacon"},
      {"rum:\n  metrics: [\"bad name\"]\n", "rum.metrics[0]: \"bad name\" is not a metric name"},
      {"rum:\n  metrics: []\n", "rum.metrics: name at least one metric"},
      {"rum:\n  max_body_byte: 4KiB\n", "did you mean \"max_body_bytes\""},
      {"rum: [1]\n", "rum"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    auto r = load(c.yaml);
    EXPECT_FALSE(r.ok());
    EXPECT_NE(r.toString().find(c.message), std::string::npos) << r.toString();
  }
}

TEST(RumConfig, AMetricWithoutAnSlaIsAWarningWithAHint) {
  auto r = load(
      "performance_slas:\n"
      "  homepage_load_time: { target: 2000, alert_threshold: 3000 }\n"
      "rum:\n"
      "  metrics: [homepage_load_tme]\n");
  ASSERT_TRUE(r.ok()) << r.toString();
  EXPECT_NE(r.toString().find("warning: rum.metrics[0]: \"homepage_load_tme\" has no entry in "
                              "performance_slas (did you mean \"homepage_load_time\"?)"),
            std::string::npos)
      << r.toString();
}

TEST(RumConfig, ParseRate) {
  int64_t n = 0;
  Millis p{0};
  EXPECT_TRUE(parseRate("60/min", n, p));
  EXPECT_EQ(n, 60);
  EXPECT_EQ(p, 60s);
  EXPECT_TRUE(parseRate("10 / h", n, p));
  EXPECT_EQ(n, 10);
  EXPECT_EQ(p, 1h);
  for (const char* bad : {"", "/min", "60", "60/", "-1/min", "0/min", "1.5/min", "60/min/x",
                          "99999999999999999999/s"}) {
    EXPECT_FALSE(parseRate(bad, n, p)) << bad;
  }
}

}  // namespace
}  // namespace shipgate::rum
