// Deploys sent to followers reach the leader, and a switch made through one node is followed by
// the two others within a second while all three are under continuous load, with every request
// answered 200 (counted by exact status). The measured propagation times are printed.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "cluster/cluster_util.h"

namespace clustertest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The slot `version` runs in, from GET /api/v1/apps/api/releases of node i.
std::string slotOf(Cluster& c, int i, const std::string& version) {
  json r = c.apiJson(i, "GET", "/api/v1/apps/api/releases");
  const json slots = r.value("slots", json::object());
  for (const auto& [slot, v] : slots.items()) {
    if (v.is_object() && v.value("version", json()) == version) return slot;
  }
  ADD_FAILURE() << "no slot runs " << version << ": " << r.dump();
  return "";
}

// Switches through node `via` and returns, per node, the ms from the request until it served
// `version` (-1: not within 10 s).
std::vector<int64_t> switchAndMeasure(Cluster& c, int via, const std::string& slot,
                                      const std::string& version) {
  const auto t0 = std::chrono::steady_clock::now();
  auto r = c.api(via, "POST", "/api/v1/apps/api/switch", R"({"slot":")" + slot + R"("})");
  EXPECT_EQ(r.status, 200) << r.raw;
  std::vector<int64_t> ms(c.size(), -1);
  std::vector<std::thread> ts;
  for (int i = 0; i < c.size(); ++i) {
    ts.emplace_back([&, i] {
      const auto deadline = t0 + 10s;
      while (std::chrono::steady_clock::now() < deadline) {
        if (c.servedVersion(i) == version) {
          ms[i] = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
          return;
        }
        std::this_thread::sleep_for(2ms);
      }
    });
  }
  for (auto& t : ts) t.join();
  return ms;
}

TEST(ClusterFollow, DeploysThroughFollowersAndASwitchFollowedEverywhereUnderLoad) {
  Cluster c({});
  ASSERT_TRUE(c.startDatabase());
  ASSERT_TRUE(c.startAll());
  const int leader = c.waitForLeader(15s);
  ASSERT_GE(leader, 0) << c.allLogs();
  const int f1 = (leader + 1) % 3;
  const int f2 = (leader + 2) % 3;

  // A deploy sent to a follower reaches the leader: the leader knows the deployment.
  const std::string v1 = c.deploy(f1, "v1");
  ASSERT_FALSE(v1.empty());
  json at_leader = c.apiJson(leader, "GET", "/api/v1/deployments/" + v1);
  EXPECT_EQ(at_leader["http_status"], 200) << at_leader.dump();
  EXPECT_EQ(at_leader.value("version", ""), "v1") << at_leader.dump();
  {
    json d = c.waitForState(f2, v1, kTerminal, 90s);
    ASSERT_EQ(d["state"], "succeeded") << d.dump() << c.allLogs();
  }
  // The CLI through the other follower: its event stream is relayed from the leader.
  releasetest::CliResult cli = c.deployCli(f2, "v2");
  ASSERT_EQ(cli.exit_code, 0) << cli.out << cli.err << c.allLogs();
  const std::string v2 = releasetest::acceptedId(cli.out);
  ASSERT_FALSE(v2.empty()) << cli.out;
  for (const char* step : {"health", "smoke", "switch", "bake"}) {
    EXPECT_NE(cli.out.find(step), std::string::npos) << step << " missing:\n" << cli.out;
  }
  EXPECT_EQ(c.apiJson(f1, "GET", "/api/v1/deployments/" + v2)["state"], "succeeded");
  for (int i = 0; i < c.size(); ++i) {
    ASSERT_TRUE(c.waitForVersion(i, "v2", 15s)) << c.node(i).id << "\n" << c.allLogs();
  }
  const std::string v1_slot = slotOf(c, f1, "v1");
  const std::string v2_slot = slotOf(c, f1, "v2");
  ASSERT_FALSE(v1_slot.empty());
  ASSERT_FALSE(v2_slot.empty());
  // Both slots' replicas are health-checked on every node before traffic is moved.
  std::this_thread::sleep_for(3s);

  std::vector<std::unique_ptr<releasetest::Load>> loads;
  for (int i = 0; i < c.size(); ++i) {
    loads.push_back(std::make_unique<releasetest::Load>(c.node(i).http, 2));
  }
  for (auto& l : loads) releasetest::waitForAnswers(*l, 200);

  auto back = switchAndMeasure(c, f1, v1_slot, "v1");
  std::this_thread::sleep_for(1s);
  auto forth = switchAndMeasure(c, f2, v2_slot, "v2");
  std::this_thread::sleep_for(1s);
  for (auto& l : loads) l->stop();

  for (int i = 0; i < c.size(); ++i) {
    std::cout << "[ cluster ] " << c.node(i).id << (i == leader ? " (leader)" : "")
              << ": switch to v1 served after " << back[i] << " ms, to v2 after " << forth[i]
              << " ms; load " << loads[i]->describe() << "\n";
    EXPECT_GE(back[i], 0) << c.node(i).id;
    EXPECT_GE(forth[i], 0) << c.node(i).id;
    EXPECT_LE(back[i], 1000) << c.node(i).id;
    EXPECT_LE(forth[i], 1000) << c.node(i).id;
    auto statuses = loads[i]->statuses();
    EXPECT_EQ(statuses.size(), 1u) << loads[i]->describe();
    EXPECT_EQ(statuses[200], loads[i]->total()) << loads[i]->describe();
    EXPECT_GT(loads[i]->versions()["v1"], 0) << loads[i]->describe();
  }
}

}  // namespace
}  // namespace clustertest
