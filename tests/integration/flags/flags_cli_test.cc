// `shipgate flags get|set|list|history` through the binary on a SQLite state directory: what is
// printed, the exit statuses, and the errors naming line:col and flag + JSON pointer.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace {

using json = nlohmann::json;
using testsupport::RunResult;

class FlagsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    config_ = dir_.writeFile("s.yaml", "state: {dir: \"" + dir_.file("state") + "\"}\n");
  }
  RunResult flags(std::vector<std::string> args) {
    std::vector<std::string> argv = {testsupport::buildDir() + "/shipgate", "flags", "--config",
                                     config_, "--actor", "tester"};
    argv.insert(argv.end(), args.begin(), args.end());
    return testsupport::runToEnd(argv, std::chrono::seconds(30));
  }
  testsupport::TempDir dir_{"sg-flags-cli"};
  std::string config_;
};

TEST_F(FlagsCliTest, SetGetListHistory) {
  const std::string example = testsupport::sourceDir() + "/examples/coinestate/flags.json";
  RunResult r = flags({"set", "--env", "production", "--file", example, "--reason", "launch"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "production/banner-text version 1\nproduction/legacy-search version 1\n"
            "production/max-listings version 1\nproduction/new-checkout version 1\n"
            "production/theme version 1\nproduction/wallet-connect-v2 version 1\n");
  // The same document again changes nothing.
  r = flags({"set", "--env", "production", "--file", example});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("production/theme unchanged"), std::string::npos) << r.out;

  const std::string one = dir_.writeFile(
      "one.json",
      R"({"state": "ENABLED", "variants": {"welcome": "Hi", "sale": "Sale"}, "defaultVariant": "sale"})");
  r = flags({"set", "--env", "production", "banner-text", "--file", one, "--reason", "sale",
             "--cas", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "production/banner-text version 2\n");
  r = flags({"set", "--env", "production", "banner-text", "--file", one, "--cas", "1"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err,
            "shipgate flags: flag 'banner-text' in production is at version 2, not 1 (--cas)\n");

  r = flags({"get", "--env", "production", "banner-text", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["created_by"], "tester");
  EXPECT_EQ(j["reason"], "sale");
  EXPECT_EQ(j["definition"]["defaultVariant"], "sale");
  r = flags({"get", "--env", "production", "banner-text", "--version", "1"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["flags"]["banner-text"]["defaultVariant"], "welcome");
  // $refs are stored resolved.
  r = flags({"get", "--env", "production", "new-checkout"});
  EXPECT_EQ(json::parse(r.out)["flags"]["new-checkout"]["targeting"],
            json::parse(R"({"if": [{"ends_with": [{"var": "email"}, "@coinestate.io"]}, "on", null]})"));

  r = flags({"list", "--env", "production", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out).size(), 6u);
  r = flags({"history", "--env", "production", "banner-text", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  j = json::parse(r.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["reason"], "launch");
  EXPECT_EQ(j[1]["reason"], "sale");

  r = flags({"get", "--env", "production", "nope"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, "shipgate flags: flag 'nope' not found in production\n");
  r = flags({"list", "--env", "staging"});
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, "");
}

TEST_F(FlagsCliTest, BadInputIsNamed) {
  const std::string bad_json = dir_.writeFile("bad.json", "{\n  \"flags\": {\n    \"x\": [,]\n");
  RunResult r = flags({"set", "--env", "production", "--file", bad_json});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err.rfind(bad_json + ": line 3:col 11: not JSON", 0), 0u) << r.err;
  // A number beyond a double is named too (nlohmann throws out_of_range, not parse_error).
  const std::string huge =
      dir_.writeFile("huge.json", R"({"flags": {"x": {"variants": {"a": 1e999}}}})");
  r = flags({"set", "--env", "production", "--file", huge});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, huge + ": not JSON: a number is out of range\n");
  r = flags({"set", "--env", "production", "x", "--file", huge});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, huge + ": not JSON: a number is out of range\n");
  const std::string bad_def = dir_.writeFile(
      "def.json", R"({"flags": {"x": {"state": "ENABLED", "variants": {"a": 1}, "defaultVariant": "b"}}})");
  r = flags({"set", "--env", "production", "--file", bad_def});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.err, bad_def + ": flag 'x' at /flags/x/defaultVariant: \"b\" is not one of its "
                             "variants (a)\n");
  r = flags({"set", "--env", "Prod!", "--file", bad_def});
  EXPECT_EQ(r.code, 1);
  r = flags({"list"});
  EXPECT_EQ(r.code, 2);  // --env is required
}

}  // namespace
