// NodeRegistry on a real PostgreSQL: nodes starting together create the table once, each
// heartbeat lands, markLeader leaves one leader row, a stale leader row is not believed.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "shipgate/cluster/node_registry.h"
#include "shipgate/cluster/pg_session.h"
#include "support/postgres_server.h"

namespace shipgate::cluster {
namespace {

using namespace std::chrono_literals;

RegistryOptions node(const std::string& url, const std::string& id, bool* leader) {
  RegistryOptions o;
  o.url = url;
  o.self.id = id;
  o.self.address = "http=127.0.0.1:1" + id.substr(id.size() - 1);
  o.self.admin_address = "127.0.0.1:2" + id.substr(id.size() - 1);
  o.self.version = "0.1.0";
  o.self.started_at = wallMs();
  o.interval = 100ms;
  o.state_version = [] { return int64_t{7}; };
  o.is_leader = [leader] { return *leader; };
  return o;
}

TEST(NodeRegistry, ThreeNodesJoinAndOneIsMarkedLeader) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  bool leader[3] = {false, false, false};
  std::vector<std::unique_ptr<NodeRegistry>> regs;
  for (int i = 0; i < 3; ++i) {
    regs.push_back(
        std::make_unique<NodeRegistry>(node(pg.url(), "n" + std::to_string(i), &leader[i])));
  }
  // Concurrent starts: the table is created once.
  std::vector<std::thread> ts;
  std::vector<Status> st(3);
  for (int i = 0; i < 3; ++i) ts.emplace_back([&, i] { st[i] = regs[i]->start(); });
  for (auto& t : ts) t.join();
  for (const auto& s : st) ASSERT_TRUE(s.isOk()) << s.message();

  auto all = NodeRegistry::readNodes(pg.url());
  ASSERT_TRUE(all.isOk()) << all.status().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[1].id, "n1");
  EXPECT_EQ((*all)[1].admin_address, "127.0.0.1:21");
  EXPECT_EQ((*all)[1].version, "0.1.0");
  EXPECT_EQ((*all)[1].state_version, 7);
  EXPECT_FALSE((*all)[1].leader);
  auto none = regs[0]->leader();
  ASSERT_TRUE(none.isOk());
  EXPECT_FALSE(none->has_value());

  leader[2] = true;
  ASSERT_TRUE(regs[2]->markLeader().isOk());
  auto l = regs[0]->leader();
  ASSERT_TRUE(l.isOk());
  ASSERT_TRUE(l->has_value());
  EXPECT_EQ((*l)->id, "n2");

  // n2 loses the lead to n0: one leader row.
  leader[2] = false;
  leader[0] = true;
  ASSERT_TRUE(regs[0]->markLeader().isOk());
  std::this_thread::sleep_for(300ms);
  all = NodeRegistry::readNodes(pg.url());
  ASSERT_TRUE(all.isOk());
  int marked = 0;
  for (const auto& n : *all) marked += n.leader ? 1 : 0;
  EXPECT_EQ(marked, 1);
  EXPECT_TRUE((*all)[0].leader);

  // A leader that stops heartbeating is not believed after kDownAfterMs.
  regs[0]->stop();
  ASSERT_TRUE(pg.psql("UPDATE cluster_nodes SET heartbeat_at = heartbeat_at - " +
                      std::to_string(kDownAfterMs + 1000) + " WHERE id = 'n0'"));
  l = regs[1]->leader();
  ASSERT_TRUE(l.isOk());
  EXPECT_FALSE(l->has_value());
}

TEST(NodeRegistry, ReadNodesOfAnEmptyDatabaseIsEmptyAndAnUnreachableOneAnError) {
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  auto none = NodeRegistry::readNodes(pg.url());
  ASSERT_TRUE(none.isOk()) << none.status().message();
  EXPECT_TRUE(none->empty());
  const std::string url = pg.url();
  pg.stop();
  auto down = NodeRegistry::readNodes(url);
  ASSERT_FALSE(down.isOk());
  EXPECT_EQ(down.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(down.status().message().find("cannot connect to PostgreSQL"), std::string::npos)
      << down.status().message();
}

TEST(RedactUrl, HidesPasswords) {
  EXPECT_EQ(redactUrl("postgres://app:s3cret@db:5432/x"), "postgres://app:***@db:5432/x");
  EXPECT_EQ(redactUrl("postgres://app@db/x"), "postgres://app@db/x");
  EXPECT_EQ(redactUrl("host=db password=s3cret dbname=x"), "host=db password=*** dbname=x");
}

}  // namespace
}  // namespace shipgate::cluster
