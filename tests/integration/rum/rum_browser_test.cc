// rum.js in a real Chromium (playwright-core, tests/js/rum_check.js): the coinestate frontend,
// served by the gateway with the sg_rel cookie, sends its homepage_load_time beacon after load and
// a wallet_connection_time beacon when "Connect wallet" gets an account from the injected wallet;
// both are accepted and /metrics shows them stored under the release the cookie named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "../e2e/e2e_util.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;

nlohmann::json runInBrowser(const std::string& url, int wallet_delay_ms) {
  testsupport::ProcessOptions o;
  o.argv = {"node", testsupport::sourceDir() + "/tests/js/rum_check.js", url,
            std::to_string(wallet_delay_ms)};
  o.cwd = testsupport::sourceDir() + "/tests/js";
  testsupport::Process node(o);
  EXPECT_TRUE(node.start());
  auto code = node.wait(90s);
  EXPECT_TRUE(code.has_value()) << "browser check timed out";
  auto j = nlohmann::json::parse(node.stdoutText(), nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "browser check printed no JSON:\n" << node.stdoutText() << node.stderrText();
    return {};
  }
  return j;
}

std::string seriesValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) == 0) return line.substr(series.size() + 1);
  }
  return "";
}

TEST(RumInBrowser, ThePageReportsLoadTimeAndWalletConnectionAttributedToItsRelease) {
  ApiServer api("v1", "us-east-1");
  ASSERT_TRUE(api.start());
  testsupport::TempDir dir("sg-rum-browser");
  uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  std::string token = writeToken(dir);
  std::string cfg =
      "server: {workers: 1, allow_root: true}\n"
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
      "admin: {address: \"127.0.0.1:" + std::to_string(admin) + "\", token_file: \"" + token +
      "\"}\n"
      "sites:\n"
      "  - {name: frontend, static: {root: \"" + testsupport::buildDir() +
      "/coinestate/frontend\", spa_fallback: true}}\n"
      "  - {name: api, path_prefix: /api/, app: api}\n"
      "apps:\n  api:\n    slots: {blue: [{address: \"" + api.address() + "\"}]}\n";
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(cfg, {http, admin}));

  const int wallet_delay_ms = 150;
  auto page = runInBrowser("http://127.0.0.1:" + std::to_string(http) + "/", wallet_delay_ms);
  ASSERT_TRUE(page.contains("beacons")) << page.dump() << gw.logs();
  ASSERT_FALSE(page.contains("error")) << page.dump() << gw.logs();
  EXPECT_EQ(page["status"], 200);
  EXPECT_EQ(page["cookie"], "frontend@static") << page.dump();
  EXPECT_EQ(page["cookie_http_only"], true);
  EXPECT_TRUE(page["errors"].empty()) << page.dump();
  EXPECT_NE(page["wallet"].get<std::string>().find("connected 0x9fE46736"), std::string::npos)
      << page.dump();

  // What the page sent: both beacons, accepted, with values a browser measured.
  double load_ms = -1, wallet_ms = -1;
  for (const auto& b : page["beacons"]) {
    EXPECT_EQ(b["status"], 204) << b.dump();
    auto body = nlohmann::json::parse(b["body"].get<std::string>(), nullptr, false);
    ASSERT_TRUE(body.is_object()) << b.dump();
    EXPECT_EQ(body["p"], "/");
    for (const auto& m : body["m"]) {
      if (m["n"] == "homepage_load_time") load_ms = m["v"].get<double>();
      if (m["n"] == "wallet_connection_time") wallet_ms = m["v"].get<double>();
    }
  }
  EXPECT_GT(load_ms, 0) << page.dump();
  // The wallet answered after wallet_delay_ms: the page measured at least that.
  EXPECT_GE(wallet_ms, wallet_delay_ms - 1) << page.dump();

  // The gateway counted them and stored them under the release that served the page.
  std::string token_text = testsupport::readFile(token);
  while (!token_text.empty() && token_text.back() == '\n') token_text.pop_back();
  auto m = testsupport::httpGet(admin, "/metrics", {{"Authorization", "Bearer " + token_text}});
  ASSERT_EQ(m.status, 200) << m.raw;
  EXPECT_EQ(seriesValue(m.body, "shipgate_rum_beacons_total{result=\"accepted\",reason=\"ok\"}"),
            std::to_string(page["beacons"].size()))
      << m.body;
  EXPECT_EQ(seriesValue(m.body, "shipgate_rum_stored_samples{metric=\"homepage_load_time\","
                                "release=\"frontend@static\"}"),
            "1")
      << m.body;
  EXPECT_EQ(seriesValue(m.body, "shipgate_rum_stored_samples{metric=\"wallet_connection_time\","
                                "release=\"frontend@static\"}"),
            "1")
      << m.body;
  EXPECT_EQ(seriesValue(m.body, "shipgate_rum_unattributed_beacons_total"), "0") << m.body;
}

}  // namespace
}  // namespace e2e
