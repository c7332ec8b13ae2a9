// The database file itself: where and with which modes it is created, WAL, the numbered
// migrations (applied once, recorded, upgraded in place, a newer schema refused), a corrupt file
// refused with its path, and the schema's own guards seen through a second, raw connection
// (what an operator with the sqlite3 shell would get).
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "store_test_util.h"

namespace shipgate::store {
namespace {

using testutil::openOrDie;

// A raw connection to state.db, for looking under the store.
class Raw {
 public:
  explicit Raw(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << "open " << path << ": " << sqlite3_errmsg(db_);
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~Raw() { sqlite3_close(db_); }
  // Runs sql; "" when it succeeds, else the error message.
  std::string exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return "";
    std::string msg = err ? err : "error";
    sqlite3_free(err);
    return msg;
  }
  // The first column of every row, as text.
  std::vector<std::string> column(const std::string& sql) {
    std::vector<std::string> out;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
      ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
      return out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 0);
      out.emplace_back(t ? reinterpret_cast<const char*>(t) : "NULL");
    }
    sqlite3_finalize(st);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

mode_t modeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(StoreSchema, CreatesPrivateDirectoryAndFileInWalMode) {
  testsupport::TempDir tmp("shipgate-store");
  const std::string dir = tmp.file("nested/state");
  auto store = openOrDie(dir);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->path(), dir + "/state.db");
  EXPECT_EQ(modeOf(dir), 0700u);
  EXPECT_EQ(modeOf(store->path()), 0600u);
  Raw raw(store->path());
  EXPECT_EQ(raw.column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST(StoreSchema, MigrationsAppliedOnceAndRecorded) {
  testsupport::TempDir tmp("shipgate-store");
  std::vector<std::string> first_applied;
  {
    auto store = openOrDie(tmp.path());
    ASSERT_NE(store, nullptr);
    auto version = store->schemaVersion();
    ASSERT_TRUE(version.isOk());
    EXPECT_EQ(*version, SqliteStateStore::kSchemaVersion);
    ASSERT_TRUE(store->upsertApp(testutil::app("api")).isOk());
    Raw raw(store->path());
    std::vector<std::string> want;
    for (const Migration& m : SqliteStateStore::migrations()) {
      want.push_back(std::to_string(m.version) + " " + std::string(m.name));
    }
    EXPECT_EQ(raw.column("SELECT version || ' ' || name FROM schema_migrations ORDER BY version"),
              want);
    first_applied = raw.column("SELECT applied_at FROM schema_migrations ORDER BY version");
  }
  // Opening again applies nothing again: same rows, same times, data kept.
  auto store = openOrDie(tmp.path());
  ASSERT_NE(store, nullptr);
  Raw raw(store->path());
  EXPECT_EQ(raw.column("SELECT applied_at FROM schema_migrations ORDER BY version"), first_applied);
  EXPECT_TRUE(store->findApp("api").isOk());
}

TEST(StoreSchema, OlderDatabaseIsUpgradedInPlaceKeepingItsData) {
  testsupport::TempDir tmp("shipgate-store");
  {
    SqliteStateStore::Options old;
    old.migrate_up_to_for_test = 1;
    auto store = SqliteStateStore::open(tmp.path(), old);
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    EXPECT_EQ(*(*store)->schemaVersion(), 1);
    ASSERT_TRUE((*store)->upsertApp(testutil::app("api")).isOk());
    ASSERT_TRUE((*store)->appendAudit(testutil::audit("deploy", "d-1")).isOk());
    // Version 2's tables are not there yet.
    EXPECT_FALSE((*store)->slotStates("api").isOk());
  }
  auto store = openOrDie(tmp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->schemaVersion(), SqliteStateStore::kSchemaVersion);
  EXPECT_EQ(store->listAudit(0, 0)->size(), 1u);
  EXPECT_TRUE(store->setSlotState(SlotRecord{"api", "blue", "v1", SlotState::kLive, 1}).isOk());
}

// A migration that fails part-way (its second table's name is taken) leaves nothing of itself:
// the database stays at the previous version, the error names the file and the migration, and
// once the obstacle is gone the next open applies it.
TEST(StoreSchema, FailedMigrationAppliesNothingAndIsRetriedAtTheNextOpen) {
  testsupport::TempDir tmp("shipgate-store");
  SqliteStateStore::Options old;
  old.migrate_up_to_for_test = 1;
  std::string path;
  {
    auto store = SqliteStateStore::open(tmp.path(), old);
    ASSERT_TRUE(store.isOk()) << store.status().toString();
    path = (*store)->path();
  }
  {
    Raw raw(path);
    ASSERT_EQ(raw.exec("CREATE TABLE runtime_state (x INTEGER)"), "");
  }
  auto refused = SqliteStateStore::open(tmp.path());
  ASSERT_FALSE(refused.isOk());
  const std::string& msg = refused.status().message();
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("migration 2"), std::string::npos) << msg;
  {
    Raw raw(path);
    EXPECT_EQ(raw.column("SELECT MAX(version) FROM schema_migrations"),
              std::vector<std::string>{"1"});
    // Its first table (created before the failing statement) was rolled back with it.
    EXPECT_EQ(raw.column("SELECT name FROM sqlite_master WHERE name = 'slots'"),
              std::vector<std::string>{});
    ASSERT_EQ(raw.exec("DROP TABLE runtime_state"), "");
  }
  auto store = testutil::openOrDie(tmp.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->schemaVersion(), SqliteStateStore::kSchemaVersion);
  EXPECT_TRUE(store->putRuntimeState("k", "{}", 1).isOk());
}

TEST(StoreSchema, NewerSchemaIsRefusedAndLeftAlone) {
  testsupport::TempDir tmp("shipgate-store");
  std::string path;
  {
    auto store = openOrDie(tmp.path());
    ASSERT_NE(store, nullptr);
    path = store->path();
  }
  const int future = SqliteStateStore::kSchemaVersion + 1;
  {
    Raw raw(path);
    ASSERT_EQ(raw.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(future) +
                       ", 'from the future', 1)"),
              "");
  }
  auto refused = SqliteStateStore::open(tmp.path());
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), Status::Code::kFailedPrecondition);
  const std::string& msg = refused.status().message();
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("schema version " + std::to_string(future)), std::string::npos) << msg;
  EXPECT_NE(msg.find("newer"), std::string::npos) << msg;
  Raw raw(path);
  EXPECT_EQ(raw.column("SELECT COUNT(*) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(SqliteStateStore::kSchemaVersion + 1)});
}

TEST(StoreSchema, CorruptFileIsRefusedWithItsPath) {
  testsupport::TempDir tmp("shipgate-store");
  const std::string path = tmp.writeFile("state.db", std::string(8192, 'x'));
  ASSERT_FALSE(path.empty());
  auto refused = SqliteStateStore::open(tmp.path());
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find(path), std::string::npos) << refused.status().message();
  // The file is not replaced by an empty database.
  EXPECT_EQ(testsupport::readFile(path), std::string(8192, 'x'));
}

