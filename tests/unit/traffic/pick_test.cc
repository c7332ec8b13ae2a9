// TrafficPlan::pick: active slot, weighted split + sticky cookie, balancers, exclusion, errors.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <map>
#include <random>

#include "plan_fixture.h"
#include "shipgate/traffic/resolver.h"

namespace shipgate::traffic {
namespace {

using testing::PlanFixture;

TEST(PickTest, ActiveSlotRoundRobin) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 3, 2));
  trafficConfigForTest(cfg).apps[0].active_slot = traffic::Slot::kGreen;
  fx.build(cfg);
  std::map<std::string, int> hits;
  for (int i = 0; i < 40; ++i) {
    Pick p = fx.plan->pick(0, {"", static_cast<uint64_t>(i), nullptr});
    ASSERT_NE(p.endpoint, nullptr) << p.error;
    EXPECT_EQ(p.slot, traffic::Slot::kGreen);
    EXPECT_EQ(p.endpoint->slot, traffic::Slot::kGreen);
    EXPECT_TRUE(p.set_cookie.empty());
    ++hits[p.endpoint->address.toString()];
  }
  EXPECT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits["127.0.0.1:9201"], 20);
  EXPECT_EQ(hits["127.0.0.1:9202"], 20);
}

TEST(PickTest, EndpointsResolvedAndKeyed) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 1));
  trafficConfigForTest(cfg).apps[0].slots[1].endpoints[0].address.host = "localhost";
  fx.build(cfg);
  const auto& eps = fx.plan->endpoints(0);
  ASSERT_EQ(eps.size(), 2u);
  EXPECT_EQ(eps[0].key, "api/blue/127.0.0.1:9101");
  EXPECT_EQ(eps[1].key, "api/green/localhost:9201");
  EXPECT_EQ(eps[0].region, "default");
  for (const auto& e : eps) {
    ASSERT_GT(e.sockaddr_len, 0u);
    EXPECT_TRUE(e.sockaddr.ss_family == AF_INET || e.sockaddr.ss_family == AF_INET6);
  }
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&eps[0].sockaddr);
  EXPECT_EQ(ntohs(sin->sin_port), 9101);
  EXPECT_EQ(ntohl(sin->sin_addr.s_addr), 0x7f000001u);
  EXPECT_TRUE(fx.plan->endpoints(7).empty());
}

TEST(PickTest, UnresolvableHostIsAnErrorWithLocation) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 0));
  trafficConfigForTest(cfg).apps[0].slots[0].endpoints[0].address.host = "no-such-host.invalid";
  trafficConfigForTest(cfg).apps[0].slots[0].endpoints[0].where = {"shipgate.yaml", 12, 9};
  auto r = TrafficPlan::build(std::make_shared<const config::Config>(cfg), fx.registry);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("shipgate.yaml:12:9"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("no-such-host.invalid"), std::string::npos);
}

TEST(PickTest, StateSurvivesRebuild) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 2, 0));
  fx.build(cfg);
  fx.endpoint(0, "127.0.0.1:9101").state->active_healthy = false;
  fx.build(cfg);  // reload: same keys, same states
  EXPECT_FALSE(fx.endpoint(0, "127.0.0.1:9101").state->active_healthy.load());
  for (int i = 0; i < 5; ++i) {
    Pick p = fx.plan->pick(0, {});
    ASSERT_NE(p.endpoint, nullptr);
    EXPECT_EQ(p.endpoint->address.port, 9102);
  }
}

TEST(PickTest, WeightedSplitFollowsWeights) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 1));
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{90, 10};
  fx.build(cfg);
  std::mt19937_64 rng(7);
  int green = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    Pick p = fx.plan->pick(0, {"", rng(), nullptr});
    ASSERT_NE(p.endpoint, nullptr);
    EXPECT_EQ(p.endpoint->slot, p.slot);
    EXPECT_TRUE(p.set_cookie.empty());  // not sticky
    green += p.slot == traffic::Slot::kGreen;
  }
  EXPECT_GT(green, n * 8 / 100);
  EXPECT_LT(green, n * 12 / 100);
}

