// TrafficControl and the RoutingOverlay: runtime switches, weights and approvals reach pick() on
// the same TrafficPlan (no rebuild), outlive a reload until the file changes that app's slot, are
// validated, and are saved to the RuntimeStateStore before they are published. Simulated clock.
#include "shipgate/traffic/traffic_control.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "plan_fixture.h"

namespace shipgate::traffic {
namespace {

using testing::PlanFixture;

config::Config oneApp() {
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 2, 2));
  traffic::RegionConfig primary, backup;
  primary.name = "us-east-1";
  backup.name = "eu-west-1";
  backup.priority = 1;
  backup.failover = config::FailoverPolicy::kManualApproval;
  trafficConfigForTest(cfg).apps[0].regions = {primary, backup};
  return cfg;
}

std::map<traffic::Slot, int> slots(const TrafficPlan& plan, int n = 100) {
  std::map<traffic::Slot, int> out;
  for (int i = 0; i < n; ++i) {
    Pick p = plan.pick(0, {"", static_cast<uint64_t>(i) * 7919, nullptr});
    if (p.endpoint != nullptr) ++out[p.endpoint->slot];
  }
  return out;
}

class FailingStore final : public RuntimeStateStore {
 public:
  bool fail = true;
  Status save(const RoutingOverlay&) override {
    return fail ? Status::ioError("disk full") : Status::success();
  }
  Result<RoutingOverlay> load() override { return RoutingOverlay{}; }
};

TEST(TrafficControlTest, SwitchReachesPickOnTheSamePlanAtOnce) {
  PlanFixture fx;
  fx.build(oneApp());
  const TrafficPlan* plan = fx.plan.get();
  EXPECT_EQ(slots(*plan)[traffic::Slot::kBlue], 100);
  const uint64_t version = fx.registry.routing().version();
  ASSERT_TRUE(fx.control->switchSlot("api", traffic::Slot::kGreen).isOk());
  EXPECT_EQ(fx.registry.routing().version(), version + 1);
  EXPECT_EQ(slots(*plan)[traffic::Slot::kGreen], 100);
  ASSERT_TRUE(fx.control->switchSlot("api", traffic::Slot::kBlue).isOk());
  EXPECT_EQ(slots(*plan)[traffic::Slot::kBlue], 100);
}

TEST(TrafficControlTest, OtherThreadsSeeTheNewOverlay) {
  PlanFixture fx;
  fx.build(oneApp());
  std::thread([&] { EXPECT_EQ(slots(*fx.plan)[traffic::Slot::kBlue], 100); }).join();
  ASSERT_TRUE(fx.control->switchSlot("api", traffic::Slot::kGreen).isOk());
  std::thread([&] { EXPECT_EQ(slots(*fx.plan)[traffic::Slot::kGreen], 100); }).join();
}

