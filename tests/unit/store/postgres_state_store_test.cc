// What only the PostgreSQL backend has to show, on a real server: several processes' connections
// writing at once (one unfinished deployment per app, migrations on an empty database), the change
// notifications and the change counter, reconnecting, durability over a SIGKILL of the client,
// and the errors for an unreachable server and a bad URL.
#include "shipgate/store/postgres_state_store.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

#include "shipgate/store/postgres_connection.h"
#include "store_test_util.h"
#include "support/net.h"

namespace shipgate::store {
namespace {

using namespace std::chrono_literals;
using pg::PgConnection;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(testsupport::freshPostgresDatabase(&url_));
    server_ = testsupport::sharedPostgres(nullptr);
    ASSERT_NE(server_, nullptr);
  }
  std::unique_ptr<PostgresStateStore> open() {
    auto store = PostgresStateStore::open(url_);
    EXPECT_TRUE(store.isOk()) << store.status().toString();
    return store.isOk() ? std::move(store).value() : nullptr;
  }
  // A store with app "api" and its releases v1, v2.
  std::unique_ptr<PostgresStateStore> openWithApi() {
    auto store = open();
    if (!store) return nullptr;
    EXPECT_TRUE(store->upsertApp(testutil::app("api")).isOk());
    EXPECT_TRUE(store->createRelease(testutil::release("api", "v1")).isOk());
    EXPECT_TRUE(store->createRelease(testutil::release("api", "v2")).isOk());
    return store;
  }
  std::unique_ptr<PgConnection> listener() {
    auto conn = PgConnection::connect(url_);
    EXPECT_TRUE(conn.isOk()) << conn.status().toString();
    if (!conn.isOk()) return nullptr;
    EXPECT_TRUE((*conn)->run("LISTEN shipgate_state").isOk());
    return std::move(conn).value();
  }
  // The next notification's payload, or "" when none comes within `wait`.
  static std::string next(PgConnection& conn, std::chrono::milliseconds wait = 10s) {
    auto n = conn.waitForNotification(wait);
    EXPECT_TRUE(n.isOk()) << n.status().toString();
    if (!n.isOk() || !n->has_value()) return "";
    EXPECT_EQ((*n)->channel, "shipgate_state");
    return (*n)->payload;
  }
  std::string psqlValue(const std::string& sql) {
    std::string out;
    EXPECT_TRUE(server_->psql(sql, &out, dbname()));
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
  }
  std::string dbname() const { return url_.substr(url_.rfind('/') + 1); }

  std::string url_;
  testsupport::PostgresServer* server_ = nullptr;
};

TEST_F(PostgresStoreTest, TwoConnectionsCreatingADeploymentForOneAppOnlyOneSucceeds) {
  auto a = openWithApi();
  auto b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  // Deterministic overlap: a's deployment is written but not committed while b tries.
  std::atomic<bool> b_done{false};
  Result<std::string> b_result = Status::internal("not run");
  std::thread other;
  Status a_status = a->atomically([&]() -> Status {
    auto id = a->createDeployment(testutil::deployment("api", "v2"));
    if (!id.isOk()) return id.status();
    other = std::thread([&] {
      b_result = b->createDeployment(testutil::deployment("api", "v2"));
      b_done = true;
    });
    // b waits on the app's row lock (no timing asserted: a correct store waits however long).
    std::this_thread::sleep_for(200ms);
    EXPECT_FALSE(b_done.load());
    return Status::success();
  });
  if (other.joinable()) other.join();
  ASSERT_TRUE(a_status.isOk()) << a_status.toString();
  ASSERT_FALSE(b_result.isOk());
  EXPECT_EQ(b_result.status().code(), Status::Code::kFailedPrecondition)
      << b_result.status().toString();
  EXPECT_NE(b_result.status().message().find("already has an unfinished deployment: d-1"),
            std::string::npos)
      << b_result.status().message();

  // And racing outright, round after round: exactly one of the two wins each time.
  for (int round = 0; round < 10; ++round) {
    auto unfinished = a->unfinishedDeployments();
    ASSERT_TRUE(unfinished.isOk());
    for (DeploymentRecord d : *unfinished) {
      d.state = DeploymentState::kSucceeded;
      ASSERT_TRUE(a->updateDeployment(d).isOk());
    }
    std::atomic<int> go{0};
    Result<std::string> ra = Status::internal("not run");
    Result<std::string> rb = Status::internal("not run");
    std::thread ta([&] {
      ++go;
      while (go < 2) {
      }
      ra = a->createDeployment(testutil::deployment("api", "v2"));
    });
    std::thread tb([&] {
      ++go;
      while (go < 2) {
      }
      rb = b->createDeployment(testutil::deployment("api", "v2"));
    });
    ta.join();
    tb.join();
    EXPECT_NE(ra.isOk(), rb.isOk())
        << "round " << round << ": " << ra.status().toString() << " / " << rb.status().toString();
    const Result<std::string>& loser = ra.isOk() ? rb : ra;
    EXPECT_EQ(loser.status().code(), Status::Code::kFailedPrecondition)
        << loser.status().toString();
  }
  auto unfinished = a->unfinishedDeployments();
  ASSERT_TRUE(unfinished.isOk());
  EXPECT_EQ(unfinished->size(), 1u);
}