TEST(StoreSchema, DirectoryThatIsAFileIsRefusedWithItsPath) {
  testsupport::TempDir tmp("shipgate-store");
  const std::string file = tmp.writeFile("plain", "not a directory");
  auto refused = SqliteStateStore::open(file);
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), Status::Code::kIoError);
  EXPECT_NE(refused.status().message().find(file), std::string::npos);
}

TEST(StoreSchema, AuditLogRefusesUpdateAndDeleteEvenFromRawSql) {
  testsupport::TempDir tmp("shipgate-store");
  auto store = openOrDie(tmp.path());
  ASSERT_NE(store, nullptr);
  auto id = store->appendAudit(testutil::audit("rollback", "api"));
  ASSERT_TRUE(id.isOk());
  Raw raw(store->path());
  EXPECT_NE(raw.exec("UPDATE audit_log SET reason = 'nothing happened'").find("append-only"),
            std::string::npos);
  EXPECT_NE(raw.exec("DELETE FROM audit_log").find("append-only"), std::string::npos);
  auto entries = store->listAudit(0, 0);
  ASSERT_TRUE(entries.isOk());
  ASSERT_EQ(entries->size(), 1u);
  EXPECT_EQ((*entries)[0].reason, "because");
  // Releases too.
  ASSERT_TRUE(store->upsertApp(testutil::app("api")).isOk());
  ASSERT_TRUE(store->createRelease(testutil::release("api", "v1")).isOk());
  EXPECT_NE(raw.exec("UPDATE releases SET artifact = '/tmp/evil'").find("immutable"),
            std::string::npos);
  EXPECT_EQ(store->findRelease("api", "v1")->artifact, testutil::release("api", "v1").artifact);
}

