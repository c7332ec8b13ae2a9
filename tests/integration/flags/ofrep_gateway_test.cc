// OFREP on `shipgate serve`, evaluated by a real OpenFeature client (@openfeature/server-sdk
// with @openfeature/ofrep-provider, tests/js/ofrep_check.js): the coinestate example flags set
// with `shipgate flags set`, boolean/string/number/object flags, targeting matches, a fractional
// split over 1000 targeting keys (the exact count flagd's bucketing gives), FLAG_NOT_FOUND and
// TYPE_MISMATCH giving the code default, the bulk form's ETag, and a `flags set` from another
// process seen by the running gateway without a restart.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "shipgate/flags/json_logic.h"
#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

json runNode(const std::vector<std::string>& args) {
  testsupport::ProcessOptions o;
  o.argv = {"node", testsupport::sourceDir() + "/tests/js/ofrep_check.js"};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.cwd = testsupport::sourceDir() + "/tests/js";
  testsupport::Process node(o);
  EXPECT_TRUE(node.start());
  auto code = node.wait(120s);
  EXPECT_TRUE(code.has_value()) << "node timed out";
  json j = json::parse(node.stdoutText(), nullptr, false);
  if (j.is_discarded()) {
    ADD_FAILURE() << "node printed no JSON:\n" << node.stdoutText() << node.stderrText();
    return json::object();
  }
  return j;
}

TEST(OfrepGateway, OpenFeatureClientEvaluatesFlagsThroughTheGateway) {
  testsupport::TempDir dir("sg-ofrep");
  const uint16_t http = testsupport::freePort();
  const std::string state = dir.file("state");
  const std::string site = dir.file("site");
  dir.writeFile("site/index.html", "<p>hi</p>");
  const std::string yaml =
      "server: {workers: 2, allow_root: true}\n"
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
      "sites:\n  - {name: web, static: {root: \"" + site + "\"}}\n"
      "state: {dir: \"" + state + "\"}\n"
      "flags: {environment: production, poll_interval: 200ms}\n";
  const std::string cli_config = dir.writeFile("cli.yaml", "state: {dir: \"" + state + "\"}\n");
  auto flags = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {testsupport::buildDir() + "/shipgate", "flags", "--config",
                                     cli_config, "--actor", "ci"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testsupport::runToEnd(argv, 30s);
  };
  auto set = flags({"set", "--env", "production", "--file",
                    testsupport::sourceDir() + "/examples/coinestate/flags.json"});
  ASSERT_EQ(set.code, 0) << set.err;

  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml, {http}));
  const std::string base = "http://127.0.0.1:" + std::to_string(http);

  json r = runNode({base, "evaluate"});
  ASSERT_FALSE(r.contains("error")) << r.dump(2) << gw.logs();
  EXPECT_EQ(r["checkoutStaff"], json::parse(R"({"value": true, "reason": "TARGETING_MATCH",
      "variant": "on", "metadata": {"owner": "payments"}})"));
  EXPECT_EQ(r["checkoutGuest"], json::parse(R"({"value": false, "reason": "DEFAULT",
      "variant": "off", "metadata": {"owner": "payments"}})"));
  EXPECT_EQ(r["banner"], json::parse(R"({"value": "Welcome to CoinEstate", "reason": "STATIC",
      "variant": "welcome"})"));
  EXPECT_EQ(r["listingsPro"], json::parse(R"({"value": 50, "reason": "TARGETING_MATCH",
      "variant": "large"})"));
  EXPECT_EQ(r["listingsFree"], json::parse(R"({"value": 10, "reason": "DEFAULT",
      "variant": "small"})"));
  EXPECT_EQ(r["themeNew"]["value"], json::parse(R"({"background": "#111418", "accent": "#6ea8fe"})"));
  EXPECT_EQ(r["themeNew"]["reason"], "TARGETING_MATCH");
  EXPECT_EQ(r["themeOld"]["variant"], "light");
  EXPECT_EQ(r["missing"]["value"], true);
  EXPECT_EQ(r["missing"]["errorCode"], "FLAG_NOT_FOUND");
  EXPECT_EQ(r["mismatch"]["value"], 7);
  EXPECT_EQ(r["mismatch"]["errorCode"], "TYPE_MISMATCH");
  EXPECT_EQ(r["noTargetingKey"]["value"], "none");
  EXPECT_EQ(r["noTargetingKey"]["errorCode"], "TARGETING_KEY_MISSING");
  EXPECT_EQ(r["disabled"]["value"], false);  // DISABLED: the code default

  // The split: exactly the count flagd's bucketing (murmur3 of flagKey + targetingKey) gives,
  // and near the configured 20 %.
  int expected_v2 = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string key = "wallet-connect-v2user-" + std::to_string(i);
    if (shipgate::flags::fractionalBucket(key) < 20.0) ++expected_v2;
  }
  EXPECT_EQ(r["split"].value("v2", 0), expected_v2) << r["split"].dump();
  EXPECT_EQ(r["split"].value("v2", 0) + r["split"].value("v1", 0), 1000);
  EXPECT_GT(expected_v2, 160);
  EXPECT_LT(expected_v2, 240);

  EXPECT_EQ(r["bulk"]["status"], 200);
  EXPECT_EQ(r["bulk"]["again"], 304);
  EXPECT_EQ(r["bulk"]["keys"], json::parse(R"(["banner-text", "legacy-search", "max-listings",
      "new-checkout", "theme", "wallet-connect-v2"])"));

  // Another process changes a flag; the running gateway serves it within its poll interval.
  const std::string sale = dir.writeFile(
      "sale.json", R"({"state": "ENABLED", "variants": {"welcome": "Welcome to CoinEstate",
      "sale": "Spring sale: 0% fees"}, "defaultVariant": "sale"})");
  set = flags({"set", "--env", "production", "banner-text", "--file", sale, "--reason", "sale"});
  ASSERT_EQ(set.code, 0) << set.err;
  json w = runNode({base, "wait", "banner-text", "Spring sale: 0% fees", "5000"});
  EXPECT_EQ(w["seen"], true) << w.dump() << gw.logs();
  EXPECT_EQ(w["last"], "Spring sale: 0% fees");
  EXPECT_TRUE(gw.stop().has_value());
}

