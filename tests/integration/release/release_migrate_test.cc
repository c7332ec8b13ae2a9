// The deploy step `migrate` and `rollback --with-migrations` through the real binary, against a
// real PostgreSQL (one server per test binary, a fresh database per test): the app's migrations
// applied before its slot starts (the release checks its table before it listens), a failing
// migration and checksum drift stopping the deploy with v1 still live, two apps deploying at once
// onto one database (the advisory lock), the "tested in staging" rule, and rollbacks that take
// the schema back or leave it.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "release_util.h"
#include "support/postgres_test_db.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

const char* kCreateWidgets =
    "CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);\n"
    "INSERT INTO widgets VALUES (1, 'first');\n";

class ReleaseMigrate : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_)); }

  testsupport::PostgresServer* pg() { return testsupport::sharedPostgres(nullptr); }
  static std::string dbName(const std::string& url) { return url.substr(url.rfind('/') + 1); }

  std::string query(const std::string& sql, const std::string& url = "") {
    std::string out;
    EXPECT_TRUE(pg()->psql(sql, &out, dbName(url.empty() ? url_ : url)));
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  bool tableExists(const std::string& table, const std::string& url = "") {
    return query("SELECT to_regclass('" + table + "') IS NOT NULL", url) == "t";
  }

  // Settings: no approval, the app's database, and APP_DB in the release's environment.
  Deployer::Settings settings(const std::string& db_yaml = "") {
    Deployer::Settings s;
    s.approval = "none";
    s.replicas = 1;
    s.runtime_yaml = "        env: {APP_DB: \"" + url_ + "\"}\n";
    s.release_yaml = db_yaml.empty() ? "      database: {url: \"" + url_ + "\"}\n" : db_yaml;
    return s;
  }

  // releases/<app>-<version>: a `run` script that refuses to start unless the widgets table is
  // there (what an app that needs its schema does), and the migration files given.
  std::string release(Deployer& d, const std::string& version,
                      const std::vector<std::pair<std::string, std::string>>& files,
                      const std::string& app = "api") {
    const std::string rel = "releases/" + app + "-" + version;
    std::string script =
        "#!/bin/sh\n"
        "psql -X -v ON_ERROR_STOP=1 -tAc 'SELECT count(*) FROM widgets' \"$APP_DB\" >/dev/null "
        "2>&1 || { echo 'the widgets table is missing' >&2; exit 3; }\n"
        "exec \"" + testsupport::buildDir() + "/coinestate-api\" \"$@\"\n";
    d.dir().writeFile(rel + "/run", script);
    ::chmod(d.dir().file(rel + "/run").c_str(), 0755);
    for (const auto& [name, sql] : files) d.dir().writeFile(rel + "/migrations/" + name, sql);
    return d.dir().file(rel);
  }
  std::vector<std::pair<std::string, std::string>> v1Files() {
    return {{"20250101_001_create_widgets.up.sql", kCreateWidgets},
            {"20250101_001_create_widgets.down.sql", "DROP TABLE widgets;\n"}};
  }
  std::vector<std::pair<std::string, std::string>> v2Files(bool with_down = true) {
    auto f = v1Files();
    f.push_back({"20250102_001_add_gadgets.up.sql", "CREATE TABLE gadgets (id int);\n"});
    if (with_down) f.push_back({"20250102_001_add_gadgets.down.sql", "DROP TABLE gadgets;\n"});
    return f;
  }

  CliResult deployCli(Deployer& d, const std::string& version, const std::string& dir,
                      const std::string& app = "api") {
    return d.cli({"deploy", "--app", app, "--version", version, "--artifact", dir, "--lines",
                  "--actor", "ci-bot"});
  }
  static json step(const json& dep, const std::string& name) {
    for (const auto& s : dep["steps"]) {
      if (s["name"] == name) return s;
    }
    return json();
  }
  json deployment(Deployer& d, const std::string& out) {
    return d.apiJson("GET", "/api/v1/deployments/" + acceptedId(out));
  }
  std::string described() {
    // postgres@127.0.0.1:PORT/db, as the evidence names the database.
    const std::string rest = url_.substr(url_.find("://") + 3);
    return rest.substr(0, rest.find('/')) + "/" + dbName(url_);
  }

  std::string url_;
};

