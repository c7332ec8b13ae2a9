// The RUM intake of the running gateway (rum: defaults: /_shipgate/rum, 4KiB, 60/min, the seed's
// four metric names): beacons over real sockets, answers and their counters on /metrics (checked
// with promtool), the sg_rel cookie on HTML answers of a static site and of a proxied upstream (a
// real python3 http.server), and the per-client rate limit.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <sstream>
#include <string>

#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace {

using namespace std::chrono_literals;
using testsupport::HttpResponse;

constexpr const char* kGood = R"({"m":[{"n":"homepage_load_time","v":812.5}],"p":"/"})";

// 17 entries: one over the default max_metrics_per_beacon.
std::string tooMany() {
  std::string body = "{\"m\":[";
  for (int i = 0; i < 17; ++i) body += i == 0 ? "1" : ",1";
  return body + "]}";
}

class RumIntake : public ::testing::Test {
 protected:
  void SetUp() override {
    site_.writeFile("index.html", "<!doctype html><title>rum</title><p>hello</p>\n");
    site_.writeFile("app.css", "p { color: red }\n");
    // The gateway forwards the path as it is: /shop/ is the upstream's /shop/index.html.
    ASSERT_EQ(::mkdir(upstream_dir_.file("shop").c_str(), 0755), 0);
    upstream_dir_.writeFile("shop/index.html", "<!doctype html><title>upstream</title>\n");
    upstream_port_ = testsupport::freePort();
    testsupport::ProcessOptions o;
    o.argv = {"python3", "-m", "http.server", std::to_string(upstream_port_), "--bind",
              "127.0.0.1", "--directory", upstream_dir_.path()};
    upstream_ = std::make_unique<testsupport::Process>(o);
    ASSERT_TRUE(upstream_->start());
    ASSERT_TRUE(testsupport::waitForPort(upstream_port_, 10s));
    http_ = testsupport::freePort();
    admin_ = testsupport::freePort();
    token_ = dir_.writeFile("admin.token", "rum-test-token-0123456789abcdef\n");
    std::string cfg =
        "server: {workers: 2, allow_root: true}\n"
        "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http_) + "\"}]\n"
        "admin: {address: \"127.0.0.1:" + std::to_string(admin_) + "\", token_file: \"" + token_ +
        "\"}\n"
        "sites:\n"
        "  - {name: shop, path_prefix: /shop/, app: shop}\n"
        "  - {name: frontend, static: {root: \"" + site_.path() + "\"}}\n"
        "apps:\n"
        "  shop:\n"
        "    active_slot: green\n"
        "    slots: {blue: [{address: \"127.0.0.1:9\"}], green: [{address: \"127.0.0.1:" +
        std::to_string(upstream_port_) + "\"}]}\n";
    ASSERT_TRUE(gw_.start(cfg, {http_, admin_}));
  }
  void TearDown() override {
    if (upstream_) upstream_->stop();
  }

  HttpResponse post(const std::string& body, testsupport::Headers headers = {}) {
    if (headers.empty()) headers = {{"Content-Type", "text/plain;charset=UTF-8"}};
    return testsupport::httpRequest(http_, "POST", "/_shipgate/rum", headers, body);
  }
  std::string metrics() {
    auto r = testsupport::httpGet(admin_, "/metrics",
                                  {{"Authorization", "Bearer rum-test-token-0123456789abcdef"}});
    EXPECT_EQ(r.status, 200) << r.raw;
    return r.body;
  }
  // The value of the series `prefix` (the whole text before the value), "" when absent.
  static std::string value(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
    }
    return "";
  }
  static std::string beacons(const std::string& text, const std::string& result,
                             const std::string& reason) {
    return value(text, "shipgate_rum_beacons_total{result=\"" + result + "\",reason=\"" + reason +
                           "\"}");
  }

  testsupport::TempDir dir_{"sg-rum"};
  testsupport::TempDir site_{"sg-rum-site"};
  testsupport::TempDir upstream_dir_{"sg-rum-up"};
  std::unique_ptr<testsupport::Process> upstream_;
  uint16_t upstream_port_ = 0, http_ = 0, admin_ = 0;
  std::string token_;
  testsupport::GatewayProcess gw_;
};

TEST_F(RumIntake, HtmlAnswersNameTheReleaseThatServedThemInACookie) {
  auto page = testsupport::httpGet(http_, "/");
  ASSERT_EQ(page.status, 200) << page.raw;
  EXPECT_EQ(page.header("Set-Cookie"), "sg_rel=frontend@static; Path=/; HttpOnly; SameSite=Lax");
  // Not on other content types.
  auto css = testsupport::httpGet(http_, "/app.css");
  ASSERT_EQ(css.status, 200);
  EXPECT_FALSE(css.hasHeader("Set-Cookie")) << css.raw;
  // Not again when the client already names that release.
  auto again = testsupport::httpGet(http_, "/", {{"Cookie", "a=1; sg_rel=frontend@static"}});
  ASSERT_EQ(again.status, 200);
  EXPECT_FALSE(again.hasHeader("Set-Cookie")) << again.raw;
  // A proxied HTML answer names the app and the slot that answered.
  auto proxied = testsupport::httpGet(http_, "/shop/");
  ASSERT_EQ(proxied.status, 200) << proxied.raw << gw_.logs();
  EXPECT_NE(proxied.header("Content-Type").find("text/html"), std::string::npos);
  EXPECT_EQ(proxied.header("Set-Cookie"), "sg_rel=shop@green; Path=/; HttpOnly; SameSite=Lax");
}