TEST_F(PostgresStoreTest, SeveralStoresOpeningAnEmptyDatabaseAtOnceMigrateOnce) {
  constexpr int kStores = 4;
  std::vector<std::thread> threads;
  std::vector<Status> results(kStores);
  std::vector<std::unique_ptr<PostgresStateStore>> stores(kStores);
  for (int i = 0; i < kStores; ++i) {
    threads.emplace_back([&, i] {
      auto s = PostgresStateStore::open(url_);
      results[i] = s.status();
      if (s.isOk()) stores[i] = std::move(s).value();
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kStores; ++i) EXPECT_TRUE(results[i].isOk()) << results[i].toString();
  EXPECT_EQ(psqlValue("SELECT string_agg(version::text, ',' ORDER BY version) "
                      "FROM schema_migrations"),
            "1,2,3");
  ASSERT_NE(stores[0], nullptr);
  EXPECT_EQ(*stores[0]->schemaVersion(), PostgresStateStore::kSchemaVersion);
  EXPECT_EQ(PostgresStateStore::kSchemaVersion, SqliteStateStore::kSchemaVersion);
  // What one wrote, the others read.
  ASSERT_TRUE(stores[1]->putRuntimeState("k", "[1]", 1).isOk());
  EXPECT_EQ(*stores[3]->getRuntimeState("k"), std::optional<std::string>("[1]"));
}

TEST_F(PostgresStoreTest, MigrationNamesMatchTheSqliteBackends) {
  auto pg = PostgresStateStore::migrations();
  auto lite = SqliteStateStore::migrations();
  ASSERT_EQ(pg.size(), lite.size());
  for (size_t i = 0; i < pg.size(); ++i) {
    EXPECT_EQ(pg[i].version, lite[i].version);
    EXPECT_EQ(pg[i].name, lite[i].name);
  }
}

TEST_F(PostgresStoreTest, NotificationsArriveOnCommitWithTheNewVersionKindAndKey) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto listen = listener();
  ASSERT_NE(listen, nullptr);
  EXPECT_EQ(*store->stateVersion(), 0);

  ASSERT_TRUE(
      store->upsertEnvironment(EnvironmentRecord{"production", true, 1, true, 0, 1}).isOk());
  EXPECT_EQ(next(*listen), "1 environment production");
  ASSERT_TRUE(store->upsertApp(testutil::app("api")).isOk());
  EXPECT_EQ(next(*listen), "2 app api");
  ASSERT_TRUE(store->createRelease(testutil::release("api", "v2")).isOk());
  EXPECT_EQ(next(*listen), "3 release api/v2");
  auto id = store->createDeployment(testutil::deployment("api", "v2"));
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  EXPECT_EQ(next(*listen), "4 deployment " + *id);
  ASSERT_TRUE(
      store->saveStep(StepRecord{*id, 0, "preflight", StepState::kSucceeded, 0, 0, "", ""}).isOk());
  EXPECT_EQ(next(*listen), "5 deployment " + *id);
  DeploymentRecord d = *store->getDeployment(*id);
  d.state = DeploymentState::kBaking;
  ASSERT_TRUE(store->updateDeployment(d).isOk());
  EXPECT_EQ(next(*listen), "6 deployment " + *id);
  ASSERT_TRUE(store->setSlotState(SlotRecord{"api", "green", "v2", SlotState::kLive, 1}).isOk());
  EXPECT_EQ(next(*listen), "7 slot api/green");
  ASSERT_TRUE(store->putRuntimeState("routing/api", R"({"live":"green"})", 1).isOk());
  EXPECT_EQ(next(*listen), "8 runtime routing/api");
  auto incident = store->openIncident(IncidentRecord{0, "api", *id, "latency", "", 10, 0, 0});
  ASSERT_TRUE(incident.isOk());
  EXPECT_EQ(next(*listen), "9 incident " + std::to_string(*incident));
  ASSERT_TRUE(store->resolveIncident(*incident, 20).isOk());
  EXPECT_EQ(next(*listen), "10 incident " + std::to_string(*incident));
  ASSERT_TRUE(store->eraseRuntimeState("routing/api").isOk());
  EXPECT_EQ(next(*listen), "11 runtime routing/api");
  // Writes that change nothing a follower routes by do not notify, nor bump the counter.
  ASSERT_TRUE(store->eraseRuntimeState("never-there").isOk());
  ASSERT_TRUE(store->appendAudit(testutil::audit("deploy", *id)).isOk());
  ASSERT_TRUE(store
                  ->recordDelivery(DeliveryRecord{0, 1, "slack", "e", "", 1,
                                                  DeliveryOutcome::kDelivered, 200, ""})
                  .isOk());
  // A failed write changes nothing and notifies nothing.
  EXPECT_EQ(store->setSlotState(SlotRecord{"ghost", "blue", "v1", SlotState::kLive, 1}).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_EQ(*store->stateVersion(), 11);
  ASSERT_TRUE(store->putRuntimeState("after", "1", 1).isOk());
  EXPECT_EQ(next(*listen), "12 runtime after");
}

TEST_F(PostgresStoreTest, NoNotificationBeforeCommitNorForARolledBackTransaction) {
  auto store = open();
  ASSERT_NE(store, nullptr);
  auto listen = listener();
  ASSERT_NE(listen, nullptr);

  // Inside an open atomically(): written, not yet told.
  Status st = store->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(store->putRuntimeState("a", "1", 1));
    SG_RETURN_IF_ERROR(store->putRuntimeState("b", "2", 1));
    EXPECT_EQ(next(*listen, 300ms), "") << "a notification before the commit";
    return Status::success();
  });
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(next(*listen), "1 runtime a");
  EXPECT_EQ(next(*listen), "2 runtime b");

  // Rolled back: never told, and its versions are not used up.
  st = store->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(store->putRuntimeState("c", "3", 1));
    return Status::failedPrecondition("changed my mind");
  });
  EXPECT_EQ(st.code(), Status::Code::kFailedPrecondition);
  // A nested atomically() that fails: its notification goes with it; the outer one's stays.
  st = store->atomically([&]() -> Status {
    Status inner = store->atomically([&]() -> Status {
      SG_RETURN_IF_ERROR(store->putRuntimeState("d", "4", 1));
      return Status::unavailable("inner failed");
    });
    EXPECT_EQ(inner.code(), Status::Code::kUnavailable);
    return store->putRuntimeState("e", "5", 1);
  });
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(next(*listen), "3 runtime e");
  EXPECT_EQ(next(*listen, 300ms), "");
  EXPECT_EQ(*store->stateVersion(), 3);
  EXPECT_FALSE(store->getRuntimeState("c")->has_value());
  EXPECT_FALSE(store->getRuntimeState("d")->has_value());
}