TEST(PickTest, ZeroWeightSlotNeverChosen) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 1));
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{0, 100};
  fx.build(cfg);
  for (uint64_t r = 0; r < 500; ++r) {
    EXPECT_EQ(fx.plan->pick(0, {"", r * 0x9e3779b97f4a7c15ULL, nullptr}).slot,
              traffic::Slot::kGreen);
  }
}

TEST(PickTest, StickyCookieKeepsClientOnItsSlot) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 1));
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{50, 50};
  trafficConfigForTest(cfg).apps[0].sticky.enabled = true;
  trafficConfigForTest(cfg).apps[0].sticky.cookie = "sg_slot";
  trafficConfigForTest(cfg).apps[0].sticky.ttl_s = 3600;
  fx.build(cfg);
  // A new client gets a slot and a cookie naming it.
  std::mt19937_64 rng(1);
  int with_cookie = 0;
  for (int i = 0; i < 200; ++i) {
    Pick p = fx.plan->pick(0, {"", rng(), nullptr});
    ASSERT_NE(p.endpoint, nullptr);
    EXPECT_EQ(p.set_cookie, std::string("sg_slot=") + traffic::slotName(p.slot) +
                                "; Path=/; Max-Age=3600; HttpOnly; SameSite=Lax");
    with_cookie += !p.set_cookie.empty();
  }
  EXPECT_EQ(with_cookie, 200);
  // A client with a cookie stays, whatever the dice say, and gets no new cookie.
  for (int i = 0; i < 200; ++i) {
    Pick p = fx.plan->pick(0, {"green", rng(), nullptr});
    EXPECT_EQ(p.slot, traffic::Slot::kGreen);
    EXPECT_TRUE(p.set_cookie.empty());
    Pick q = fx.plan->pick(0, {"blue", rng(), nullptr});
    EXPECT_EQ(q.slot, traffic::Slot::kBlue);
  }
  // An invalid cookie value is ignored: a fresh choice and a fresh cookie.
  Pick bad = fx.plan->pick(0, {"purple", rng(), nullptr});
  EXPECT_FALSE(bad.set_cookie.empty());
}

TEST(PickTest, StickyCookieForDrainedSlotIsReplaced) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 1));
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{100, 0};
  trafficConfigForTest(cfg).apps[0].sticky.enabled = true;
  fx.build(cfg);
  Pick p = fx.plan->pick(0, {"green", 12345, nullptr});
  EXPECT_EQ(p.slot, traffic::Slot::kBlue);
  EXPECT_EQ(p.set_cookie.rfind("sg_slot=blue;", 0), 0u) << p.set_cookie;
}

TEST(PickTest, WeightedSplitFallsBackToTheOtherSlot) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 1, 1));
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{90, 10};
  trafficConfigForTest(cfg).apps[0].sticky.enabled = true;
  fx.build(cfg);
  fx.endpoint(0, "127.0.0.1:9201").state->active_healthy = false;  // the canary is down
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200; ++i) {
    Pick p = fx.plan->pick(0, {"", rng(), nullptr});
    ASSERT_NE(p.endpoint, nullptr) << p.error;
    EXPECT_EQ(p.slot, traffic::Slot::kBlue);
    EXPECT_EQ(p.endpoint->slot, traffic::Slot::kBlue);
    EXPECT_EQ(p.set_cookie.rfind("sg_slot=blue;", 0), 0u);
  }
  // A client pinned to green is moved to blue, and told so.
  Pick moved = fx.plan->pick(0, {"green", 1, nullptr});
  ASSERT_NE(moved.endpoint, nullptr);
  EXPECT_EQ(moved.slot, traffic::Slot::kBlue);
  EXPECT_EQ(moved.set_cookie.rfind("sg_slot=blue;", 0), 0u);
  // Both down: the error names both slots.
  fx.endpoint(0, "127.0.0.1:9101").state->active_healthy = false;
  Pick none = fx.plan->pick(0, {"green", 1, nullptr});
  EXPECT_EQ(none.endpoint, nullptr);
  EXPECT_EQ(none.error,
            "app api slot green: 0 of 1 endpoints healthy (127.0.0.1:9201 failing health check); "
            "app api slot blue: 0 of 1 endpoints healthy (127.0.0.1:9101 failing health check)");
  // A slot with weight 0 is never a fallback.
  trafficConfigForTest(cfg).apps[0].weights = std::array<int, 2>{100, 0};
  fx.build(cfg);
  EXPECT_EQ(fx.plan->pick(0, {}).endpoint, nullptr);
}

