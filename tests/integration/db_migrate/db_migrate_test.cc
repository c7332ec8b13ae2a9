// `shipgate db status|migrate|rollback|verify` through the real binary against a real PostgreSQL
// server (one per test binary, a fresh database per test). A server that cannot start fails.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/postgres_test_db.h"
#include "support/process.h"

namespace {

using testsupport::buildDir;

class DbMigrate : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
    dbname_ = url_.substr(url_.rfind('/') + 1);
    migrations_ = dir_.file("migrations");
  }

  void write(const std::string& name, const std::string& sql) {
    ASSERT_FALSE(dir_.writeFile("migrations/" + name, sql).empty());
  }

  testsupport::RunResult db(std::vector<std::string> args) {
    std::vector<std::string> argv = {buildDir() + "/shipgate", "db"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--database-url", url_, "--dir", migrations_});
    return testsupport::runToEnd(argv, std::chrono::seconds(60));
  }

  std::string query(const std::string& sql) {
    std::string out;
    EXPECT_TRUE(pg()->psql(sql, &out, dbname_));
    return out;
  }

  testsupport::PostgresServer* pg() { return testsupport::sharedPostgres(nullptr); }

  void writeThree(bool second_broken) {
    write("20250101_001_create_users.up.sql", "CREATE TABLE users (id int PRIMARY KEY);\n");
    write("20250101_001_create_users.down.sql", "DROP TABLE users;\n");
    write("20250102_001_add_email.up.sql",
          second_broken ? "ALTER TABLE users ADD COLUMN email text;\n"
                          "CREATE TABLE audit (id int);\n"
                          "CREATE TABLEX broken (id int);\n"
                        : "ALTER TABLE users ADD COLUMN email text;\n"
                          "CREATE TABLE audit (id int);\n");
    write("20250102_001_add_email.down.sql",
          "DROP TABLE audit;\nALTER TABLE users DROP COLUMN email;\n");
    write("20250103_001_add_orders.up.sql", "CREATE TABLE orders (id int);\n");
    write("20250103_001_add_orders.down.sql", "DROP TABLE orders;\n");
  }

  testsupport::TempDir dir_{"shipgate-db-migrate"};
  std::string url_, dbname_, migrations_;
};

TEST_F(DbMigrate, AppliesPendingMigrationsInIdOrderAndRecordsThem) {
  writeThree(false);
  auto r = db({"migrate", "--by", "alice", "--deployment", "dep-42"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "applied 20250101_001_create_users\napplied 20250102_001_add_email\n"
            "applied 20250103_001_add_orders\n");
  EXPECT_EQ(query("SELECT string_agg(id || ' ' || name || ' ' || applied_by || ' ' || deployment, "
                  "',' ORDER BY id) FROM schema_migrations"),
            "20250101_001 create_users alice dep-42,20250102_001 add_email alice dep-42,"
            "20250103_001 add_orders alice dep-42\n");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' "
                  "AND column_name = 'email'"),
            "1\n");
  // The checksum is the SHA-256 of the up file.
  EXPECT_EQ(query("SELECT checksum = encode(sha256('CREATE TABLE orders (id int);\n'::bytea), "
                  "'hex') FROM schema_migrations WHERE id = '20250103_001'"),
            "t\n");
  auto again = db({"migrate"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(again.out, "nothing to apply\n");
}

TEST_F(DbMigrate, AFailingMigrationLeavesNothingAndNamesFileLineAndColumn) {
  writeThree(true);
  auto r = db({"migrate"});
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("20250102_001_add_email.up.sql:3:8: syntax error at or near \"TABLEX\""),
            std::string::npos)
      << r.err;
  EXPECT_EQ(query("SELECT string_agg(id, ',') FROM schema_migrations"), "20250101_001\n");
  EXPECT_EQ(query("SELECT to_regclass('users') IS NOT NULL, to_regclass('audit') IS NULL, "
                  "to_regclass('orders') IS NULL"),
            "t|t|t\n");
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'"),
            "0\n");
  // Fixing the file lets the rest apply.
  write("20250102_001_add_email.up.sql", "ALTER TABLE users ADD COLUMN email text;\n");
  auto fixed = db({"migrate"});
  ASSERT_EQ(fixed.code, 0) << fixed.err;
  EXPECT_EQ(fixed.out, "applied 20250102_001_add_email\napplied 20250103_001_add_orders\n");
}