TEST_F(PostgresStoreTest, AnotherProcessesWritesBumpTheVersionThisStoreReads) {
  auto a = open();
  auto b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const int64_t before = *b->stateVersion();
  ASSERT_TRUE(a->upsertApp(testutil::app("api")).isOk());
  ASSERT_TRUE(a->upsertApp(testutil::app("web")).isOk());
  EXPECT_EQ(*b->stateVersion(), before + 2);
  EXPECT_EQ(psqlValue("SELECT version FROM state_version"), std::to_string(before + 2));
}

TEST_F(PostgresStoreTest, AWriteWaitingOnAnotherNodesTransactionGivesUpUnavailable) {
  auto a = open();
  auto b = open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  Status blocked;
  Status st = a->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(a->putRuntimeState("k", "1", 1));
    blocked = b->putRuntimeState("k", "2", 2);  // waits for a's lock (5 s), then gives up
    return Status::success();
  });
  ASSERT_TRUE(st.isOk()) << st.toString();
  EXPECT_EQ(blocked.code(), Status::Code::kUnavailable) << blocked.toString();
  EXPECT_NE(blocked.message().find("lock timeout"), std::string::npos) << blocked.message();
  EXPECT_EQ(*b->getRuntimeState("k"), std::optional<std::string>("1"));
  EXPECT_TRUE(b->putRuntimeState("k", "3", 3).isOk());
}