TEST_F(RumIntake, ServesTheScript) {
  auto js = testsupport::httpGet(http_, "/_shipgate/rum.js");
  ASSERT_EQ(js.status, 200) << js.raw;
  EXPECT_EQ(js.header("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.body.find("var endpoint = \"/_shipgate/rum\";"), std::string::npos) << js.body;
  EXPECT_NE(js.body.find("window.shipgateRum = { report: report }"), std::string::npos);
  auto head = testsupport::httpRequest(http_, "HEAD", "/_shipgate/rum.js");
  EXPECT_EQ(head.status, 200);
}

TEST_F(RumIntake, GoodBeaconsAre204AndCountedBadOnesGetTheirStatusAndReason) {
  auto good = post(kGood, {{"Content-Type", "text/plain;charset=UTF-8"},
                           {"Cookie", "sg_rel=frontend@static"}});
  EXPECT_EQ(good.status, 204) << good.raw;
  EXPECT_TRUE(good.body.empty());
  EXPECT_FALSE(good.hasHeader("Content-Length")) << good.raw;
  auto json = post(kGood, {{"Content-Type", "application/json"}});  // no cookie: unknown
  EXPECT_EQ(json.status, 204) << json.raw;

  struct Bad {
    std::string body;
    std::string content_type;
    int status;
    std::string reason;
  };
  const Bad bad[] = {
      {"{not json", "text/plain", 400, "bad_json"},
      {"[1]", "text/plain", 400, "not_object"},
      {R"({"m":[],"extra":1})", "text/plain", 400, "unknown_field"},
      {R"({"m":[]})", "text/plain", 400, "no_metrics"},
      {tooMany(), "text/plain", 400, "too_many_metrics"},
      {R"({"m":[42]})", "text/plain", 400, "bad_entry"},
      {R"({"m":[{"n":"cpu_time","v":1}]})", "text/plain", 400, "unknown_metric"},
      {R"({"m":[{"n":"homepage_load_time","v":"fast"}]})", "text/plain", 400, "bad_value"},
      {R"({"m":[{"n":"homepage_load_time","v":-3}]})", "text/plain", 400, "out_of_range"},
      {R"({"m":[{"n":"homepage_load_time","v":1}],"p":[]})", "text/plain", 400, "bad_page"},
      {kGood, "application/x-www-form-urlencoded", 400, "content_type"},
      {std::string(5000, 'x'), "text/plain", 413, "too_large"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.reason);
    auto r = post(b.body, {{"Content-Type", b.content_type}});
    EXPECT_EQ(r.status, b.status) << r.raw;
    EXPECT_NE(r.body.find("rum beacon rejected (" + b.reason + ")"), std::string::npos) << r.body;
  }
  auto get = testsupport::httpGet(http_, "/_shipgate/rum");
  EXPECT_EQ(get.status, 405) << get.raw;
  EXPECT_EQ(get.header("Allow"), "POST");

  std::string m = metrics();
  EXPECT_EQ(beacons(m, "accepted", "ok"), "2") << m;
  for (const Bad& b : bad) EXPECT_EQ(beacons(m, "rejected", b.reason), "1") << b.reason << "\n" << m;
  EXPECT_EQ(beacons(m, "rejected", "method"), "1") << m;
  EXPECT_EQ(beacons(m, "rejected", "rate_limited"), "0") << m;
  EXPECT_EQ(value(m, "shipgate_rum_unattributed_beacons_total"), "1") << m;
  EXPECT_EQ(value(m, "shipgate_rum_measurements_total{metric=\"homepage_load_time\"}"), "2") << m;
  EXPECT_EQ(value(m, "shipgate_rum_stored_samples{metric=\"homepage_load_time\",release=\"frontend@"
                     "static\"}"),
            "1")
      << m;
  EXPECT_EQ(value(m, "shipgate_rum_stored_samples{metric=\"homepage_load_time\",release=\"unknown\"}"),
            "1")
      << m;

  // The whole exposition stays promtool-clean.
  std::string file = dir_.writeFile("metrics.txt", m);
  testsupport::ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "promtool check metrics < " + file};
  testsupport::Process promtool(o);
  ASSERT_TRUE(promtool.start());
  auto code = promtool.wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0) << promtool.stdoutText() << promtool.stderrText();
}

TEST_F(RumIntake, AClientOverTheRateGets429AndTheRestIsUnaffected) {
  // 60 per minute per address, refilling one a second: the first 60 pass at once.
  for (int i = 0; i < 60; ++i) ASSERT_EQ(post(kGood).status, 204) << i;
  HttpResponse limited;
  for (int i = 0; i < 30 && limited.status != 429; ++i) limited = post(kGood);
  ASSERT_EQ(limited.status, 429) << limited.raw;
  EXPECT_NE(limited.body.find("rum beacon rejected (rate_limited)"), std::string::npos);
  EXPECT_TRUE(limited.hasHeader("Retry-After"));
  // Pages are not rate limited by the intake.
  EXPECT_EQ(testsupport::httpGet(http_, "/").status, 200);
  std::string m = metrics();
  EXPECT_NE(beacons(m, "rejected", "rate_limited"), "0") << m;
  EXPECT_NE(beacons(m, "rejected", "rate_limited"), "") << m;
  int accepted = std::stoi(beacons(m, "accepted", "ok"));
  EXPECT_GE(accepted, 60);
  EXPECT_LT(accepted, 90);
}

}  // namespace
