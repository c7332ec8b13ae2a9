// RumIntake without sockets: answers, counters, attribution, rate limiting and the script.
#include "shipgate/rum/rum_intake.h"

#include <gtest/gtest.h>

#include "shipgate/metrics/prometheus.h"
#include "shipgate/rum/release_labels.h"

namespace shipgate::rum {
namespace {

using namespace std::chrono_literals;

struct Fixture {
  SimulatedClock clock;
  metrics::Registry registry;
  std::shared_ptr<RumStore> store = std::make_shared<RumStore>(clock);
  ReleaseLabelTable labels;
  std::shared_ptr<const RumIntake> intake;

  explicit Fixture(RumConfig c = {}) {
    intake = RumIntake::create(std::make_shared<RumConfig>(std::move(c)), store.get(), registry,
                               clock, attribution());
  }
  RumIntake::Attribution attribution() { return {&labels, {"frontend", "api"}}; }
  IntakeAnswer post(std::string_view body, std::string_view cookie = "",
                    std::string_view ip = "192.0.2.1", std::string_view ct = "text/plain") {
    IntakeRequest r;
    r.method = "POST";
    r.path = "/_shipgate/rum";
    r.content_type = ct;
    r.body = body;
    r.client_ip = ip;
    r.release_cookie = cookie;
    return intake->handle(r);
  }
  uint64_t beacons(std::string_view result, std::string_view reason) {
    return registry.counter(kBeaconsMetric, {{"result", std::string(result)},
                                             {"reason", std::string(reason)}})
        .value();
  }
};

constexpr std::string_view kGood = R"({"m":[{"n":"homepage_load_time","v":812.5}],"p":"/"})";

TEST(RumIntake, AGoodBeaconIs204RecordedUnderTheCookiesRelease) {
  Fixture f;
  auto a = f.post(kGood, "frontend@static");
  EXPECT_EQ(a.status, 204);
  EXPECT_TRUE(a.body.empty());
  EXPECT_EQ(f.beacons("accepted", "ok"), 1u);
  EXPECT_EQ(f.store->percentile("homepage_load_time", "frontend@static", 95, 1min), 812.5);
  EXPECT_EQ(f.registry.counter(kMeasurementsMetric, {{"metric", "homepage_load_time"}}).value(),
            1u);
  EXPECT_EQ(f.registry.counter(kUnattributedMetric, {}).value(), 0u);
}

TEST(RumIntake, WithoutAUsableCookieTheBeaconIsUnknownAndCounted) {
  Fixture f;
  EXPECT_EQ(f.post(kGood).status, 204);
  EXPECT_EQ(f.post(kGood, "not a label").status, 204);
  EXPECT_EQ(f.store->count("homepage_load_time", kUnknownRelease, 1min), 2u);
  EXPECT_EQ(f.registry.counter(kUnattributedMetric, {}).value(), 2u);
}

TEST(RumIntake, OnlyReleasesOfKnownAppsAndVersionsAreTrusted) {
  Fixture f;
  f.labels.set("frontend", "", "v7");
  EXPECT_EQ(f.intake->attribute("frontend@static"), "frontend@static");
  EXPECT_EQ(f.intake->attribute("frontend@v7"), "frontend@v7");
  EXPECT_EQ(f.intake->attribute("api@green"), "api@green");
  EXPECT_EQ(f.intake->attribute("frontend@v8"), kUnknownRelease);  // never served
  EXPECT_EQ(f.intake->attribute("shop@blue"), kUnknownRelease);    // not an app of the config
  EXPECT_EQ(f.intake->attribute("frontend@v7;x"), kUnknownRelease);
  // A flood of made-up releases lands in one series.
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(f.post(kGood, "frontend@x" + std::to_string(i), "192.0.2." + std::to_string(i))
                  .status,
              204);
  }
  ASSERT_EQ(f.store->series().size(), 1u);
  EXPECT_EQ(f.store->series()[0].release, kUnknownRelease);
  EXPECT_EQ(f.registry.counter(kUnattributedMetric, {}).value(), 100u);
}

TEST(RumIntake, RejectionsAnswerTheirStatusAndCountTheirReason) {
  Fixture f;
  auto a = f.post(R"({"m":[{"n":"nope","v":1}]})");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(a.reason, "unknown_metric");
  EXPECT_NE(a.body.find("rum beacon rejected (unknown_metric): m[0].n: \"nope\""),
            std::string::npos)
      << a.body;
  EXPECT_EQ(f.beacons("rejected", "unknown_metric"), 1u);

  a = f.post(kGood, "", "192.0.2.1", "application/x-www-form-urlencoded");
  EXPECT_EQ(a.status, 400);
  EXPECT_EQ(f.beacons("rejected", "content_type"), 1u);

  a = f.post(std::string(5000, ' '));
  EXPECT_EQ(a.status, 413);
  EXPECT_EQ(f.beacons("rejected", "too_large"), 1u);

  IntakeRequest get;
  get.method = "GET";
  get.path = "/_shipgate/rum";
  a = f.intake->handle(get);
  EXPECT_EQ(a.status, 405);
  bool allow = false;
  for (const auto& [n, v] : a.headers) allow |= n == "Allow" && v == "POST";
  EXPECT_TRUE(allow);
  EXPECT_EQ(f.beacons("rejected", "method"), 1u);
  EXPECT_EQ(f.beacons("accepted", "ok"), 0u);
  EXPECT_TRUE(f.store->series().empty());
}

TEST(RumIntake, ClientsAreRateLimitedPerAddress) {
  RumConfig c;
  c.rate_limit_count = 3;
  c.rate_limit_period = 1min;
  Fixture f(c);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(f.post(kGood).status, 204);
  auto a = f.post(kGood);
  EXPECT_EQ(a.status, 429);
  EXPECT_EQ(a.reason, "rate_limited");
  EXPECT_EQ(f.beacons("rejected", "rate_limited"), 1u);
  EXPECT_EQ(f.post(kGood, "", "192.0.2.2").status, 204);  // another address
  f.clock.advance(20s);                                  // one token back
  EXPECT_EQ(f.post(kGood).status, 204);
  EXPECT_EQ(f.post(kGood).status, 429);
  EXPECT_EQ(f.store->count("homepage_load_time", kUnknownRelease, 5min), 5u);
}

TEST(RumIntake, ANewIntakeWithTheSameRateKeepsTheBuckets) {
  RumConfig c;
  c.rate_limit_count = 1;
  Fixture f(c);
  EXPECT_EQ(f.post(kGood).status, 204);
  RumConfig changed = c;
  changed.max_value_ms = 5;
  f.intake = RumIntake::create(std::make_shared<RumConfig>(changed), f.store.get(), f.registry,
                               f.clock, f.attribution(), f.intake.get());
  EXPECT_EQ(f.post(kGood).status, 429);
}

TEST(RumIntake, MatchesItsTwoPathsOnlyAndNothingWhenDisabled) {
  Fixture f;
  EXPECT_TRUE(f.intake->matches("/_shipgate/rum"));
  EXPECT_TRUE(f.intake->matches("/_shipgate/rum.js"));
  EXPECT_FALSE(f.intake->matches("/_shipgate/rum/"));
  EXPECT_FALSE(f.intake->matches("/_shipgate/rumx"));
  EXPECT_FALSE(f.intake->matches("/_shipgate/rum.jsx"));
  EXPECT_FALSE(f.intake->matches("/"));
  RumConfig off;
  off.enabled = false;
  Fixture g(off);
  EXPECT_FALSE(g.intake->matches("/_shipgate/rum"));
  EXPECT_FALSE(g.intake->matches("/_shipgate/rum.js"));
}

TEST(RumIntake, ServesTheScriptPointingAtItsPath) {
  RumConfig c;
  c.path = "/beacons/rum";
  Fixture f(c);
  IntakeRequest r;
  r.method = "GET";
  r.path = "/beacons/rum.js";
  auto a = f.intake->handle(r);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.content_type, "text/javascript; charset=utf-8");
  EXPECT_NE(a.body.find("var endpoint = \"/beacons/rum\";"), std::string::npos);
  EXPECT_NE(a.body.find("navigator.sendBeacon"), std::string::npos);
  EXPECT_NE(a.body.find("keepalive: true"), std::string::npos);
  EXPECT_NE(a.body.find("homepage_load_time"), std::string::npos);
  r.method = "POST";
  EXPECT_EQ(f.intake->handle(r).status, 405);
}

TEST(RumIntake, TheCollectorShowsStoredSamplesByMetricAndRelease) {
  Fixture f;
  f.labels.set("frontend", "", "v2");
  addRumCollector(f.registry, f.store);
  EXPECT_EQ(f.post(kGood, "frontend@v2").status, 204);
  EXPECT_EQ(f.post(kGood, "frontend@v2").status, 204);
  std::string text = f.registry.renderPrometheus();
  EXPECT_NE(text.find("# TYPE shipgate_rum_stored_samples gauge\n"), std::string::npos) << text;
  EXPECT_NE(text.find("shipgate_rum_stored_samples{metric=\"homepage_load_time\",release=\"frontend@"
                      "v2\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("shipgate_rum_beacons_total{result=\"accepted\",reason=\"ok\"} 2"),
            std::string::npos)
      << text;
  // The store gone, the collector writes nothing.
  f.store.reset();
  EXPECT_EQ(f.registry.renderPrometheus().find("shipgate_rum_stored_samples"), std::string::npos);
}

}  // namespace
}  // namespace shipgate::rum