TEST(PickTest, RoundRobinHonoursEndpointWeights) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 2, 0));
  trafficConfigForTest(cfg).apps[0].slots[0].endpoints[0].weight = 3;
  fx.build(cfg);
  std::map<int, int> hits;
  for (int i = 0; i < 400; ++i) ++hits[fx.plan->pick(0, {}).endpoint->address.port];
  EXPECT_EQ(hits[9101], 300);
  EXPECT_EQ(hits[9102], 100);
}

TEST(PickTest, LeastRequestPrefersIdleEndpoints) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 3, 0));
  trafficConfigForTest(cfg).apps[0].balance = traffic::Balance::kLeastRequest;
  fx.build(cfg);
  const Endpoint& a = fx.endpoint(0, "127.0.0.1:9101");
  const Endpoint& b = fx.endpoint(0, "127.0.0.1:9102");
  const Endpoint& c = fx.endpoint(0, "127.0.0.1:9103");
  for (int i = 0; i < 3; ++i) fx.plan->onRequestStart(a);
  fx.plan->onRequestStart(b);
  for (uint64_t r = 0; r < 50; ++r) EXPECT_EQ(fx.plan->pick(0, {"", r, nullptr}).endpoint, &c);
  fx.plan->onRequestStart(c);
  // b and c tie at 1 in flight: both are chosen, a never.
  std::map<const Endpoint*, int> hits;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 400; ++i) ++hits[fx.plan->pick(0, {"", rng(), nullptr}).endpoint];
  EXPECT_EQ(hits[&a], 0);
  EXPECT_GT(hits[&b], 100);
  EXPECT_GT(hits[&c], 100);
  fx.plan->onRequestEnd(a, Outcome::kSuccess);
  EXPECT_EQ(a.state->in_flight.load(), 2);
  EXPECT_EQ(a.state->requests.load(), 3u);
}

TEST(PickTest, BalancersSkipUnhealthyAndEjected) {
  for (auto balance : {traffic::Balance::kRoundRobin, traffic::Balance::kLeastRequest}) {
    PlanFixture fx;
    config::Config cfg;
    trafficConfigForTest(cfg).apps.push_back(testing::app("api", 3, 0));
    trafficConfigForTest(cfg).apps[0].balance = balance;
    fx.build(cfg);
    fx.endpoint(0, "127.0.0.1:9101").state->active_healthy = false;
    fx.endpoint(0, "127.0.0.1:9102").state->ejected_until_ms = 1'000'000'000'000;
    for (uint64_t r = 0; r < 30; ++r) {
      Pick p = fx.plan->pick(0, {"", r, nullptr});
      ASSERT_NE(p.endpoint, nullptr);
      EXPECT_EQ(p.endpoint->address.port, 9103);
    }
  }
}