TEST(StoreSchema, TwoStoresOnOneDirectorySeeEachOthersCommits) {
  testsupport::TempDir tmp("shipgate-store");
  auto a = openOrDie(tmp.path());
  auto b = openOrDie(tmp.path());
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(a->putRuntimeState("routing_overlay", R"({"v":1})", 1).isOk());
  EXPECT_EQ(*b->getRuntimeState("routing_overlay"), std::optional<std::string>(R"({"v":1})"));
  ASSERT_TRUE(b->putRuntimeState("routing_overlay", R"({"v":2})", 2).isOk());
  EXPECT_EQ(*a->getRuntimeState("routing_overlay"), std::optional<std::string>(R"({"v":2})"));
}

}  // namespace
}  // namespace shipgate::store

namespace shipgate::store {
namespace {

// Another process (here: a raw connection) holding the write lock: a write waits out the busy
// timeout, then fails as Unavailable naming the file, and changes nothing; once the lock is
// gone the same write goes through.
TEST(StoreSchema, WriteLockHeldElsewhereGivesUnavailableAfterTheBusyTimeout) {
  testsupport::TempDir tmp("shipgate-store");
  SqliteStateStore::Options quick;
  quick.busy_timeout = std::chrono::milliseconds(100);
  auto opened = SqliteStateStore::open(tmp.path(), quick);
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  SqliteStateStore& store = **opened;
  Raw other(store.path());
  ASSERT_EQ(other.exec("BEGIN IMMEDIATE"), "");
  Status busy = store.putRuntimeState("k", "1", 1);
  EXPECT_EQ(busy.code(), Status::Code::kUnavailable) << busy.toString();
  EXPECT_NE(busy.message().find(store.path()), std::string::npos) << busy.message();
  // Reads are not blocked by a writer (WAL).
  EXPECT_TRUE(store.getRuntimeState("k").isOk());
  ASSERT_EQ(other.exec("COMMIT"), "");
  EXPECT_EQ(*store.getRuntimeState("k"), std::nullopt);
  ASSERT_TRUE(store.putRuntimeState("k", "1", 1).isOk());
  EXPECT_EQ(*store.getRuntimeState("k"), std::optional<std::string>("1"));
}

// state.db that cannot be opened as a file (a directory in its place: refused even for root).
TEST(StoreSchema, UnopenableFileIsRefusedWithItsPath) {
  testsupport::TempDir tmp("shipgate-store");
  const std::string path = tmp.file("state.db");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  auto refused = SqliteStateStore::open(tmp.path());
  ASSERT_FALSE(refused.isOk());
  EXPECT_EQ(refused.status().code(), Status::Code::kIoError);
  EXPECT_NE(refused.status().message().find(path), std::string::npos) << refused.status().message();
}

}  // namespace
}  // namespace shipgate::store

namespace shipgate::store {
namespace {

// Opening state.db again while this process already has a connection on it (the secrets and
// flag stores open their own beside the state store's, in either order) must not drop the
// process's POSIX locks on the file: closing any descriptor of a file drops them all, and then
// another process that closes its connection takes itself for the last one and checkpoints and
// deletes the WAL under the live connection. Here: a raw connection opens the file, the store
// opens it again, and another process (python's sqlite3) opens and closes it: the WAL must still
// be there, and the raw connection must still read what it wrote.
TEST(StoreSchema, OpeningTheFileAgainKeepsTheLocksOfTheConnectionsAlreadyOpen) {
  testsupport::TempDir tmp("shipgate-store");
  auto first = openOrDie(tmp.path());
  ASSERT_NE(first, nullptr);
  const std::string path = first->path();
  first.reset();
  Raw raw(path);
  ASSERT_EQ(raw.exec("PRAGMA journal_mode=WAL"), "");
  ASSERT_EQ(raw.exec("CREATE TABLE kept (v TEXT); INSERT INTO kept VALUES ('written')"), "");
  ASSERT_TRUE(std::filesystem::exists(path + "-wal"));

  auto again = SqliteStateStore::open(tmp.path());
  ASSERT_TRUE(again.isOk()) << again.status().toString();

  const std::string other =
      "python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
      "c.execute(\"SELECT COUNT(*) FROM kept\").fetchall(); c.close()' '" +
      path + "'";
  ASSERT_EQ(std::system(other.c_str()), 0) << other;
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"))
      << "another process closing its connection removed the WAL under this process's";
  EXPECT_EQ(raw.column("SELECT v FROM kept"), std::vector<std::string>{"written"});
  EXPECT_EQ(raw.exec("INSERT INTO kept VALUES ('after')"), "");
  EXPECT_EQ(raw.column("SELECT COUNT(*) FROM kept"), std::vector<std::string>{"2"});
}

}  // namespace
}  // namespace shipgate::store
