// The rum: section as the shipgate binary reads it (path, body limit, rate, value range, metric
// names from performance_slas), over real sockets.
#include <gtest/gtest.h>

#include <string>

#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/raw_http_client.h"

namespace {

constexpr const char* kGood = R"({"m":[{"n":"homepage_load_time","v":812.5}],"p":"/"})";

}  // namespace

namespace {

// The rum: section as the binary reads it. Needs the composition root to pass rum::rumSection()
// (cli::configSections); a binary without it ignores the section, and the test says so as a skip.
TEST(RumConfigInBinary, PathLimitsRateAndMetricNamesComeFromTheConfig) {
  testsupport::TempDir site("sg-rum-cfg-site");
  site.writeFile("index.html", "<!doctype html><p>x</p>\n");
  testsupport::TempDir dir("sg-rum-cfg");
  const uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  const std::string token = dir.writeFile("admin.token", "rum-cfg-token-0123456789abcdef\n");
  const std::string cfg =
      "server: {workers: 1, allow_root: true}\n"
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
      "admin: {address: \"127.0.0.1:" + std::to_string(admin) + "\", token_file: \"" + token +
      "\"}\n"
      "sites: [{name: frontend, static: {root: \"" + site.path() + "\"}}]\n"
      "performance_slas:\n"
      "  homepage_load_time: { target: 2000, alert_threshold: 3000 }\n"
      "rum:\n"
      "  path: /beacons\n"
      "  max_body_bytes: 120\n"
      "  rate_limit: 4/min\n"
      "  max_value_ms: 10000\n";
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(cfg, {http, admin}));
  // The configured path serves the script: the binary read rum: (rum::rumSection() is one of
  // cli::configSections()).
  ASSERT_EQ(testsupport::httpGet(http, "/beacons.js").status, 200);
  auto post = [&](const std::string& body) {
    return testsupport::httpRequest(http, "POST", "/beacons", {{"Content-Type", "text/plain"}},
                                    body);
  };
  // The default path is an ordinary path of the site now.
  EXPECT_EQ(testsupport::httpRequest(http, "POST", "/_shipgate/rum", {}, kGood).status, 405);
  auto js = testsupport::httpGet(http, "/beacons.js");
  EXPECT_NE(js.body.find("var endpoint = \"/beacons\";"), std::string::npos) << js.raw;
  // Only performance_slas' names; values up to max_value_ms; bodies up to max_body_bytes.
  auto wallet = post(R"({"m":[{"n":"wallet_connection_time","v":1}]})");
  EXPECT_EQ(wallet.status, 400);
  EXPECT_NE(wallet.body.find("(unknown_metric)"), std::string::npos) << wallet.body;
  auto slow = post(R"({"m":[{"n":"homepage_load_time","v":10001}]})");
  EXPECT_EQ(slow.status, 400);
  EXPECT_NE(slow.body.find("(out_of_range)"), std::string::npos) << slow.body;
  auto big = post(std::string(121, ' '));
  EXPECT_EQ(big.status, 413) << big.raw;
  // Four per minute from this address: the next is 429 (a token comes back every 15 s).
  auto fourth = post(R"({"m":[{"n":"homepage_load_time","v":900}]})");
  EXPECT_EQ(fourth.status, 204) << fourth.raw;
  auto fifth = post(R"({"m":[{"n":"homepage_load_time","v":900}]})");
  EXPECT_EQ(fifth.status, 429) << fifth.raw;
}

}  // namespace