TEST_F(PostgresStoreTest, ReconnectsOnceWhenTheServerDroppedAnIdleConnection) {
  auto store = openWithApi();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->putRuntimeState("k", "1", 1).isOk());
  EXPECT_EQ(psqlValue("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                      "application_name = 'shipgate' AND datname = '" +
                      dbname() + "'"),
            "1");
  auto read = store->getRuntimeState("k");
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_EQ(*read, std::optional<std::string>("1"));
  // And a write, after another drop.
  EXPECT_EQ(psqlValue("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE "
                      "application_name = 'shipgate' AND datname = '" +
                      dbname() + "'"),
            "1");
  EXPECT_TRUE(store->putRuntimeState("k", "2", 2).isOk());
  EXPECT_EQ(*store->getRuntimeState("k"), std::optional<std::string>("2"));
}

TEST_F(PostgresStoreTest, AConnectionLostInsideAtomicallyFailsTheTransactionWholeAndUnavailable) {
  auto store = openWithApi();
  ASSERT_NE(store, nullptr);
  Status st = store->atomically([&]() -> Status {
    SG_RETURN_IF_ERROR(store->putRuntimeState("x", "1", 1));
    std::string killed;
    EXPECT_TRUE(
        server_->psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                      "WHERE application_name = 'shipgate' AND datname = '" +
                          dbname() + "'",
                      &killed, dbname()));
    (void)store->putRuntimeState("y", "2", 2);  // fails; the body carries on regardless
    return Status::success();
  });
  EXPECT_EQ(st.code(), Status::Code::kUnavailable) << st.toString();
  EXPECT_FALSE(store->getRuntimeState("x")->has_value());
  EXPECT_FALSE(store->getRuntimeState("y")->has_value());
  EXPECT_TRUE(store->putRuntimeState("z", "3", 3).isOk());
}

TEST_F(PostgresStoreTest, ACommittedWriteSurvivesASigkillOfTheClient) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = PostgresStateStore::open(url_);
    if (!store.isOk()) _exit(2);
    if (!(*store)->upsertApp(testutil::app("api")).isOk()) _exit(3);
    if (!(*store)->putRuntimeState("durable", R"({"n":1})", 1).isOk()) _exit(4);
    // Killed right after the call returned: no destructor, no clean disconnect.
    ::raise(SIGKILL);
    _exit(5);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
  EXPECT_EQ(WTERMSIG(wstatus), SIGKILL);
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->getRuntimeState("durable"), std::optional<std::string>(R"({"n":1})"));
  EXPECT_TRUE(store->findApp("api").isOk());
}

TEST_F(PostgresStoreTest, TheSchemaKeepsItsGuardsAgainstRawSql) {
  auto store = openWithApi();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->appendAudit(testutil::audit("deploy", "d-1")).isOk());
  EXPECT_FALSE(server_->psql("UPDATE audit_log SET actor = 'mallory'", nullptr, dbname()));
  EXPECT_FALSE(server_->psql("DELETE FROM audit_log", nullptr, dbname()));
  EXPECT_FALSE(server_->psql("UPDATE releases SET artifact = '/x'", nullptr, dbname()));
  EXPECT_FALSE(
      server_->psql("INSERT INTO runtime_state VALUES ('k', 'not json', 1)", nullptr, dbname()));
  EXPECT_EQ(psqlValue("SELECT actor FROM audit_log"), "alice");
  // A store-level write the schema refuses maps to the interface's codes.
  EXPECT_EQ(store->putRuntimeState("k", "{not json", 1).code(), Status::Code::kInvalidArgument);
}

