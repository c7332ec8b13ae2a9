// Region priority levels: stay on the best region while healthy enough, spill over otherwise,
// and hold back manual_approval regions until the operator approves.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "plan_fixture.h"

namespace shipgate::traffic {
namespace {

using testing::ep;
using testing::PlanFixture;

traffic::RegionConfig region(const std::string& name, int priority,
                             config::FailoverPolicy policy = config::FailoverPolicy::kAutomatic) {
  traffic::RegionConfig r;
  r.name = name;
  r.priority = priority;
  r.failover = policy;
  return r;
}

// api: blue has 4 endpoints in us-east-1 (91xx) and 4 in eu-west-1 (92xx).
config::Config twoRegions(config::FailoverPolicy eu_policy) {
  config::Config cfg;
  traffic::AppConfig a;
  a.name = "api";
  a.regions = {region("eu-west-1", 1, eu_policy), region("us-east-1", 0)};
  for (int i = 0; i < 4; ++i) {
    a.slots[0].endpoints.push_back(ep("127.0.0.1", 9101 + i, "us-east-1"));
    a.slots[0].endpoints.push_back(ep("127.0.0.1", 9201 + i, "eu-west-1"));
  }
  trafficConfigForTest(cfg).apps.push_back(a);
  return cfg;
}

class RegionTest : public ::testing::Test {
 protected:
  // Fraction of n picks that land in each region ("" = no endpoint).
  std::map<std::string, int> spread(int n = 4000) {
    std::map<std::string, int> out;
    std::mt19937_64 rng(11);
    for (int i = 0; i < n; ++i) {
      Pick p = fx.plan->pick(0, {"", rng(), nullptr});
      ++out[p.endpoint ? p.endpoint->region : ""];
    }
    return out;
  }
  void setHealthy(int first_port, int count, bool healthy) {
    for (int i = 0; i < count; ++i) {
      fx.endpoint(0, "127.0.0.1:" + std::to_string(first_port + i)).state->active_healthy = healthy;
    }
  }
  PlanFixture fx;
};

TEST_F(RegionTest, StaysOnPrimaryWhileHealthyEnough) {
  fx.build(twoRegions(config::FailoverPolicy::kAutomatic));
  EXPECT_EQ(spread()["us-east-1"], 4000);
  setHealthy(9101, 1, false);  // 3/4 = 0.75 >= 0.72
  auto s = spread();
  EXPECT_EQ(s["us-east-1"], 4000);
  for (uint64_t r = 0; r < 20; ++r)
    EXPECT_NE(fx.plan->pick(0, {"", r, nullptr}).endpoint->address.port, 9101);
}

TEST_F(RegionTest, SpillsProportionallyThenCompletely) {
  fx.build(twoRegions(config::FailoverPolicy::kAutomatic));
  setHealthy(9101, 2, false);  // 2/4 = 0.5 -> primary keeps 0.5/0.72 = 69%
  auto s = spread();
  EXPECT_GT(s["us-east-1"], 4000 * 64 / 100);
  EXPECT_LT(s["us-east-1"], 4000 * 74 / 100);
  EXPECT_EQ(s["us-east-1"] + s["eu-west-1"], 4000);
  setHealthy(9101, 4, false);
  s = spread();
  EXPECT_EQ(s["eu-west-1"], 4000);
  EXPECT_TRUE(fx.registry.waitingForApproval("api").empty());
  setHealthy(9101, 4, true);  // recovery moves traffic back
  EXPECT_EQ(spread()["us-east-1"], 4000);
}

TEST_F(RegionTest, ManualApprovalRegionWaitsForOperator) {
  fx.build(twoRegions(config::FailoverPolicy::kManualApproval));
  setHealthy(9101, 4, false);
  Pick p = fx.plan->pick(0, {});
  EXPECT_EQ(p.endpoint, nullptr);
  EXPECT_NE(p.error.find("waiting for approval to fail over to region eu-west-1 (4 healthy there)"),
            std::string::npos)
      << p.error;
  EXPECT_EQ(p.error.find("shipgate failover approve"), std::string::npos) << p.error;
  ASSERT_TRUE(p.waiting_approval.has_value());
  EXPECT_EQ(p.waiting_approval->app, "api");
  EXPECT_EQ(p.waiting_approval->region, "eu-west-1");
  EXPECT_NE(unavailableMessage(p, "api").find(
                "(4 healthy there): run `shipgate failover approve --app api --region eu-west-1`"),
            std::string::npos)
      << unavailableMessage(p, "api");
  EXPECT_NE(p.error.find("app api slot blue: 0 of 4 endpoints healthy in region us-east-1 "
                         "(127.0.0.1:9101 failing"),
            std::string::npos)
      << p.error;
  EXPECT_EQ(fx.registry.waitingForApproval("api"), std::vector<std::string>{"eu-west-1"});
  // Recorded once, with the command to run.
  for (int i = 0; i < 10; ++i) (void)fx.plan->pick(0, {});
  auto events = fx.registry.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].app, "api");
  EXPECT_NE(events[0].message.find("shipgate failover approve --app api --region eu-west-1"),
            std::string::npos)
      << events[0].message;
  EXPECT_EQ(events[0].wall_ms, fx.clock.wallMillis());