// The admin API's flag routes on the same store, and OFREP answering from a write at once;
// the OFREP token when flags.token_file is set.
TEST(OfrepGateway, AdminApiWritesFlagsAndOfrepTokenIsChecked) {
  testsupport::TempDir dir("sg-ofrep-admin");
  const uint16_t http = testsupport::freePort(), admin = testsupport::freePort();
  const std::string token = "admintoken-0123456789";
  const std::string token_file = dir.writeFile("admin.token", token + "\n");
  const std::string ofrep_token = dir.writeFile("ofrep.token", "ofrep-secret\n");
  dir.writeFile("site/index.html", "<p>hi</p>");
  const std::string yaml =
      "server: {workers: 1, allow_root: true}\n"
      "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http) + "\"}]\n"
      "admin: {address: \"127.0.0.1:" + std::to_string(admin) + "\", token_file: \"" +
      token_file + "\"}\n"
      "sites:\n  - {name: web, static: {root: \"" + dir.file("site") + "\"}}\n"
      "state: {dir: \"" + dir.file("state") + "\"}\n"
      "flags: {environment: staging, token_file: \"" + ofrep_token + "\", poll_interval: 60s}\n";
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml, {http, admin}));
  const testsupport::Headers auth = {{"Authorization", "Bearer " + token},
                                     {"X-Shipgate-Actor", "ci-bot"},
                                     {"Content-Type", "application/json"}};
  const std::string one =
      R"({"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "on"})";

  auto r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging/dark-mode", {}, one);
  EXPECT_EQ(r.status, 401) << r.body;
  r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging/dark-mode?reason=try", auth,
                               R"({"state": "ENABLED", "variants": {"on": true}, "defaultVariant": "x"})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"],
            "flag 'dark-mode' at /defaultVariant: \"x\" is not one of its variants (on)");
  // A number beyond a double (1e999), as one flag and in a document: 422 naming it, not a 500.
  r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging/dark-mode", auth,
                               R"({"state": "ENABLED", "variants": {"on": 1e999}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"], "not JSON: a number is out of range");
  r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging", auth,
                               R"({"flags": {"x": {"variants": {"on": -1e999}}}})");
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"], "not JSON: a number is out of range");
  r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging/dark-mode?reason=try", auth, one);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["written"][0]["version"], 1);
  r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging/dark-mode?cas=0", auth, one);
  EXPECT_EQ(r.status, 409) << r.body;
  r = testsupport::httpGet(admin, "/api/v1/flags/staging/dark-mode", auth);
  ASSERT_EQ(r.status, 200) << r.body;
  json v = json::parse(r.body);
  EXPECT_EQ(v["created_by"], "ci-bot");
  EXPECT_EQ(v["reason"], "try");
  EXPECT_EQ(v["definition"]["defaultVariant"], "on");
  r = testsupport::httpGet(admin, "/api/v1/flags/staging/dark-mode/history", auth);
  EXPECT_EQ(json::parse(r.body)["versions"].size(), 1u);
  r = testsupport::httpGet(admin, "/api/v1/flags/staging/nope", auth);
  EXPECT_EQ(r.status, 404);
  r = testsupport::httpRequest(admin, "PUT", "/api/v1/flags/staging", auth,
                               std::string(2 << 20, ' '));
  EXPECT_EQ(r.status, 413);

  // OFREP (environment staging, a token required) answers from the write at once, although the
  // poll interval is a minute.
  const std::string body = R"({"context": {"targetingKey": "u"}})";
  r = testsupport::httpRequest(http, "POST", "/ofrep/v1/evaluate/flags/dark-mode",
                               {{"Content-Type", "application/json"}}, body);
  EXPECT_EQ(r.status, 401) << r.body;
  r = testsupport::httpRequest(http, "POST", "/ofrep/v1/evaluate/flags/dark-mode",
                               {{"Content-Type", "application/json"}, {"Authorization", "Bearer nope"}},
                               body);
  EXPECT_EQ(r.status, 403) << r.body;
  r = testsupport::httpRequest(http, "POST", "/ofrep/v1/evaluate/flags/dark-mode",
                               {{"Content-Type", "application/json"}, {"X-API-Key", "ofrep-secret"}},
                               body);
  ASSERT_EQ(r.status, 200) << r.body << gw.logs();
  EXPECT_EQ(json::parse(r.body), json::parse(R"({"key": "dark-mode", "value": true,
      "reason": "STATIC", "variant": "on", "metadata": {}})"));
  EXPECT_TRUE(gw.stop().has_value());
}

}  // namespace
