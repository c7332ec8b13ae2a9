// The flag store on both backends -- SQLite in the state directory and PostgreSQL at state.url
// (one real server per binary, a fresh database per test) -- through openFlagStore, as the CLI
// and serve open it: versions, CAS, unchanged definitions, history, audit, the change mark,
// the live snapshot, and the audit table's refusal of edits.
#include <SQLiteCpp/Database.h>
#include <gtest/gtest.h>

#include "shipgate/flags/flag_store.h"
#include "shipgate/flags/live_flags.h"
#include "shipgate/store/postgres_connection.h"
#include "support/paths.h"
#include "support/postgres_test_db.h"

namespace shipgate::flags {
namespace {

using testsupport::Backend;

Flag flag(const std::string& key, const std::string& def_variant, bool enabled = true) {
  ParsedDefinitions p = definitionsFromJson(
      nlohmann::json{{"state", enabled ? "ENABLED" : "DISABLED"},
                     {"variants", {{"on", true}, {"off", false}}},
                     {"defaultVariant", def_variant}},
      key);
  EXPECT_TRUE(p.ok());
  return p.flags.at(0);
}

class FlagStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok()) << dir_.error();
    if (GetParam() == Backend::kPostgres) {
      ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
    }
    auto s = openFlagStore(dir_.path(), url_);
    ASSERT_TRUE(s.isOk()) << s.status().toString();
    store_ = std::move(s).value();
  }
  testsupport::TempDir dir_;
  std::string url_;
  std::unique_ptr<FlagStore> store_;
};

TEST_P(FlagStoreTest, VersionsHistoryAndAudit) {
  auto r = store_->set("production", {flag("a", "off"), flag("b", "on")}, std::nullopt, "alice",
                       "first", 1000);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_EQ(r->written.size(), 2u);
  EXPECT_EQ(r->written[0].version, 1);
  // The same definitions again write nothing.
  r = store_->set("production", {flag("a", "off"), flag("b", "off")}, std::nullopt, "bob",
                  "b off", 2000);
  ASSERT_TRUE(r.isOk());
  ASSERT_EQ(r->written.size(), 1u);
  EXPECT_EQ(r->written[0].key, "b");
  EXPECT_EQ(r->written[0].version, 2);
  EXPECT_EQ(r->unchanged, std::vector<std::string>{"a"});

  auto b = store_->get("production", "b");
  ASSERT_TRUE(b.isOk());
  EXPECT_EQ(b->version, 2);
  EXPECT_EQ(b->created_by, "bob");
  EXPECT_EQ(b->reason, "b off");
  EXPECT_EQ(b->created_at, 2000);
  EXPECT_EQ(b->definition["defaultVariant"], "off");
  auto b1 = store_->get("production", "b", 1);
  ASSERT_TRUE(b1.isOk());
  EXPECT_EQ(b1->definition["defaultVariant"], "on");
  EXPECT_EQ(store_->get("production", "zzz").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(store_->get("staging", "a").status().code(), Status::Code::kNotFound);

  auto hist = store_->history("production", "b");
  ASSERT_TRUE(hist.isOk());
  ASSERT_EQ(hist->size(), 2u);
  EXPECT_EQ((*hist)[0].created_by, "alice");
  EXPECT_EQ((*hist)[1].created_by, "bob");

  auto list = store_->list("production");
  ASSERT_TRUE(list.isOk());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].key, "a");
  EXPECT_EQ((*list)[1].version, 2);

  auto audit = store_->audit("production");
  ASSERT_TRUE(audit.isOk());
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].action, "create");
  EXPECT_EQ((*audit)[2].action, "update");
  EXPECT_EQ((*audit)[2].actor, "bob");
  EXPECT_EQ((*audit)[2].reason, "b off");
  EXPECT_EQ(store_->changeMark().value(), 3);

  auto in_force = store_->versionsInForce("production");
  ASSERT_TRUE(in_force.isOk());
  EXPECT_EQ(in_force.value(), (std::map<std::string, int64_t>{{"a", 1}, {"b", 2}}));
}

TEST_P(FlagStoreTest, CompareAndSet) {
  ASSERT_TRUE(store_->set("staging", {flag("a", "off")}, 0, "alice", "", 1).isOk());
  auto stale = store_->set("staging", {flag("a", "on")}, 0, "bob", "", 2);
  ASSERT_FALSE(stale.isOk());
  EXPECT_EQ(stale.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(stale.status().message(), "flag 'a' in staging is at version 1, not 0 (--cas)");
  ASSERT_TRUE(store_->set("staging", {flag("a", "on")}, 1, "bob", "", 3).isOk());
  EXPECT_EQ(store_->get("staging", "a")->version, 2);
  auto two = store_->set("staging", {flag("a", "on"), flag("b", "on")}, 1, "bob", "", 3);
  EXPECT_EQ(two.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(store_->set("Bad Env", {flag("a", "on")}, std::nullopt, "x", "", 1).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_P(FlagStoreTest, SnapshotSeesAnotherWriter) {
  ASSERT_TRUE(store_->set("production", {flag("a", "off")}, std::nullopt, "x", "", 1).isOk());
  LiveFlags live;
  FlagsPoller poller(*store_, live, Millis(60'000));
  ASSERT_TRUE(poller.start().isOk());
  auto snap = live.current();
  ASSERT_NE(snap->environment("production"), nullptr);
  EXPECT_EQ(snap->environment("production")->versions.at("a"), 1);
  // Another process (a second store on the same database) writes; a poll picks it up.
  auto other = openFlagStore(dir_.path(), url_);
  ASSERT_TRUE(other.isOk());
  ASSERT_TRUE(other.value()->set("production", {flag("a", "on")}, std::nullopt, "y", "", 2).isOk());
  poller.pollNow();
  snap = live.current();
  EXPECT_EQ(snap->environment("production")->versions.at("a"), 2);
  EXPECT_EQ(snap->environment("production")->flags.at("a").default_variant, "on");
  poller.stop();
}

TEST_P(FlagStoreTest, AuditRefusesEdits) {
  ASSERT_TRUE(store_->set("production", {flag("a", "off")}, std::nullopt, "x", "", 1).isOk());
  if (GetParam() == Backend::kSqlite) {
    SQLite::Database db(dir_.path() + "/state.db", SQLite::OPEN_READWRITE);
    EXPECT_THROW(db.exec("DELETE FROM flags_audit"), SQLite::Exception);
    EXPECT_THROW(db.exec("UPDATE flags_audit SET actor = 'mallory'"), SQLite::Exception);
    EXPECT_THROW(db.exec("UPDATE flags_versions SET created_by = 'mallory'"), SQLite::Exception);
  } else {
    auto conn = store::pg::PgConnection::connect(url_);
    ASSERT_TRUE(conn.isOk());
    EXPECT_FALSE(conn.value()->run("DELETE FROM flags_audit").isOk());
    EXPECT_FALSE(conn.value()->run("TRUNCATE flags_audit").isOk());
    EXPECT_FALSE(conn.value()->run("UPDATE flags_versions SET created_by = 'm'").isOk());
  }
  EXPECT_EQ(store_->audit("")->size(), 1u);
}

TEST_P(FlagStoreTest, ReopenKeepsSchema) {
  ASSERT_TRUE(store_->set("production", {flag("a", "off")}, std::nullopt, "x", "", 1).isOk());
  store_.reset();
  auto again = openFlagStore(dir_.path(), url_);
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(again.value()->get("production", "a")->version, 1);
}

INSTANTIATE_BACKENDS(FlagStoreTest);

}  // namespace
}  // namespace shipgate::flags