TEST_F(DbMigrate, DriftIsReportedAndBlocksMigrate) {
  write("20250101_001_create_users.up.sql", "CREATE TABLE users (id int);\n");
  ASSERT_EQ(db({"migrate"}).code, 0);
  auto ok = db({"verify"});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_EQ(ok.out, "ok: every applied migration matches its file\n");

  write("20250101_001_create_users.up.sql", "CREATE TABLE users (id bigint);\n");
  write("20250102_001_more.up.sql", "CREATE TABLE more (id int);\n");
  auto verify = db({"verify"});
  EXPECT_EQ(verify.code, 1);
  EXPECT_EQ(verify.out.substr(0, verify.out.find(' ', 27)),
            "20250101_001_create_users drifted")
      << verify.out;
  auto migrate = db({"migrate"});
  EXPECT_EQ(migrate.code, 1);
  EXPECT_NE(migrate.err.find("20250101_001_create_users: drifted"), std::string::npos)
      << migrate.err;
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations"), "1\n");
  EXPECT_EQ(query("SELECT to_regclass('more') IS NULL"), "t\n");
}

TEST_F(DbMigrate, RollbackRunsDownFilesNewestFirstDownToAndIncludingTheId) {
  writeThree(false);
  ASSERT_EQ(db({"migrate"}).code, 0);
  auto r = db({"rollback", "--migration", "20250102_001"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "rolled back 20250103_001_add_orders\nrolled back 20250102_001_add_email\n");
  EXPECT_EQ(query("SELECT string_agg(id, ',') FROM schema_migrations"), "20250101_001\n");
  EXPECT_EQ(query("SELECT to_regclass('users') IS NOT NULL, to_regclass('audit') IS NULL, "
                  "to_regclass('orders') IS NULL"),
            "t|t|t\n");
  auto status = db({"status"});
  ASSERT_EQ(status.code, 0) << status.err;
  EXPECT_NE(status.out.find("\n20250102_001_add_email pending\n20250103_001_add_orders pending\n"),
            std::string::npos)
      << status.out;

  auto unknown = db({"rollback", "--migration", "20250102_001"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("migration 20250102_001 is not applied"), std::string::npos)
      << unknown.err;
}

TEST_F(DbMigrate, RollbackRefusesBeforeTouchingAnythingWhenADownFileIsMissing) {
  writeThree(false);
  ASSERT_EQ(db({"migrate"}).code, 0);
  std::filesystem::remove(migrations_ + "/20250102_001_add_email.down.sql");
  auto r = db({"rollback", "--migration", "20250101_001"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("20250102_001_add_email: no down file 20250102_001_add_email.down.sql"),
            std::string::npos)
      << r.err;
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations"), "3\n");
  EXPECT_EQ(query("SELECT to_regclass('orders') IS NOT NULL"), "t\n");
}

TEST_F(DbMigrate, TwoConcurrentRunsApplyEachMigrationOnce) {
  // Each migration inserts a row: a migration applied twice would insert two.
  write("20250101_001_counter.up.sql", "CREATE TABLE runs (m text);\n");
  for (int i = 2; i <= 9; ++i) {
    write("20250101_00" + std::to_string(i) + "_step.up.sql",
          "INSERT INTO runs VALUES ('" + std::to_string(i) + "'); SELECT pg_sleep(0.1);\n");
  }
  auto start = [&]() {
    auto p = std::make_unique<testsupport::Process>(testsupport::command(
        {buildDir() + "/shipgate", "db", "migrate", "--database-url", url_, "--dir", migrations_}));
    EXPECT_TRUE(p->start());
    return p;
  };
  auto a = start();
  auto b = start();
  auto ca = a->wait(std::chrono::seconds(60));
  auto cb = b->wait(std::chrono::seconds(60));
  ASSERT_EQ(ca, 0) << a->describe();
  ASSERT_EQ(cb, 0) << b->describe();
  // One applied all nine, the other found nothing to apply.
  std::string outs = a->stdoutText() + "|" + b->stdoutText();
  EXPECT_NE(outs.find("nothing to apply\n"), std::string::npos) << outs;
  EXPECT_EQ(query("SELECT count(*), count(DISTINCT m) FROM runs"), "8|8\n");
  EXPECT_EQ(query("SELECT count(*) FROM schema_migrations"), "9\n");
}

TEST_F(DbMigrate, StatusListsAppliedPendingAndMissing) {
  write("20250101_001_create_users.up.sql", "CREATE TABLE users (id int);\n");
  write("20250101_002_gone.up.sql", "CREATE TABLE gone (id int);\n");
  auto before = db({"status"});
  ASSERT_EQ(before.code, 0) << before.err;
  EXPECT_EQ(before.out, "20250101_001_create_users pending\n20250101_002_gone pending\n");
  ASSERT_EQ(db({"migrate", "--by", "bob"}).code, 0);
  write("20250102_001_later.up.sql", "CREATE TABLE later (id int);\n");
  std::filesystem::remove(migrations_ + "/20250101_002_gone.up.sql");
  auto after = db({"status"});
  ASSERT_EQ(after.code, 0) << after.err;
  const std::string& out = after.out;
  EXPECT_EQ(out.substr(0, out.find(' ', 26)), "20250101_001_create_users applied") << out;
  EXPECT_NE(out.find(" by bob\n20250101_002_gone missing "), std::string::npos) << out;
  EXPECT_NE(out.find(" by bob\n20250102_001_later pending\n"), std::string::npos) << out;
  EXPECT_EQ(db({"verify"}).code, 1);
}

TEST_F(DbMigrate, BadFileNameIsAUsageErrorNamingTheFile) {
  write("20250101_001_create_users.up.sql", "CREATE TABLE users (id int);\n");
  write("2025-01-02_add.up.sql", "SELECT 1;\n");
  auto r = db({"migrate"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("migration file \"2025-01-02_add.up.sql\""), std::string::npos) << r.err;
  EXPECT_EQ(query("SELECT to_regclass('schema_migrations') IS NULL"), "t\n");
}

TEST_F(DbMigrate, ReadsTheDatabaseSectionOfAConfigFile) {
  write("20250101_001_create_users.up.sql", "CREATE TABLE users (id int);\n");
  const std::string config = dir_.writeFile(
      "shipgate.yaml", "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
                       "database: {url: \"" + url_ + "\", migrations: migrations}\n");
  auto r = testsupport::runToEnd({buildDir() + "/shipgate", "db", "migrate", "--config", config},
                                 std::chrono::seconds(60));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "applied 20250101_001_create_users\n");

  const std::string bad = dir_.writeFile(
      "bad.yaml", "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
                  "database: {url: \"mysql://x\", migrations: migrations, colour: red}\n");
  auto b = testsupport::runToEnd({buildDir() + "/shipgate", "db", "status", "--config", bad},
                                 std::chrono::seconds(60));
  EXPECT_EQ(b.code, 2);
  EXPECT_NE(b.err.find("bad.yaml:2:"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("database.url"), std::string::npos) << b.err;
  EXPECT_NE(b.err.find("colour"), std::string::npos) << b.err;

  auto none = testsupport::runToEnd({buildDir() + "/shipgate", "db", "status"},
                                    std::chrono::seconds(60));
  EXPECT_EQ(none.code, 2);
}

}  // namespace

namespace {

// The README's example folder applies, verifies and rolls back cleanly.
TEST_F(DbMigrate, TheCoinestateExampleMigrationsApplyAndRollBack) {
  migrations_ = testsupport::sourceDir() + "/examples/coinestate/migrations";
  auto up = db({"migrate"});
  ASSERT_EQ(up.code, 0) << up.err;
  EXPECT_EQ(up.out,
            "applied 20250610_001_create_listings\napplied 20250615_001_add_listing_owner\n");
  EXPECT_EQ(db({"verify"}).code, 0);
  EXPECT_EQ(query("SELECT count(*) FROM information_schema.columns WHERE table_name = 'listings'"),
            "5\n");
  auto down = db({"rollback", "--migration", "20250610_001"});
  ASSERT_EQ(down.code, 0) << down.err;
  EXPECT_EQ(down.out, "rolled back 20250615_001_add_listing_owner\n"
                      "rolled back 20250610_001_create_listings\n");
  EXPECT_EQ(query("SELECT to_regclass('listings') IS NULL, count(*) FROM schema_migrations"),
            "t|0\n");
}

}  // namespace
