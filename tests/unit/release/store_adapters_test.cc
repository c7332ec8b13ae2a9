// The store adapters: a runtime slot switch made through a real TrafficControl lands in a real
// SQLite state store and is published again by a new TrafficControl after a "restart"; the
// delivery log; and LiveGatewayControl::derive (managed slots get the replicas and a TCP check).
#include "shipgate/release/store_adapters.h"

#include <gtest/gtest.h>

#include "controller_fixture.h"
#include "shipgate/release/live_gateway_control.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/traffic_control.h"

namespace shipgate::release {
namespace {

using traffic::Slot;

const char* kTwoSlots = R"(
listeners:
  - {name: public, address: "127.0.0.1:0"}
apps:
  shop:
    slots:
      blue: [{address: "127.0.0.1:9101", region: us-east-1}]
      green: [{address: "127.0.0.1:9102", region: us-east-1}]
    regions: {us-east-1: {priority: 0}, eu-west-1: {priority: 1, failover_policy: manual_approval}}
  api:
    release:
      runtime: {kind: process, command: "./api --port {port}", ports: "9200-9299"}
)";

TEST(StoreRuntimeStateStore, SwitchesSurviveARestart) {
  testsupport::TempDir dir("shipgate-adapters");
  auto opened = store::SqliteStateStore::open(dir.path() + "/state");
  ASSERT_TRUE(opened.isOk()) << opened.status().toString();
  auto cfg = testing::loadConfig(kTwoSlots);
  ASSERT_NE(cfg, nullptr);
  SimulatedClock clock;
  {
    StoreRuntimeStateStore saved(**opened, clock);
    traffic::HealthRegistry registry(clock);
    traffic::TrafficControl control(registry, cfg, &saved);
    ASSERT_TRUE(control.switchSlot("shop", Slot::kGreen).isOk());
    ASSERT_TRUE(control.approveFailover("shop", "eu-west-1").isOk());
  }
  StoreRuntimeStateStore saved(**opened, clock);
  traffic::HealthRegistry registry(clock);
  traffic::TrafficControl control(registry, cfg, &saved);
  const traffic::AppConfig& shop = *traffic::trafficConfigOf(*cfg).findApp("shop");
  EXPECT_EQ(control.effective(shop).active_slot, Slot::kBlue);  // not yet restored
  ASSERT_TRUE(control.restore().isOk());
  EXPECT_EQ(control.effective(shop).active_slot, Slot::kGreen);
  EXPECT_TRUE(control.overlay()->approved("shop", "eu-west-1"));
  ASSERT_TRUE(control.setWeights("shop", 30, 70).isOk());
  auto loaded = saved.load();
  ASSERT_TRUE(loaded.isOk());
  ASSERT_TRUE(loaded->apps.at("shop").slot.has_value());
  EXPECT_EQ(loaded->apps.at("shop").slot->weights, (std::array<int, 2>{30, 70}));
}

TEST(StoreRuntimeStateStore, RefusesWhatItDidNotWrite) {
  EXPECT_FALSE(overlayFromJson(nlohmann::json::parse(R"({"apps": {"a": {"slot": {"active_slot": "red"}}}})")).isOk());
  EXPECT_FALSE(overlayFromJson(nlohmann::json::parse(R"([1, 2])")).isOk());
  EXPECT_FALSE(overlayFromJson(nlohmann::json::parse(R"({"apps": {"a": {"approved_regions": [1]}}})")).isOk());
  traffic::RoutingOverlay o;
  traffic::SlotOverride s;
  s.active_slot = Slot::kGreen;
  s.weights = std::array<int, 2>{10, 90};
  o.apps["a"].slot = s;
  auto back = overlayFromJson(overlayToJson(o));
  ASSERT_TRUE(back.isOk());
  EXPECT_EQ(back->apps.at("a").slot->active_slot, Slot::kGreen);
  EXPECT_EQ(back->apps.at("a").slot->weights, s.weights);
}

TEST(StoreDeliveryLog, RecordsAttempts) {
  testsupport::TempDir dir("shipgate-adapters");
  auto opened = store::SqliteStateStore::open(dir.path() + "/state");
  ASSERT_TRUE(opened.isOk());
  StoreDeliveryLog log(**opened);
  notify::DeliveryAttempt a;
  a.channel = "slack";
  a.kind = notify::EventKind::kRolledBack;
  a.deployment_id = "d-7";
  a.attempt = 2;
  a.http_status = 503;
  a.result = notify::DeliveryResult::kRetrying;
  a.at_ms = 1'700'000'000'000;
  log.record(a);
  auto list = (*opened)->listDeliveries("slack", 0);
  ASSERT_TRUE(list.isOk());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ(list->front().event, "rolled_back");
  EXPECT_EQ(list->front().subject, "d-7");
  EXPECT_EQ(list->front().attempt, 2);
  EXPECT_EQ(list->front().outcome, store::DeliveryOutcome::kFailed);
  EXPECT_EQ(list->front().http_status, 503);
}

TEST(LiveGatewayControl, DeriveFillsManagedSlotsAndChecksThem) {
  auto cfg = testing::loadConfig(kTwoSlots);
  ASSERT_NE(cfg, nullptr);
  std::map<std::pair<std::string, int>, std::vector<config::HostPort>> eps;
  eps[{"api", static_cast<int>(Slot::kGreen)}] = {{"127.0.0.1", 9200}, {"127.0.0.1", 9201}};
  eps[{"shop", static_cast<int>(Slot::kGreen)}] = {{"127.0.0.1", 9999}};  // not managed: ignored
  auto derived = LiveGatewayControl::derive(*cfg, eps, {});
  const auto& tc = traffic::trafficConfigOf(*derived);
  const traffic::AppConfig* api = tc.findApp("api");
  ASSERT_NE(api, nullptr);
  ASSERT_EQ(api->slots[1].endpoints.size(), 2u);
  EXPECT_EQ(api->slots[1].endpoints[1].address.port, 9201);
  EXPECT_TRUE(api->slots[0].endpoints.empty());
  ASSERT_TRUE(api->health.has_value());
  EXPECT_EQ(api->health->kind, health::HealthKind::kTcp);
  EXPECT_EQ(tc.findApp("shop")->slots[1].endpoints[0].address.port, 9102);
  // The health targets include the replicas, keyed as the gateway keys them.
  bool found = false;
  for (const auto& t : traffic::appTargets(*derived)) {
    if (t.key == "api/green/127.0.0.1:9201") found = true;
  }
  EXPECT_TRUE(found);
  // The file's config is untouched.
  EXPECT_TRUE(traffic::trafficConfigOf(*cfg).findApp("api")->slots[1].endpoints.empty());
}

}  // namespace
}  // namespace shipgate::release