TEST(TrafficControlTest, WeightsSplitAndValidate) {
  PlanFixture fx;
  fx.build(oneApp());
  ASSERT_TRUE(fx.control->setWeights("api", 75, 25).isOk());
  auto s = slots(*fx.plan, 4000);
  EXPECT_GT(s[traffic::Slot::kBlue], 2800);
  EXPECT_LT(s[traffic::Slot::kBlue], 3200);
  EXPECT_EQ(s[traffic::Slot::kBlue] + s[traffic::Slot::kGreen], 4000);
  const EffectiveSlot eff = fx.control->effective(fx.plan->trafficConfig().apps[0]);
  EXPECT_TRUE(eff.runtime);
  EXPECT_EQ(eff.active_slot, traffic::Slot::kBlue);
  ASSERT_TRUE(eff.weights.has_value());
  EXPECT_EQ((*eff.weights)[1], 25);

  EXPECT_EQ(fx.control->setWeights("api", -1, 5).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(fx.control->setWeights("api", 0, 0).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(fx.control->setWeights("api", 50, 101).code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(fx.control->setWeights("web", 50, 50).code(), Status::Code::kNotFound);
  config::Config blue_only = oneApp();
  trafficConfigForTest(blue_only).apps[0].slots[1].endpoints.clear();
  fx.build(blue_only);
  EXPECT_EQ(fx.control->setWeights("api", 50, 50).code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(fx.control->switchSlot("api", traffic::Slot::kGreen).code(),
            Status::Code::kFailedPrecondition);
  EXPECT_TRUE(fx.control->setWeights("api", 100, 0).isOk());
}

TEST(TrafficControlTest, ASwitchOutlivesReloadsUntilTheFileChangesTheSlot) {
  PlanFixture fx;
  fx.build(oneApp());
  ASSERT_TRUE(fx.control->switchSlot("api", traffic::Slot::kGreen).isOk());
  fx.build(oneApp());  // reload, slot unchanged in the file
  EXPECT_EQ(slots(*fx.plan)[traffic::Slot::kGreen], 100);
  config::Config weighted = oneApp();
  trafficConfigForTest(weighted).apps[0].weights =
      std::array<int, 2>{100, 0};  // the file changes the app's split
  fx.build(weighted);
  EXPECT_EQ(slots(*fx.plan)[traffic::Slot::kBlue], 100);
  EXPECT_FALSE(fx.control->effective(fx.plan->trafficConfig().apps[0]).runtime);
  fx.build(oneApp());  // back to the old file: the lapsed switch does not return
  EXPECT_EQ(slots(*fx.plan)[traffic::Slot::kBlue], 100);
  EXPECT_TRUE(fx.control->overlay()->apps.empty());
}

TEST(TrafficControlTest, AStaleOverrideIsIgnoredEvenBeforeSetConfig) {
  // pick() checks the override against the plan's own config, so a plan built from a file that
  // changed the slot never uses an override made against the old file.
  PlanFixture fx;
  fx.build(oneApp());
  ASSERT_TRUE(fx.control->switchSlot("api", traffic::Slot::kGreen).isOk());
  config::Config green = oneApp();
  trafficConfigForTest(green).apps[0].active_slot = traffic::Slot::kGreen;
  trafficConfigForTest(green).apps[0].weights = std::array<int, 2>{100, 0};
  auto plan = TrafficPlan::build(std::make_shared<const config::Config>(green), fx.registry);
  ASSERT_TRUE(plan.isOk());
  EXPECT_EQ(slots(**plan)[traffic::Slot::kBlue], 100);
}

TEST(TrafficControlTest, ApprovalsAndRevocationsReachPick) {
  PlanFixture fx;
  config::Config cfg = oneApp();
  trafficConfigForTest(cfg).apps[0].slots[0].endpoints[0].region = "us-east-1";
  trafficConfigForTest(cfg).apps[0].slots[0].endpoints[1].region = "eu-west-1";
  fx.build(cfg);
  fx.registry.stateFor("api/blue/127.0.0.1:9101")->active_healthy = false;
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint, nullptr);
  EXPECT_EQ(fx.control->approveFailover("api", "ap-south-1").code(), Status::Code::kNotFound);
  EXPECT_EQ(fx.control->approveFailover("web", "eu-west-1").code(), Status::Code::kNotFound);
  ASSERT_TRUE(fx.control->approveFailover("api", "eu-west-1").isOk());
  ASSERT_NE(fx.plan->pick(0, {}).endpoint, nullptr);
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint->region, "eu-west-1");
  EXPECT_TRUE(fx.control->overlay()->approved("api", "eu-west-1"));
  ASSERT_TRUE(fx.control->revokeFailover("api", "eu-west-1").isOk());
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint, nullptr);
  EXPECT_TRUE(fx.control->overlay()->apps.empty());
}

TEST(TrafficControlTest, ChangesAreSavedBeforeTheyArePublished) {
  SimulatedClock clock;
  HealthRegistry registry(clock);
  auto cfg = std::make_shared<const config::Config>(oneApp());
  FailingStore failing;
  TrafficControl control(registry, cfg, &failing);
  const uint64_t version = registry.routing().version();
  Status st = control.switchSlot("api", traffic::Slot::kGreen);
  EXPECT_EQ(st.code(), Status::Code::kUnavailable);
  EXPECT_NE(st.message().find("disk full"), std::string::npos) << st.message();
  EXPECT_EQ(registry.routing().version(), version);  // nothing published
  failing.fail = false;
  EXPECT_TRUE(control.switchSlot("api", traffic::Slot::kGreen).isOk());
  EXPECT_EQ(registry.routing().version(), version + 1);

  // A store's saved state is what a new TrafficControl restores.
  InMemoryRuntimeStateStore store;
  HealthRegistry first_registry(clock);
  TrafficControl first(first_registry, cfg, &store);
  ASSERT_TRUE(first.switchSlot("api", traffic::Slot::kGreen).isOk());
  ASSERT_TRUE(first.approveFailover("api", "eu-west-1").isOk());
  EXPECT_EQ(store.saves(), 2);
  HealthRegistry second_registry(clock);
  TrafficControl second(second_registry, cfg, &store);
  ASSERT_TRUE(second.restore().isOk());
  EXPECT_TRUE(second.effective(trafficConfigOf(*cfg).apps[0]).runtime);
  EXPECT_EQ(second.effective(trafficConfigOf(*cfg).apps[0]).active_slot, traffic::Slot::kGreen);
  EXPECT_TRUE(second.overlay()->approved("api", "eu-west-1"));
}

}  // namespace
}  // namespace shipgate::traffic
