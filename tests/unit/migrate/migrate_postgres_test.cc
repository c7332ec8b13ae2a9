// migrate() / rollback() / status() against a real PostgreSQL server (a fresh database per test);
// the CLI's tests are tests/integration/db_migrate/. A server that cannot start fails.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "shipgate/migrate/migrations.h"
#include "support/paths.h"
#include "support/postgres_test_db.h"

namespace {

using namespace shipgate::migrate;
using shipgate::store::pg::PgConnection;

class MigratePostgres : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
  }
  std::unique_ptr<PgConnection> connect() {
    auto c = PgConnection::connect(url_);
    EXPECT_TRUE(c.isOk()) << c.status().message();
    return c.isOk() ? std::move(c).value() : nullptr;
  }
  std::vector<Migration> load() {
    auto m = loadMigrations(dir_.path());
    EXPECT_TRUE(m.isOk()) << m.status().message();
    return m.isOk() ? *m : std::vector<Migration>{};
  }
  std::string one(PgConnection& c, const std::string& sql) {
    auto r = c.exec(sql);
    EXPECT_TRUE(r.isOk()) << r.status().message();
    return r.isOk() && r->rows() > 0 ? r->text(0, 0) : "";
  }
  testsupport::TempDir dir_{"shipgate-migrate-pg"};
  std::string url_;
};

TEST_F(MigratePostgres, FailingMigrationRollsBackAloneWithItsPosition) {
  ASSERT_FALSE(dir_.writeFile("20250101_001_a.up.sql", "CREATE TABLE a (id int);\n").empty());
  ASSERT_FALSE(dir_.writeFile("20250101_002_b.up.sql",
                              "CREATE TABLE b (id int);\n-- é\n  INSERT INTO nope VALUES (1);\n")
                   .empty());
  ASSERT_FALSE(dir_.writeFile("20250101_003_c.up.sql", "CREATE TABLE c (id int);\n").empty());
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  auto r = migrate(*conn, load(), {"tester", ""});
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find(
                "20250101_002_b.up.sql:3:15: relation \"nope\" does not exist (SQLSTATE 42P01)"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(one(*conn, "SELECT string_agg(id, ',') FROM schema_migrations"), "20250101_001");
  EXPECT_EQ(one(*conn, "SELECT to_regclass('b') IS NULL AND to_regclass('c') IS NULL"), "t");
  auto st = status(*conn, load());
  ASSERT_TRUE(st.isOk());
  ASSERT_EQ(st->size(), 3u);
  EXPECT_EQ((*st)[0].state, State::kApplied);
  EXPECT_EQ((*st)[0].applied_by, "tester");
  EXPECT_EQ((*st)[1].state, State::kPending);
  EXPECT_EQ((*st)[2].state, State::kPending);
}

TEST_F(MigratePostgres, ConcurrentMigratorsApplyEachMigrationOnce) {
  ASSERT_FALSE(dir_.writeFile("20250101_001_t.up.sql", "CREATE TABLE runs (m int);\n").empty());
  for (int i = 2; i <= 6; ++i) {
    ASSERT_FALSE(dir_.writeFile("20250101_00" + std::to_string(i) + "_s.up.sql",
                                "INSERT INTO runs VALUES (" + std::to_string(i) +
                                    "); SELECT pg_sleep(0.05);\n")
                     .empty());
  }
  const std::vector<Migration> ms = load();
  auto c1 = connect(), c2 = connect();
  ASSERT_TRUE(c1 && c2);
  shipgate::Result<std::vector<std::string>> r1 = std::vector<std::string>{},
                                              r2 = std::vector<std::string>{};
  std::thread t1([&] { r1 = migrate(*c1, ms, {"one", ""}); });
  std::thread t2([&] { r2 = migrate(*c2, ms, {"two", ""}); });
  t1.join();
  t2.join();
  ASSERT_TRUE(r1.isOk()) << r1.status().message();
  ASSERT_TRUE(r2.isOk()) << r2.status().message();
  EXPECT_EQ(r1->size() + r2->size(), 6u);
  EXPECT_EQ(one(*c1, "SELECT count(*) || '/' || count(DISTINCT m) FROM runs"), "5/5");
}

TEST_F(MigratePostgres, RollbackRefusesAnUnappliedIdAndAMissingDownFile) {
  ASSERT_FALSE(dir_.writeFile("20250101_001_a.up.sql", "CREATE TABLE a (id int);\n").empty());
  ASSERT_FALSE(dir_.writeFile("20250101_002_b.up.sql", "CREATE TABLE b (id int);\n").empty());
  ASSERT_FALSE(dir_.writeFile("20250101_002_b.down.sql", "DROP TABLE b;\n").empty());
  auto conn = connect();
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(migrate(*conn, load(), {"t", ""}).isOk());
  auto missing = rollback(*conn, load(), "20250101_001");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(),
            "cannot roll back to 20250101_001; nothing was rolled back:\n"
            "  20250101_001_a: no down file 20250101_001_a.down.sql");
  EXPECT_EQ(one(*conn, "SELECT count(*) FROM schema_migrations"), "2");
  auto unknown = rollback(*conn, load(), "20250101_009");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().message(),
            "migration 20250101_009 is not applied; nothing was rolled back");
  auto ok = rollback(*conn, load(), "20250101_002");
  ASSERT_TRUE(ok.isOk()) << ok.status().message();
  EXPECT_EQ(*ok, std::vector<std::string>{"20250101_002_b"});
  EXPECT_EQ(one(*conn, "SELECT to_regclass('b') IS NULL"), "t");
}

}  // namespace