  ASSERT_TRUE(fx.control->approveFailover("api", "eu-west-1").isOk());
  EXPECT_TRUE(fx.registry.waitingForApproval("api").empty());
  EXPECT_EQ(spread()["eu-west-1"], 4000);
}

TEST_F(RegionTest, RegionStatusReportsLiveState) {
  fx.build(twoRegions(config::FailoverPolicy::kManualApproval));
  setHealthy(9101, 3, false);
  (void)fx.plan->pick(0, {});
  auto regions = fx.plan->regions(0, traffic::Slot::kBlue);
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].name, "us-east-1");
  EXPECT_EQ(regions[0].priority, 0);
  EXPECT_EQ(regions[0].endpoints, 4);
  EXPECT_EQ(regions[0].available, 1);
  EXPECT_FALSE(regions[0].waiting_for_approval);
  EXPECT_EQ(regions[1].name, "eu-west-1");
  EXPECT_EQ(regions[1].failover, config::FailoverPolicy::kManualApproval);
  EXPECT_EQ(regions[1].available, 4);
  EXPECT_TRUE(regions[1].waiting_for_approval);
  EXPECT_FALSE(regions[1].approved);
  ASSERT_TRUE(fx.control->approveFailover("api", "eu-west-1").isOk());
  regions = fx.plan->regions(0, traffic::Slot::kBlue);
  EXPECT_TRUE(regions[1].approved);
  EXPECT_FALSE(regions[1].waiting_for_approval);
  EXPECT_TRUE(fx.plan->regions(0, traffic::Slot::kGreen).empty());
  EXPECT_TRUE(fx.plan->regions(3, traffic::Slot::kBlue).empty());
}

TEST_F(RegionTest, PartialOutageWithoutApprovalKeepsServingWhatIsLeft) {
  fx.build(twoRegions(config::FailoverPolicy::kManualApproval));
  setHealthy(9101, 3, false);  // 1/4 healthy in us-east-1
  auto s = spread();
  EXPECT_EQ(s["us-east-1"], 4000);
  for (uint64_t r = 0; r < 10; ++r) {
    EXPECT_EQ(fx.plan->pick(0, {"", r, nullptr}).endpoint->address.port, 9104);
  }
  EXPECT_EQ(fx.registry.waitingForApproval("api"), std::vector<std::string>{"eu-west-1"});
  // Recovery without approval clears the waiting state.
  setHealthy(9101, 3, true);
  (void)fx.plan->pick(0, {});
  EXPECT_TRUE(fx.registry.waitingForApproval("api").empty());
  EXPECT_FALSE(fx.control->overlay()->approved("api", "eu-west-1"));
}

TEST_F(RegionTest, WaitingSurvivesReloadAndClearsOnRecovery) {
  config::Config cfg = twoRegions(config::FailoverPolicy::kManualApproval);
  fx.build(cfg);
  setHealthy(9101, 4, false);
  (void)fx.plan->pick(0, {});
  fx.build(cfg);  // reload while waiting
  (void)fx.plan->pick(0, {});
  EXPECT_EQ(fx.registry.waitingForApproval("api"), std::vector<std::string>{"eu-west-1"});
  EXPECT_EQ(fx.registry.events().size(), 1u);  // not recorded twice
  setHealthy(9101, 4, true);
  (void)fx.plan->pick(0, {});
  EXPECT_TRUE(fx.registry.waitingForApproval("api").empty());
}

