// The release controller on the PostgreSQL state store: `shipgate serve` with
// `state: {url: postgres://...}` on a real PostgreSQL server, deployments driven by the real CLI,
// and what they wrote read back with psql -- the rows an operator (or another node) finds in the
// database -- and after a restart of shipgate, from the same database.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "release_util.h"
#include "support/postgres_server.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;

std::string psqlValue(testsupport::PostgresServer& pg, const std::string& sql) {
  std::string out;
  EXPECT_TRUE(pg.psql(sql, &out, "shipgate"));
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

TEST(ReleasePostgres, DeploymentsLandInPostgresAndSurviveARestart) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  ASSERT_TRUE(pg.createDatabase("shipgate"));
  Deployer::Settings s;
  s.approval = "none";
  s.state_url = pg.url("shipgate");
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  EXPECT_NE(d.serveLogs().find("state store: PostgreSQL postgres@127.0.0.1:" +
                               std::to_string(pg.port()) + "/shipgate"),
            std::string::npos)
      << d.serveLogs();

  CliResult v1 = deploy(d, "v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  const std::string id1 = acceptedId(v1.out);
  ASSERT_FALSE(id1.empty()) << v1.out;
  EXPECT_EQ(d.servedVersion(), "v1");

  // What the deployment wrote, as PostgreSQL has it.
  EXPECT_EQ(psqlValue(pg,
                      "SELECT app || ' ' || version || ' ' || state FROM deployments "
                      "WHERE id = '" +
                          id1 + "'"),
            "api v1 succeeded");
  EXPECT_EQ(psqlValue(pg, "SELECT count(*) FROM deployment_steps WHERE deployment_id = '" + id1 +
                              "' AND state = 'succeeded'"),
            psqlValue(pg, "SELECT count(*) FROM deployment_steps WHERE deployment_id = '" + id1 +
                              "' AND state <> 'skipped'"));
  EXPECT_EQ(psqlValue(pg, "SELECT string_agg(version, ',') FROM releases WHERE app = 'api'"), "v1");
  EXPECT_EQ(psqlValue(pg, "SELECT version FROM slots WHERE app = 'api' AND state = 'live'"), "v1");
  EXPECT_NE(psqlValue(pg, "SELECT version FROM state_version"), "0");
  EXPECT_NE(psqlValue(pg, "SELECT count(*) FROM audit_log WHERE subject = '" + id1 + "'"), "0");
  // Nothing went to a SQLite file.
  EXPECT_FALSE(std::filesystem::exists(d.stateDir() + "/state.db"));

  // A restarted shipgate reads its state back from PostgreSQL: the live release is served again
  // and the next deployment continues the history.
  EXPECT_EQ(d.stopServe(), std::optional<int>(0));
  ASSERT_TRUE(d.startServe());
  EXPECT_EQ(d.servedVersion(), "v1");
  CliResult v2 = deploy(d, "v2");
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err << d.serveLogs();
  const std::string id2 = acceptedId(v2.out);
  EXPECT_EQ(d.servedVersion(), "v2");
  EXPECT_EQ(psqlValue(pg,
                      "SELECT previous_version || ' -> ' || version || ' ' || state FROM "
                      "deployments WHERE id = '" +
                          id2 + "'"),
            "v1 -> v2 succeeded");
  CliResult listed = d.cli({"deployments", "--app", "api"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find(id1), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find(id2), std::string::npos) << listed.out;
}

TEST(ReleasePostgres, AnUnreachableDatabaseRefusesTheStartNamingItWithoutThePassword) {
  Deployer::Settings s;
  const uint16_t port = testsupport::freePort();
  s.state_url = "postgresql://shipgate:s3cret-pw@127.0.0.1:" + std::to_string(port) + "/state";
  Deployer d(s);
  EXPECT_FALSE(d.startServe());
  const std::string logs = d.serveLogs();
  EXPECT_NE(logs.find("cannot open the state store in PostgreSQL shipgate@127.0.0.1:" +
                      std::to_string(port) + "/state"),
            std::string::npos)
      << logs;
  EXPECT_EQ(logs.find("s3cret-pw"), std::string::npos) << logs;
}

}  // namespace
}  // namespace releasetest