TEST_F(ReleaseMigrate, DeployAppliesTheMigrationsBeforeTheSlotStarts) {
  Deployer d(settings());
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deployCli(d, "v1", release(d, "v1", v1Files()));
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  EXPECT_EQ(d.servedVersion(), "v1");  // it started: it found its table
  json dep = deployment(d, v1.out);
  ASSERT_EQ(dep["state"], "succeeded") << dep.dump(2);
  std::vector<std::string> names;
  for (const auto& s : dep["steps"]) names.push_back(s["name"]);
  EXPECT_EQ(names, (std::vector<std::string>{"gates", "preflight", "migrate", "start", "health",
                                             "smoke", "accessibility", "approval", "switch",
                                             "bake", "cleanup"}));
  json m = step(dep, "migrate");
  EXPECT_EQ(m["state"], "succeeded") << m.dump(2);
  EXPECT_EQ(m["result"], "applied 1 migration to " + described());
  EXPECT_EQ(m["evidence"]["applied"], json::array({"20250101_001_create_widgets"}));
  EXPECT_EQ(m["evidence"]["database"], described());
  EXPECT_EQ(m["evidence"]["database"].get<std::string>().find(':'),
            m["evidence"]["database"].get<std::string>().rfind(':'));  // no password part
  EXPECT_LE(m["ended_at"].get<int64_t>(), step(dep, "start")["started_at"].get<int64_t>());
  EXPECT_EQ(query("SELECT id || ' ' || applied_by || ' ' || deployment FROM schema_migrations"),
            "20250101_001 ci-bot " + dep["id"].get<std::string>());
  EXPECT_EQ(query("SELECT name FROM widgets"), "first");

  // v2 with no new migration: the step says so and is skipped.
  CliResult v2 = deployCli(d, "v2", release(d, "v2", v1Files()));
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err << d.serveLogs();
  json m2 = step(deployment(d, v2.out), "migrate");
  EXPECT_EQ(m2["state"], "skipped");
  EXPECT_EQ(m2["result"], "nothing pending: every migration of release v2 (1) is applied in " +
                              described());
}

TEST_F(ReleaseMigrate, NoDatabaseOrNoMigrationsFolderSkipsTheStep) {
  Deployer::Settings s = settings();
  s.release_yaml.clear();
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deployCli(d, "v1", d.releaseDir("v1"));
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  json m = step(deployment(d, v1.out), "migrate");
  EXPECT_EQ(m["state"], "skipped");
  EXPECT_EQ(m["result"], "no database configured for app api");

  d.settings().release_yaml = "      database: {url: \"" + url_ + "\"}\n";
  CliResult reload = d.reloadConfig();
  ASSERT_EQ(reload.exit_code, 0) << reload.out << reload.err;
  const std::string dir = d.releaseDir("v2");  // no migrations/ folder in it
  CliResult v2 = deployCli(d, "v2", dir);
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err << d.serveLogs();
  json m2 = step(deployment(d, v2.out), "migrate");
  EXPECT_EQ(m2["state"], "skipped");
  EXPECT_EQ(m2["result"],
            "release v2 carries no migrations folder (" + dir + "/migrations)");
}

TEST_F(ReleaseMigrate, FailingMigrationFailsTheDeployWithItsPositionAndV1StaysLive) {
  Deployer d(settings());
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deployCli(d, "v1", release(d, "v1", v1Files()));
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  const std::string schema_before =
      query("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM "
            "information_schema.tables WHERE table_schema = 'public'");

  auto files = v1Files();
  files.push_back({"20250102_001_add_gadgets.up.sql", "CREATE TABLE gadgets (id int);\n"});
  files.push_back({"20250103_001_add_orders.up.sql",
                   "CREATE TABLE orders (id int);\n"
                   "ALTER TABLE widgets ADD COLUMN price int;\n"
                   "SELECT FROM nowhere_at_all;\n"});
  CliResult v2 = deployCli(d, "v2", release(d, "v2", files));
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err;
  json dep = deployment(d, v2.out);
  EXPECT_EQ(dep["state"], "failed") << dep.dump(2);
  json m = step(dep, "migrate");
  EXPECT_EQ(m["state"], "failed");
  const std::string result = m["result"];
  EXPECT_NE(result.find("migration 20250103_001_add_orders failed and was rolled back: "
                        "20250103_001_add_orders.up.sql:3:13: relation \"nowhere_at_all\" does "
                        "not exist (SQLSTATE 42P01)"),
            std::string::npos)
      << result;
  EXPECT_EQ(dep["failure"], "migrate: " + result);
  // No slot started, v1 serves on.
  EXPECT_EQ(step(dep, "start")["state"], "pending");
  EXPECT_EQ(d.servedVersion(), "v1");
  // The failed migration left nothing: no orders table, no price column. The one before it in
  // the same run committed on its own and stays applied (the evidence lists it).
  EXPECT_FALSE(tableExists("orders"));
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'widgets' "
                  "AND column_name = 'price'"),
            "0");
  EXPECT_TRUE(tableExists("gadgets"));
  EXPECT_EQ(m["evidence"]["applied"], json::array({"20250102_001_add_gadgets"}));
  EXPECT_EQ(query("SELECT string_agg(id, ',' ORDER BY id) FROM schema_migrations"),
            "20250101_001,20250102_001");
  EXPECT_EQ(schema_before, "schema_migrations,widgets");
}

