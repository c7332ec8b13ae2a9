// Three real `shipgate serve` nodes on one PostgreSQL: exactly one leads, `shipgate nodes` shows
// the three and the leader; SIGKILL the leader and another node leads within seconds, and
// `shipgate nodes` shows the killed one down. A config without a PostgreSQL state url is refused.
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

int count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ClusterElection, OneLeaderAmongThreeAndANewOneWhenItIsKilled) {
  Cluster c({});
  ASSERT_TRUE(c.startDatabase());
  ASSERT_TRUE(c.startAll());
  const int first = c.waitForLeader(15s);
  ASSERT_GE(first, 0) << c.allLogs();
  // Exactly one leader row, over several heartbeats.
  for (int i = 0; i < 5; ++i) {
    std::string out;
    ASSERT_TRUE(c.pg().psql("SELECT count(*) FROM cluster_nodes WHERE leader", &out));
    EXPECT_EQ(out.substr(0, out.find('\n')), "1");
    std::this_thread::sleep_for(300ms);
  }
  auto nodes = c.cli(0, {"nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.out << nodes.err;
  EXPECT_NE(nodes.out.find("node-a"), std::string::npos) << nodes.out;
  EXPECT_NE(nodes.out.find("node-b"), std::string::npos) << nodes.out;
  EXPECT_NE(nodes.out.find("node-c"), std::string::npos) << nodes.out;
  EXPECT_EQ(count(nodes.out, "LEADER"), 1) << nodes.out;
  EXPECT_EQ(count(nodes.out, "follower"), 2) << nodes.out;
  EXPECT_NE(nodes.out.find("3 nodes, 3 up, leader: " + c.node(first).id), std::string::npos)
      << nodes.out;
  EXPECT_NE(nodes.out.find("0.1.0"), std::string::npos) << nodes.out;
  std::cout << nodes.out;

  const auto killed_at = std::chrono::steady_clock::now();
  c.killNode(first);
  const int second = c.waitForLeader(20s, first);
  ASSERT_GE(second, 0) << c.allLogs();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killed_at);
  std::cout << "[ cluster ] new leader " << c.node(second).id << " " << took.count()
            << " ms after the SIGKILL of " << c.node(first).id << "\n";

  // Once its heartbeat is older than 5 s, the killed node shows down.
  std::this_thread::sleep_for(5500ms);
  auto after = c.cli(second, {"nodes", "--json"});
  ASSERT_EQ(after.exit_code, 0) << after.out << after.err;
  json j = json::parse(after.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << after.out;
  EXPECT_EQ(j["leader"], c.node(second).id);
  ASSERT_EQ(j["nodes"].size(), 3u);
  for (const auto& n : j["nodes"]) {
    EXPECT_EQ(n["down"].get<bool>(), n["id"] == c.node(first).id) << n.dump();
    EXPECT_EQ(n["leader"].get<bool>(), n["id"] == c.node(second).id) << n.dump();
  }
  auto table = c.cli(second, {"nodes"});
  EXPECT_EQ(count(table.out, "LEADER"), 1) << table.out;
  EXPECT_EQ(count(table.out, "down"), 1) << table.out;
  EXPECT_NE(table.out.find("3 nodes, 2 up"), std::string::npos) << table.out;
  std::cout << table.out;
}

TEST(ClusterElection, NodesRefusesAConfigWithoutAPostgresStateUrl) {
  testsupport::TempDir dir("sg-nodes");
  dir.writeFile("shipgate.yaml",
                "listeners: [{name: http, address: \"127.0.0.1:1\"}]\nstate: {dir: \"" +
                    dir.file("state") + "\"}\n");
  testsupport::ProcessOptions o;
  o.argv = {testsupport::buildDir() + "/shipgate", "nodes", "--config", dir.file("shipgate.yaml")};
  testsupport::Process p(o);
  ASSERT_TRUE(p.start());
  auto code = p.wait(30s);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 2);
  EXPECT_NE(p.stderrText().find("state: {url: postgres://"), std::string::npos) << p.stderrText();
}

}  // namespace
}  // namespace clustertest
