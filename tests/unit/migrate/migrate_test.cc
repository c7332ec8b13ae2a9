// Migration file names, the folder reader, positions and the `database:` config section.
#include <gtest/gtest.h>

#include <string>

#include "shipgate/config/loader.h"
#include "shipgate/migrate/migrate_config.h"
#include "shipgate/migrate/migrations.h"
#include "support/paths.h"

namespace {

using namespace shipgate::migrate;

TEST(MigrationFileName, ParsesUpAndDownFiles) {
  auto up = parseMigrationFileName("20250615_001_add_users.up.sql");
  ASSERT_TRUE(up.isOk()) << up.status().message();
  EXPECT_EQ(up->id, "20250615_001");
  EXPECT_EQ(up->name, "add_users");
  EXPECT_TRUE(up->up);
  auto down = parseMigrationFileName("20250615_002_x9.down.sql");
  ASSERT_TRUE(down.isOk());
  EXPECT_EQ(down->id, "20250615_002");
  EXPECT_FALSE(down->up);
}

TEST(MigrationFileName, RefusesBadNamesSayingWhy) {
  struct Case {
    const char* name;
    const char* why;
  } cases[] = {
      {"20250615_001_add.sql", "does not end in .up.sql or .down.sql"},
      {"2025061_001_add.up.sql", "does not start with YYYYMMDD_NNN_"},
      {"2025x615_001_add.up.sql", "the date is not 8 digits"},
      {"20251315_001_add.up.sql", "has no such month or day"},
      {"20250600_001_add.up.sql", "has no such month or day"},
      {"20250615_0a1_add.up.sql", "the sequence number is not 3 digits"},
      {"20250615_001_.up.sql", "does not start with YYYYMMDD_NNN_"},
      {"20250615_001_Add.up.sql", "only a-z, 0-9 and _"},
      {"20250615_001_a-b.up.sql", "only a-z, 0-9 and _"},
  };
  for (const Case& c : cases) {
    auto r = parseMigrationFileName(c.name);
    ASSERT_FALSE(r.isOk()) << c.name;
    EXPECT_NE(r.status().message().find(std::string("\"") + c.name + "\""), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find(c.why), std::string::npos) << r.status().message();
  }
}

TEST(MigrationFileName, QuotesHostileNamesEscaped) {
  auto r = parseMigrationFileName(std::string("a\n\x1b[31m.up.sql"));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("\"a\\x0a\\x1b[31m.up.sql\""), std::string::npos)
      << r.status().message();
}

TEST(LineColumn, CountsCharactersNotBytes) {
  EXPECT_EQ(lineColumn("SELECT 1;\nSELEC 2;", 11), "2:1");
  EXPECT_EQ(lineColumn("SELECT 1;\nSELEC 2;", 1), "1:1");
  EXPECT_EQ(lineColumn("-- é\nBAD", 6), "2:1");
  EXPECT_EQ(lineColumn("ab", 3), "1:3");
}

TEST(LoadMigrations, SortsByIdAndPairsDownFiles) {
  testsupport::TempDir dir("shipgate-migrations");
  ASSERT_TRUE(dir.ok());
  ASSERT_FALSE(dir.writeFile("20250102_001_b.up.sql", "B").empty());
  ASSERT_FALSE(dir.writeFile("20250101_002_a.up.sql", "A").empty());
  ASSERT_FALSE(dir.writeFile("20250101_002_a.down.sql", "undo A").empty());
  ASSERT_FALSE(dir.writeFile("README.md", "not a migration").empty());
  auto m = loadMigrations(dir.path());
  ASSERT_TRUE(m.isOk()) << m.status().message();
  ASSERT_EQ(m->size(), 2u);
  EXPECT_EQ((*m)[0].label(), "20250101_002_a");
  EXPECT_TRUE((*m)[0].down_path.has_value());
  EXPECT_EQ((*m)[1].label(), "20250102_001_b");
  EXPECT_FALSE((*m)[1].down_path.has_value());
  EXPECT_EQ((*m)[0].checksum, sha256Hex("A"));
  EXPECT_EQ(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(LoadMigrations, RefusesDuplicateIdsAndOrphanDownFiles) {
  testsupport::TempDir dir("shipgate-migrations");
  ASSERT_FALSE(dir.writeFile("20250101_001_a.up.sql", "A").empty());
  ASSERT_FALSE(dir.writeFile("20250101_001_b.up.sql", "B").empty());
  auto dup = loadMigrations(dir.path());
  ASSERT_FALSE(dup.isOk());
  EXPECT_EQ(dup.status().message(),
            "migration file 20250101_001_b.up.sql: id 20250101_001 is also used by "
            "20250101_001_a.up.sql");
  testsupport::TempDir dir2("shipgate-migrations");
  ASSERT_FALSE(dir2.writeFile("20250101_001_a.up.sql", "A").empty());
  ASSERT_FALSE(dir2.writeFile("20250101_002_c.down.sql", "C").empty());
  auto orphan = loadMigrations(dir2.path());
  ASSERT_FALSE(orphan.isOk());
  EXPECT_EQ(orphan.status().message(),
            "migration file 20250101_002_c.down.sql: no up file of the same id and name");
}

TEST(DatabaseSection, ReadsUrlAndFolderBesideTheConfig) {
  auto section = databaseSection();
  auto loaded = shipgate::config::loadString(
      "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
      "database: {url: \"postgres://app@127.0.0.1:5432/coin\", migrations: db/migrations}\n",
      "/etc/shipgate/shipgate.yaml", {section.get()});
  ASSERT_NE(loaded.config, nullptr);
  for (const auto& d : loaded.diagnostics) ADD_FAILURE() << d.toString();
  auto settings = databaseConfigOf(*loaded.config);
  ASSERT_NE(settings, nullptr);
  EXPECT_EQ(settings->url, "postgres://app@127.0.0.1:5432/coin");
  EXPECT_EQ(settings->migrations_dir, "/etc/shipgate/db/migrations");
}

TEST(DatabaseSection, ReportsMissingAndBadKeysWhereTheyAre) {
  auto section = databaseSection();
  auto loaded = shipgate::config::loadString(
      "listeners: [{name: http, address: \"127.0.0.1:0\"}]\n"
      "database:\n  url: \"mysql://x\"\n  colour: red\n",
      "/etc/shipgate/shipgate.yaml", {section.get()});
  std::string all;
  for (const auto& d : loaded.diagnostics) all += d.toString() + "\n";
  EXPECT_NE(all.find("shipgate.yaml:3:"), std::string::npos) << all;
  EXPECT_NE(all.find("database.url"), std::string::npos) << all;
  EXPECT_NE(all.find("database.migrations: missing"), std::string::npos) << all;
  EXPECT_NE(all.find("colour"), std::string::npos) << all;
}

}  // namespace