TEST_F(ReleaseMigrate, ChecksumDriftBlocksTheDeployNamingTheFile) {
  Deployer d(settings());
  ASSERT_TRUE(d.startServe());
  CliResult v1 = deployCli(d, "v1", release(d, "v1", v1Files()));
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d.serveLogs();
  auto files = v2Files();
  files[0].second = "CREATE TABLE widgets (id bigint PRIMARY KEY, name text NOT NULL);\n";
  CliResult v2 = deployCli(d, "v2", release(d, "v2", files));
  EXPECT_EQ(v2.exit_code, 1) << v2.out << v2.err;
  json dep = deployment(d, v2.out);
  EXPECT_EQ(dep["state"], "failed");
  json m = step(dep, "migrate");
  EXPECT_EQ(m["state"], "failed");
  EXPECT_EQ(m["result"],
            "checksum drift: 20250101_001_create_widgets.up.sql changed since it was applied "
            "(nothing was applied; resolve it first)");
  EXPECT_FALSE(tableExists("gadgets"));
  EXPECT_EQ(d.servedVersion(), "v1");
}

TEST_F(ReleaseMigrate, TwoAppsOnOneDatabaseDeployAtOnceAndEachMigrationRunsOnce) {
  Deployer::Settings s = settings();
  const auto ports = freePortRange(4);
  s.extra_sites = "  - {name: worker, hosts: [worker.test], path_prefix: /api/, app: worker}\n";
  s.extra_yaml =
      "  worker:\n"
      "    environment: production\n"
      "    release:\n"
      "      runtime:\n"
      "        kind: process\n"
      "        command: \"{release_dir}/run --listen 127.0.0.1:{port} --version {version}\"\n"
      "        replicas: 1\n"
      "        ports: \"" + std::to_string(ports.first) + "-" + std::to_string(ports.second) +
      "\"\n"
      "        stop_grace: 2s\n"
      "        env: {APP_DB: \"" + url_ + "\"}\n"
      "      database: {url: \"" + url_ + "\"}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());
  // The same migrations in both releases (one schema, one history); the first one is slow so the
  // two runs overlap.
  auto files = v2Files();
  files[0].second = std::string("SELECT pg_sleep(2);\n") + kCreateWidgets;
  auto a = d.cliAsync({"deploy", "--app", "api", "--version", "v1", "--artifact",
                       release(d, "v1", files), "--lines"});
  auto b = d.cliAsync({"deploy", "--app", "worker", "--version", "v1", "--artifact",
                       release(d, "v1", files, "worker"), "--lines"});
  ASSERT_EQ(a->wait(120s), std::optional<int>(0)) << a->describe() << d.serveLogs();
  ASSERT_EQ(b->wait(120s), std::optional<int>(0)) << b->describe() << d.serveLogs();
  json ma = step(deployment(d, a->stdoutText()), "migrate");
  json mb = step(deployment(d, b->stdoutText()), "migrate");
  // One applied both, the other found them applied once it had the lock (or before).
  std::vector<std::string> states = {ma["state"], mb["state"]};
  std::sort(states.begin(), states.end());
  EXPECT_EQ(states, (std::vector<std::string>{"skipped", "succeeded"})) << ma.dump(2) << mb.dump(2);
  const json& applier = ma["state"] == "succeeded" ? ma : mb;
  const json& other = ma["state"] == "succeeded" ? mb : ma;
  EXPECT_EQ(applier["evidence"]["applied"],
            json::array({"20250101_001_create_widgets", "20250102_001_add_gadgets"}));
  EXPECT_EQ(other["result"].get<std::string>().rfind("nothing pending", 0), 0u)
      << other.dump(2);
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations"), "2");
  EXPECT_EQ(query("SELECT count(*) FROM widgets"), "1");
  EXPECT_TRUE(tableExists("gadgets"));
}

