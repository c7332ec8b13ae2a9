// StateFollower on a real PostgreSQL: a notification wakes it at once (well inside the resync
// interval), a change made without one is found by the resync, and it follows again after the
// server ended its session.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "shipgate/cluster/state_follower.h"
#include "support/postgres_server.h"

namespace shipgate::cluster {
namespace {

using namespace std::chrono_literals;

constexpr char kSchema[] =
    "CREATE TABLE state_version (id int PRIMARY KEY, version bigint NOT NULL);"
    "INSERT INTO state_version VALUES (1, 1);";

// What the store does on a write: bump and notify in one transaction.
std::string bump(bool notify) {
  std::string sql = "BEGIN; UPDATE state_version SET version = version + 1 WHERE id = 1;";
  if (notify) {
    sql +=
        "SELECT pg_notify('shipgate_state', (SELECT version FROM state_version WHERE id = 1)"
        "::text || ' runtime routing_overlay');";
  }
  return sql + "COMMIT;";
}

bool waitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

TEST(StateFollower, NotificationsWakeItAndTheResyncRepairsAMissedOne) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  ASSERT_TRUE(pg.psql(kSchema));
  std::atomic<int64_t> last{-1};
  std::atomic<int> applies{0};
  FollowerOptions o;
  o.url = pg.url();
  o.resync = 60s;  // far away: only notifications can wake it in the first part
  o.apply = [&](int64_t v) {
    last.store(v);
    applies.fetch_add(1);
    return Status::success();
  };
  {
    StateFollower f(o);
    ASSERT_TRUE(f.start().isOk());
    EXPECT_EQ(f.applied(), 1);
    EXPECT_EQ(applies.load(), 1);
    ASSERT_TRUE(pg.psql(bump(true)));
    ASSERT_TRUE(waitFor([&] { return f.applied() == 2; }, 5s)) << f.applied();
    EXPECT_EQ(last.load(), 2);
    EXPECT_GE(f.notifications(), 1);
    // Without a notification (and no resync soon) nothing happens.
    ASSERT_TRUE(pg.psql(bump(false)));
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(f.applied(), 2);
    f.stop();
  }
  o.resync = 300ms;
  StateFollower f(o);
  ASSERT_TRUE(f.start().isOk());
  EXPECT_EQ(f.applied(), 3);
  ASSERT_TRUE(pg.psql(bump(false)));
  ASSERT_TRUE(waitFor([&] { return f.applied() == 4; }, 5s)) << f.applied();
}

TEST(StateFollower, AFailedApplyIsRetriedAndALostSessionComesBack) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  ASSERT_TRUE(pg.psql(kSchema));
  std::atomic<bool> fail{false};
  FollowerOptions o;
  o.url = pg.url();
  o.resync = 300ms;
  o.apply = [&](int64_t) {
    return fail.load() ? Status::unavailable("store busy") : Status::success();
  };
  StateFollower f(o);
  ASSERT_TRUE(f.start().isOk());
  fail.store(true);
  ASSERT_TRUE(pg.psql(bump(true)));
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(f.applied(), 1);
  fail.store(false);
  ASSERT_TRUE(waitFor([&] { return f.applied() == 2; }, 5s));
  // The server ends the LISTEN session; a change made meanwhile is applied once it is back.
  ASSERT_TRUE(pg.psql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' OR "
      "(application_name = 'shipgate-cluster' AND pid <> pg_backend_pid())"));
  ASSERT_TRUE(pg.psql(bump(true)));
  ASSERT_TRUE(waitFor([&] { return f.applied() == 3; }, 8s)) << f.applied();
}

TEST(StateFollower, AMissingStateVersionTableReadsAsZero) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  FollowerOptions o;
  o.url = pg.url();
  o.apply = [](int64_t) { return Status::success(); };
  StateFollower f(o);
  ASSERT_TRUE(f.start().isOk());
  EXPECT_EQ(f.applied(), 0);
}

}  // namespace
}  // namespace shipgate::cluster