TEST(PickTest, ExcludeIsAvoidedWhenAnotherIsAvailable) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 2, 0));
  fx.build(cfg);
  const Endpoint& a = fx.endpoint(0, "127.0.0.1:9101");
  const Endpoint& b = fx.endpoint(0, "127.0.0.1:9102");
  for (int i = 0; i < 10; ++i) EXPECT_EQ(fx.plan->pick(0, {"", 0, &a}).endpoint, &b);
  b.state->active_healthy = false;
  EXPECT_EQ(fx.plan->pick(0, {"", 0, &a}).endpoint, &a);  // the only one left
}

TEST(PickTest, NothingHealthyNamesEveryEndpointAndWhy) {
  PlanFixture fx;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 0, 2));
  trafficConfigForTest(cfg).apps[0].slots[1].endpoints[1].address.port = 9212;
  trafficConfigForTest(cfg).apps[0].active_slot = traffic::Slot::kGreen;
  fx.build(cfg);
  fx.endpoint(0, "127.0.0.1:9201").state->active_healthy = false;
  fx.endpoint(0, "127.0.0.1:9212").state->ejected_until_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(fx.clock.now().time_since_epoch())
          .count() +
      30'000;
  Pick p = fx.plan->pick(0, {});
  EXPECT_EQ(p.endpoint, nullptr);
  EXPECT_EQ(p.error,
            "app api slot green: 0 of 2 endpoints healthy (127.0.0.1:9201 failing health check, "
            "127.0.0.1:9212 ejected (30s left))");
  Pick blue = [&] {
    config::Config c2 = cfg;
    trafficConfigForTest(c2).apps[0].active_slot = traffic::Slot::kBlue;
    fx.build(c2);
    return fx.plan->pick(0, {});
  }();
  EXPECT_EQ(blue.endpoint, nullptr);
  EXPECT_EQ(blue.error, "app api slot blue: no endpoints configured");
  EXPECT_EQ(fx.plan->pick(5, {}).endpoint, nullptr);
}

}  // namespace
}  // namespace shipgate::traffic

namespace shipgate::traffic {
namespace {

// Resolves every name to 127.0.0.1 and counts the lookups.
class CountingResolver final : public Resolver {
 public:
  mutable int lookups = 0;
  Result<ResolvedAddress> resolve(const config::HostPort& address) const override {
    ++lookups;
    if (address.host == "gone.invalid") return Status::invalidArgument("cannot resolve");
    ResolvedAddress out;
    auto* sin = reinterpret_cast<sockaddr_in*>(&out.address);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin->sin_port = htons(address.port);
    out.length = sizeof(sockaddr_in);
    return out;
  }
};

TEST(PickTest, ABuildResolvesOnlyEndpointsThePreviousPlanDidNotHave) {
  SimulatedClock clock;
  HealthRegistry registry(clock);
  CountingResolver resolver;
  config::Config cfg;
  trafficConfigForTest(cfg).apps.push_back(testing::app("api", 2, 1));
  auto first = TrafficPlan::build(std::make_shared<const config::Config>(cfg), registry, nullptr,
                                  &resolver);
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(resolver.lookups, 3);
  trafficConfigForTest(cfg).apps[0].slots[1].endpoints.push_back(testing::ep("127.0.0.1", 9299));
  auto second = TrafficPlan::build(std::make_shared<const config::Config>(cfg), registry,
                                   first->get(), &resolver);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(resolver.lookups, 4);  // only the new endpoint
  const auto* sin = reinterpret_cast<const sockaddr_in*>(&(*second)->endpoints(0)[0].sockaddr);
  EXPECT_EQ(ntohs(sin->sin_port), 9101);
  // A new endpoint that does not resolve still fails the build, with its location.
  trafficConfigForTest(cfg).apps[0].slots[1].endpoints.push_back(testing::ep("gone.invalid", 9300));
  auto third = TrafficPlan::build(std::make_shared<const config::Config>(cfg), registry,
                                  second->get(), &resolver);
  EXPECT_FALSE(third.isOk());
}

}  // namespace
}  // namespace shipgate::traffic