TEST_F(ReleaseMigrate, ProductionRefusesUntestedMigrationsAndAcceptsThemAfterStaging) {
  std::string staging_url;
  ASSERT_TRUE(testsupport::freshPostgresDatabase(&staging_url));
  // api (production) and api-staging (staging), each with its own database, given through
  // ${VAR} from shipgate's environment.
  Deployer::Settings s =
      settings("      database: {url: \"${PROD_DB}\", tested_as: api-staging}\n");
  s.production_extra = ", migrations_tested_in: staging";
  s.environments_extra =
      "  staging: {approval: none, bake: 1s, triggers: false, scale_down_delay: 1s}\n";
  s.serve_env = {{"PROD_DB", url_}, {"STAGING_DB", staging_url}};
  const auto ports = freePortRange(4);
  s.extra_sites =
      "  - {name: staging, hosts: [staging.test], path_prefix: /api/, app: api-staging}\n";
  s.extra_yaml =
      "  api-staging:\n"
      "    environment: staging\n"
      "    release:\n"
      "      runtime:\n"
      "        kind: process\n"
      "        command: \"{release_dir}/run --listen 127.0.0.1:{port} --version {version}\"\n"
      "        replicas: 1\n"
      "        ports: \"" + std::to_string(ports.first) + "-" + std::to_string(ports.second) +
      "\"\n"
      "        stop_grace: 2s\n"
      "        env: {APP_DB: \"" + staging_url + "\"}\n"
      "      database: {url: \"${STAGING_DB}\"}\n";
  Deployer d(s);
  ASSERT_TRUE(d.startServe());

  CliResult refused = deployCli(d, "v1", release(d, "v1", v1Files()));
  EXPECT_EQ(refused.exit_code, 1) << refused.out << refused.err;
  json dep = deployment(d, refused.out);
  EXPECT_EQ(dep["state"], "failed");
  json m = step(dep, "migrate");
  EXPECT_EQ(m["state"], "failed");
  EXPECT_EQ(m["result"],
            "migrations not tested: no succeeded deployment of api-staging v1 in staging applied "
            "them (environment production has migrations_tested_in: staging); 1 pending, "
            "nothing was applied");
  EXPECT_FALSE(tableExists("widgets"));
  EXPECT_FALSE(tableExists("schema_migrations"));

  CliResult staged = deployCli(d, "v1", release(d, "v1", v1Files(), "api-staging"), "api-staging");
  ASSERT_EQ(staged.exit_code, 0) << staged.out << staged.err << d.serveLogs();
  const std::string staging_id = acceptedId(staged.out);
  EXPECT_EQ(step(deployment(d, staged.out), "migrate")["state"], "succeeded");
  EXPECT_TRUE(tableExists("widgets", staging_url));
  EXPECT_FALSE(tableExists("widgets"));  // production's database is its own

  CliResult accepted = deployCli(d, "v1", release(d, "v1", v1Files()));
  ASSERT_EQ(accepted.exit_code, 0) << accepted.out << accepted.err << d.serveLogs();
  json m2 = step(deployment(d, accepted.out), "migrate");
  EXPECT_EQ(m2["state"], "succeeded");
  EXPECT_EQ(m2["evidence"]["tested_in"],
            (json{{"environment", "staging"}, {"app", "api-staging"}, {"deployment", staging_id}}));
  EXPECT_TRUE(tableExists("widgets"));
  EXPECT_EQ(d.servedVersion(), "v1");
}

