// The coinestate frontend through the gateway, in a real Chromium driven by playwright-core:
// the page loads, fetches /api/properties through the proxy and renders them with the API version.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../e2e/e2e_util.h"
#include "support/gateway_process.h"

namespace e2e {
namespace {

using namespace std::chrono_literals;

nlohmann::json loadInBrowser(const std::string& url) {
  testsupport::ProcessOptions o;
  o.argv = {"node", testsupport::sourceDir() + "/tests/js/frontend_check.js", url};
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

TEST(FrontendInBrowser, ListsPropertiesFromTheApiAndShowsWhichVersionAnswered) {
  ApiServer blue("v1", "us-east-1"), green("v2", "us-east-1");
  ASSERT_TRUE(blue.start());
  ASSERT_TRUE(green.start());
  testsupport::TempDir dir("sg-browser");
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
      "apps:\n  api:\n    slots: {blue: [{address: \"" + blue.address() +
      "\"}], green: [{address: \"" + green.address() + "\"}]}\n";
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(cfg, {http, admin}));

  auto page = loadInBrowser("http://127.0.0.1:" + std::to_string(http) + "/");
  ASSERT_TRUE(page.contains("properties")) << page.dump() << gw.logs();
  EXPECT_EQ(page["status"], 200);
  EXPECT_GE(page["properties"].size(), 2u) << page.dump();
  EXPECT_NE(page["version"].get<std::string>().find("v1"), std::string::npos) << page.dump();
  EXPECT_TRUE(page["errors"].empty()) << page.dump();

  // After a switch, a fresh page load shows the green version.
  auto sw = runCli({"switch", "--admin", "http://127.0.0.1:" + std::to_string(admin),
                    "--token-file", token, "--app", "api", "--slot", "green"});
  ASSERT_EQ(sw.exit_code, 0) << sw.err;
  auto after = loadInBrowser("http://127.0.0.1:" + std::to_string(http) + "/");
  ASSERT_TRUE(after.contains("version")) << after.dump();
  EXPECT_NE(after["version"].get<std::string>().find("v2"), std::string::npos) << after.dump();
}

}  // namespace
}  // namespace e2e