TEST_F(PostgresStoreTest, OlderDatabaseIsUpgradedInPlaceKeepingItsData) {
  {
    PostgresStateStore::Options old;
    old.migrate_up_to_for_test = 1;
    auto v1 = PostgresStateStore::open(url_, old);
    ASSERT_TRUE(v1.isOk()) << v1.status().toString();
    EXPECT_EQ(*(*v1)->schemaVersion(), 1);
    ASSERT_TRUE((*v1)->appendAudit(testutil::audit("deploy", "d-1")).isOk());
  }
  EXPECT_EQ(psqlValue("SELECT count(*) FROM pg_tables WHERE tablename = 'runtime_state'"), "0");
  auto store = open();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(*store->schemaVersion(), PostgresStateStore::kSchemaVersion);
  EXPECT_EQ(store->listAudit(0, 0)->size(), 1u);
  EXPECT_TRUE(store->putRuntimeState("k", "1", 1).isOk());
  EXPECT_EQ(psqlValue("SELECT string_agg(name, ' | ' ORDER BY version) FROM schema_migrations"),
            std::string(PostgresStateStore::migrations()[0].name) + " | " +
                std::string(PostgresStateStore::migrations()[1].name) + " | " +
                std::string(PostgresStateStore::migrations()[2].name));
}

TEST_F(PostgresStoreTest, NewerSchemaIsRefusedNamingBothVersions) {
  ASSERT_NE(open(), nullptr);
  ASSERT_TRUE(
      server_->psql("INSERT INTO schema_migrations VALUES (99, 'future', 1)", nullptr, dbname()));
  auto again = PostgresStateStore::open(url_);
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(again.status().message().find("schema version 99"), std::string::npos)
      << again.status().message();
  EXPECT_NE(again.status().message().find(std::to_string(PostgresStateStore::kSchemaVersion)),
            std::string::npos);
}

TEST(PostgresStoreErrors, UnreachableServerIsUnavailableNamingItWithoutThePassword) {
  const uint16_t port = testsupport::freePort();
  const std::string url =
      "postgresql://shipgate:s3cret-pw@127.0.0.1:" + std::to_string(port) + "/state";
  auto store = openStateStore("/nonexistent", url);
  ASSERT_FALSE(store.isOk());
  EXPECT_EQ(store.status().code(), Status::Code::kUnavailable) << store.status().toString();
  const std::string& message = store.status().message();
  EXPECT_NE(message.find("shipgate@127.0.0.1:" + std::to_string(port) + "/state"),
            std::string::npos)
      << message;
  EXPECT_EQ(message.find("s3cret-pw"), std::string::npos) << message;
}

TEST(PostgresStoreErrors, BadUrlIsInvalidArgumentWithoutThePassword) {
  for (const std::string url : {"mysql://u:s3cret-pw@127.0.0.1/db",
                                "postgresql://u:s3cret-pw@127.0.0.1/db?no_such_option=1",
                                "postgres://u:s3cret-pw@127.0.0.1:99999999999/db"}) {
    auto store = PostgresStateStore::open(url);
    ASSERT_FALSE(store.isOk()) << url;
    EXPECT_TRUE(store.status().code() == Status::Code::kInvalidArgument ||
                (url.find("99999") != std::string::npos &&
                 store.status().code() == Status::Code::kUnavailable))
        << url << ": " << store.status().toString();
    EXPECT_EQ(store.status().message().find("s3cret-pw"), std::string::npos)
        << store.status().message();
  }
  auto factory = openStateStore("/tmp", "mysql://u:s3cret-pw@127.0.0.1/db");
  EXPECT_EQ(factory.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(describeStateLocation("", "postgres://u:s3cret-pw@db.example:6543/state"),
            "PostgreSQL u@db.example:6543/state");
}

}  // namespace
}  // namespace shipgate::store