TEST_F(ReleaseMigrate, RollbackWithMigrationsTakesTheSchemaBack) {
  Deployer d(settings());
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deployCli(d, "v1", release(d, "v1", v1Files())).exit_code, 0) << d.serveLogs();
  CliResult v2 = deployCli(d, "v2", release(d, "v2", v2Files()));
  ASSERT_EQ(v2.exit_code, 0) << v2.out << v2.err << d.serveLogs();
  ASSERT_TRUE(tableExists("gadgets"));

  CliResult rb = d.cli({"rollback", "--app", "api", "--reason", "gadgets broke checkout",
                        "--with-migrations", "--lines"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << d.serveLogs();
  json dep = deployment(d, rb.out);
  EXPECT_EQ(dep["kind"], "rollback");
  EXPECT_EQ(dep["state"], "succeeded");
  json m = step(dep, "migrate");
  EXPECT_EQ(m["state"], "succeeded") << m.dump(2);
  EXPECT_EQ(m["result"], "rolled back 1 migration of release v2 in " + described());
  EXPECT_EQ(m["evidence"]["rolled_back"], json::array({"20250102_001_add_gadgets"}));
  EXPECT_EQ(m["evidence"]["deployments"], json::array({acceptedId(v2.out)}));
  EXPECT_FALSE(tableExists("gadgets"));
  EXPECT_TRUE(tableExists("widgets"));  // v1's own stays
  EXPECT_EQ(query("SELECT string_agg(id, ',') FROM schema_migrations"), "20250101_001");
  EXPECT_EQ(d.servedVersion(), "v1");
}

TEST_F(ReleaseMigrate, StandardRollbackLeavesTheDatabaseAndEmergencyNeverTouchesIt) {
  Deployer d(settings());
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deployCli(d, "v1", release(d, "v1", v1Files())).exit_code, 0) << d.serveLogs();
  ASSERT_EQ(deployCli(d, "v2", release(d, "v2", v2Files())).exit_code, 0) << d.serveLogs();

  CliResult rb = d.cli({"rollback", "--app", "api", "--reason", "slow", "--lines"});
  ASSERT_EQ(rb.exit_code, 0) << rb.out << rb.err << d.serveLogs();
  json m = step(deployment(d, rb.out), "migrate");
  EXPECT_EQ(m["state"], "skipped");
  EXPECT_EQ(m["result"],
            "standard rollback: the database is left alone; migrations of release v2 left "
            "applied: 20250102_001 (rollback --with-migrations takes them back)");
  EXPECT_EQ(m["evidence"]["left_applied"], json::array({"20250102_001"}));
  EXPECT_TRUE(tableExists("gadgets"));
  EXPECT_EQ(d.servedVersion(), "v1");

  // v2 again (nothing pending), then an emergency rollback: no connection, nothing changes.
  ASSERT_EQ(deployCli(d, "v2", release(d, "v2", v2Files())).exit_code, 0) << d.serveLogs();
  CliResult em = d.cli({"rollback", "--app", "api", "--reason", "pager", "--emergency", "--lines"});
  ASSERT_EQ(em.exit_code, 0) << em.out << em.err << d.serveLogs();
  json me = step(deployment(d, em.out), "migrate");
  EXPECT_EQ(me["state"], "skipped");
  EXPECT_EQ(me["result"], "emergency rollback: the database is never touched");
  EXPECT_TRUE(tableExists("gadgets"));

  CliResult both = d.cli({"rollback", "--app", "api", "--reason", "x", "--emergency",
                          "--with-migrations"});
  EXPECT_EQ(both.exit_code, 2) << both.out << both.err;
  EXPECT_NE(both.err.find("--with-migrations cannot go with --emergency"), std::string::npos)
      << both.err;
  // The admin API: with_migrations is a boolean, and not for an emergency rollback.
  auto bad = d.api("POST", "/api/v1/apps/api/rollback",
                   R"({"reason": "x", "with_migrations": "yes"})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("with_migrations\\\" must be true or false"), std::string::npos)
      << bad.body;
  auto em_api = d.api("POST", "/api/v1/apps/api/rollback",
                      R"({"reason": "x", "emergency": true, "with_migrations": true})");
  EXPECT_EQ(em_api.status, 422) << em_api.body;
  EXPECT_NE(em_api.body.find("never touches the database"), std::string::npos) << em_api.body;
  EXPECT_TRUE(tableExists("gadgets"));
}

TEST_F(ReleaseMigrate, RollbackWithMigrationsRefusesBeforeTouchingAnythingWithoutADownFile) {
  Deployer d(settings());
  ASSERT_TRUE(d.startServe());
  ASSERT_EQ(deployCli(d, "v1", release(d, "v1", v1Files())).exit_code, 0) << d.serveLogs();
  ASSERT_EQ(deployCli(d, "v2", release(d, "v2", v2Files(/*with_down=*/false))).exit_code, 0)
      << d.serveLogs();
  CliResult rb = d.cli({"rollback", "--app", "api", "--reason", "back", "--with-migrations",
                        "--lines"});
  EXPECT_EQ(rb.exit_code, 1) << rb.out << rb.err;
  json dep = deployment(d, rb.out);
  EXPECT_EQ(dep["state"], "failed");
  json m = step(dep, "migrate");
  EXPECT_EQ(m["state"], "failed");
  EXPECT_NE(m["result"].get<std::string>().find(
                "nothing was rolled back:\n  20250102_001_add_gadgets: no down file "
                "20250102_001_add_gadgets.down.sql"),
            std::string::npos)
      << m.dump(2);
  EXPECT_EQ(step(dep, "start")["state"], "pending");
  EXPECT_TRUE(tableExists("gadgets"));
  EXPECT_EQ(d.servedVersion(), "v2");
}

}  // namespace
}  // namespace releasetest
