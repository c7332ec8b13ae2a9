// `shipgate secrets` through the real binary with `state: {url: postgres://...}`: the secrets land
// in that PostgreSQL database (sealed), not in a SQLite file, and read back through the CLI.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/postgres_server.h"
#include "support/process.h"

namespace {

using testsupport::buildDir;

TEST(SecretsCliPostgres, PutAndGetThroughTheStateUrlDatabase) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  ASSERT_TRUE(pg.createDatabase("shipgate"));
  testsupport::TempDir dir("shipgate-secrets-pg");
  ASSERT_TRUE(dir.ok());
  auto run = [&](std::vector<std::string> argv) {
    return testsupport::runToEnd(std::move(argv), std::chrono::seconds(30));
  };
  const std::string shipgate = buildDir() + "/shipgate";
  auto init = run({shipgate, "secrets", "init-key", dir.file("root.key")});
  ASSERT_EQ(init.code, 0) << init.err;
  const std::string config = dir.writeFile("s.yaml",
                                           "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
                                           "state: {dir: state, url: \"" +
                                               pg.url("shipgate") +
                                               "\"}\n"
                                               "secrets: {key_file: root.key}\n");
  ASSERT_FALSE(config.empty());
  const std::string value_file = dir.writeFile("value", "a-very-recognisable-secret");
  auto put = run({shipgate, "secrets", "--config", config, "--actor", "tester", "put",
                  "/app/prod/token", "--from-file", value_file});
  ASSERT_EQ(put.code, 0) << put.err;
  EXPECT_EQ(put.out, "/app/prod/token version 1\n");
  auto get =
      run({shipgate, "secrets", "--config", config, "--actor", "tester", "get", "/app/prod/token"});
  ASSERT_EQ(get.code, 0) << get.err;
  EXPECT_EQ(get.out, "a-very-recognisable-secret");

  std::string rows;
  ASSERT_TRUE(
      pg.psql("SELECT path || ' ' || version || ' ' || length(sealed) FROM "
              "secrets_versions",
              &rows, "shipgate"));
  EXPECT_EQ(rows.substr(0, rows.find(' ', rows.find(' ') + 1)), "/app/prod/token 1") << rows;
  std::string sealed;
  ASSERT_TRUE(
      pg.psql("SELECT encode(sealed, 'escape') FROM secrets_versions", &sealed, "shipgate"));
  EXPECT_EQ(sealed.find("a-very-recognisable-secret"), std::string::npos);
  std::string audit;
  ASSERT_TRUE(pg.psql("SELECT string_agg(action, ',' ORDER BY seq) FROM secrets_audit", &audit,
                      "shipgate"));
  EXPECT_EQ(audit, "put,get\n");
  EXPECT_FALSE(std::filesystem::exists(dir.file("state/state.db")));
}

}  // namespace
