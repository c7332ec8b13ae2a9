// End-to-end tests of `shipgate check` and `shipgate health` against real servers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "e2e_util.h"
#include "support/hardhat_node.h"
#include "support/postgres_server.h"

namespace e2e {
namespace {

TEST(CliCheck, AcceptsTheCoinestateExampleWithTheSeedBlocksAndWarnsAboutWhatIsNotInEffect) {
  std::string file = testsupport::sourceDir() + "/examples/coinestate/shipgate.yaml";
  auto r = runCli({"check", "--config", file});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("OK"), std::string::npos) << r.out;
  // Warnings are located and name what is not enforced yet.
  EXPECT_NE(r.err.find("shipgate.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("warning"), std::string::npos) << r.err;
  // The quality gates are in effect: check says how each is read and where it is enforced.
  EXPECT_EQ(r.err.find("quality_gates"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("quality gates (deploy step `gates`, environments staging, production"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("manual_approval: Required for production -> the approval step of "
                       "environment production (approval required)"),
            std::string::npos)
      << r.out;

  auto demo = runCli({"check", "--config", testsupport::sourceDir() + "/examples/coinestate/demo.yaml"});
  EXPECT_EQ(demo.exit_code, 0) << demo.out << demo.err;
}

TEST(CliCheck, EveryErrorNamesFileLineAndColumn) {
  testsupport::TempDir dir("sg-check");
  std::string path = dir.writeFile("bad.yaml",
                                   "listeners:\n"
                                   "  - {name: http, address: \"127.0.0.1:99999\"}\n"
                                   "apps:\n"
                                   "  api:\n"
                                   "    balanse: round_robin\n"
                                   "    slots: {blue: [{address: \"127.0.0.1:9\"}]}\n"
                                   "sites:\n"
                                   "  - {name: s, app: nope}\n");
  auto r = runCli({"check", "--config", path});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("bad.yaml:2:"), std::string::npos) << "bad port: " << r.err;
  EXPECT_NE(r.err.find("bad.yaml:5:5"), std::string::npos) << "unknown key: " << r.err;
  EXPECT_NE(r.err.find("balance"), std::string::npos) << "did-you-mean: " << r.err;
  EXPECT_NE(r.err.find("bad.yaml:8:"), std::string::npos) << "unknown app: " << r.err;

  auto missing = runCli({"check", "--config", dir.file("nope.yaml")});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.yaml"), std::string::npos) << missing.err;
}

TEST(CliServe, AReadyFileThatCannotBeWrittenStopsTheStartAndSaysWhy) {
  testsupport::TempDir dir("sg-ready");
  std::string path = dir.writeFile(
      "shipgate.yaml", "server: {workers: 1, allow_root: true}\n"
                       "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
                       "sites: [{name: www, static: {root: \"" + dir.path() + "\"}}]\n");
  std::string ready = dir.file("missing-dir/ready.json");
  auto r = runCli({"serve", "--config", path, "--ready-file", ready});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE((r.out + r.err).find("cannot write --ready-file: open " + ready +
                                 ".tmp: No such file or directory"),
            std::string::npos)
      << r.out << r.err;
}

TEST(CliCheck, UsageErrorsExitTwo) {
  auto r = runCli({"switch", "--app", "api", "--slot", "purple"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  auto none = runCli({});
  EXPECT_EQ(none.exit_code, 2);
}

class CliHealth : public ::testing::Test {
 protected:
  testsupport::PostgresServer pg_;
  testsupport::HardhatNode node_;
};

TEST_F(CliHealth, ChecksARealDatabaseBlockchainNodeAndApiAndFailsWhenOneIsDown) {
  ASSERT_TRUE(pg_.start());
  ASSERT_TRUE(node_.start());
  ApiServer api("v1", "us-east-1");
  ASSERT_TRUE(api.start());
  testsupport::TempDir dir("sg-health");
  std::string cfg =
      "apps:\n  api:\n    health: {kind: http, path: /api/health, timeout: 2s}\n"
      "    slots: {blue: [{address: \"" + api.address() + "\"}]}\n"
      "checks:\n"
      "  - {name: database, kind: postgres, target: \"127.0.0.1:" + std::to_string(pg_.port()) +
      "\", user: postgres, timeout: 5s}\n"
      "  - {name: blockchain, kind: jsonrpc, target: \"" + node_.url() + "\", timeout: 5s}\n";
  std::string path = dir.writeFile("health.yaml", cfg);

  auto r = runCli({"health", "--config", path, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto rows = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(rows.is_discarded()) << r.out;
  std::string text = rows.dump();
  EXPECT_NE(text.find("database"), std::string::npos) << text;
  EXPECT_NE(text.find("blockchain"), std::string::npos) << text;
  EXPECT_NE(text.find(api.address()), std::string::npos) << text;

  auto table = runCli({"health", "--config", path});
  EXPECT_EQ(table.exit_code, 0) << table.out;
  EXPECT_NE(table.out.find("COMPONENT"), std::string::npos) << table.out;

  pg_.stop();
  auto down = runCli({"health", "--config", path});
  EXPECT_EQ(down.exit_code, 1) << down.out << down.err;
  EXPECT_NE(down.out.find("database"), std::string::npos) << down.out;
}

}  // namespace
}  // namespace e2e