TEST_F(RegionTest, OneSlotWaitingDoesNotFlapWithTheOther) {
  // Both slots span the two regions; only green's primary region is down.
  config::Config cfg = twoRegions(config::FailoverPolicy::kManualApproval);
  trafficConfigForTest(cfg).apps[0].slots[1] = trafficConfigForTest(cfg).apps[0].slots[0];
  for (auto& e : trafficConfigForTest(cfg).apps[0].slots[1].endpoints)
    e.address.port += 1000;  // 101xx / 102xx
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{50, 50};
  fx.build(cfg);
  setHealthy(10101, 4, false);
  std::mt19937_64 rng(9);
  for (int i = 0; i < 200; ++i) (void)fx.plan->pick(0, {"", rng(), nullptr});
  EXPECT_EQ(fx.registry.waitingForApproval("api"), std::vector<std::string>{"eu-west-1"});
  EXPECT_EQ(fx.registry.events().size(), 1u);
}

TEST_F(RegionTest, RevokedApprovalHoldsTrafficBackAgain) {
  fx.build(twoRegions(config::FailoverPolicy::kManualApproval));
  ASSERT_TRUE(fx.control->approveFailover("api", "eu-west-1").isOk());
  setHealthy(9101, 4, false);
  EXPECT_EQ(spread()["eu-west-1"], 4000);
  ASSERT_TRUE(fx.control->revokeFailover("api", "eu-west-1").isOk());
  EXPECT_EQ(spread()[""], 4000);
}

TEST_F(RegionTest, SeedHealthChecksBlockSuppliesRegionsAndPolicy) {
  config::Config cfg;
  config::RegionHealthCheck primary;
  primary.name = "primary";
  primary.region = "us-east-1";
  primary.endpoint = "https://api.coinestate.io/health";
  config::RegionHealthCheck secondary = primary;
  secondary.name = "secondary";
  secondary.region = "eu-west-1";
  secondary.failover = config::FailoverPolicy::kManualApproval;
  cfg.health_checks = {primary, secondary};
  traffic::AppConfig a;
  a.name = "api";
  a.slots[0].endpoints = {ep("127.0.0.1", 9201, "eu-west-1"), ep("127.0.0.1", 9101, "us-east-1")};
  trafficConfigForTest(cfg).apps.push_back(a);
  fx.build(cfg);
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint->region, "us-east-1");
  setHealthy(9101, 1, false);
  Pick p = fx.plan->pick(0, {});
  EXPECT_EQ(p.endpoint, nullptr);
  EXPECT_NE(unavailableMessage(p, "api").find(
                "shipgate failover approve --app api --region eu-west-1"),
            std::string::npos)
      << unavailableMessage(p, "api");

  ASSERT_TRUE(fx.control->approveFailover("api", "eu-west-1").isOk());
  ASSERT_NE(fx.plan->pick(0, {}).endpoint, nullptr);
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint->region, "eu-west-1");
  ASSERT_TRUE(fx.control->revokeFailover("api", "eu-west-1").isOk());

  // Regions the app declares keep the app's policy (the loader resolves inheritance from the
  // block before the plan is built): here the app says automatic.
  trafficConfigForTest(cfg).apps[0].regions = {region("us-east-1", 0), region("eu-west-1", 1)};
  fx.build(cfg);
  ASSERT_NE(fx.plan->pick(0, {}).endpoint, nullptr);
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint->region, "eu-west-1");
}

TEST_F(RegionTest, EndpointWithoutRegionJoinsTheAppsFirstRegion) {
  config::Config cfg = twoRegions(config::FailoverPolicy::kAutomatic);
  trafficConfigForTest(cfg).apps[0].slots[0].endpoints.push_back(ep("127.0.0.1", 9301));
  fx.build(cfg);
  EXPECT_EQ(fx.endpoint(0, "127.0.0.1:9301").region, "us-east-1");
}

}  // namespace
}  // namespace shipgate::traffic
