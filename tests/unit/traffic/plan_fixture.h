// Test helpers: small configs for TrafficPlan tests, built in code.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"
#include "shipgate/traffic/traffic_config.h"
#include "shipgate/traffic/traffic_control.h"

namespace shipgate::traffic::testing {

inline traffic::EndpointConfig ep(const std::string& host, uint16_t port,
                                  const std::string& region = "", int weight = 1) {
  traffic::EndpointConfig e;
  e.address = {host, port};
  e.region = region;
  e.weight = weight;
  return e;
}

// An app "api" with blue endpoints 127.0.0.1:9101.. and green 127.0.0.1:9201.. (count each).
inline traffic::AppConfig app(const std::string& name, int blue, int green) {
  traffic::AppConfig a;
  a.name = name;
  for (int i = 0; i < blue; ++i) a.slots[0].endpoints.push_back(ep("127.0.0.1", 9101 + i));
  for (int i = 0; i < green; ++i) a.slots[1].endpoints.push_back(ep("127.0.0.1", 9201 + i));
  return a;
}

inline traffic::SiteConfig appSite(const std::string& name, const std::string& app_name,
                                   std::vector<std::string> hosts,
                                   const std::string& prefix = "/") {
  traffic::SiteConfig s;
  s.name = name;
  s.kind = traffic::SiteKind::kApp;
  s.app = app_name;
  s.hosts = std::move(hosts);
  s.path_prefix = prefix;
  return s;
}

struct PlanFixture {
  SimulatedClock clock;
  HealthRegistry registry{clock};
  std::shared_ptr<const TrafficPlan> plan;
  std::unique_ptr<TrafficControl> control;  // runtime changes, against the last built config

  void build(config::Config cfg) {
    auto shared = std::make_shared<const config::Config>(std::move(cfg));
    auto result = TrafficPlan::build(shared, registry);
    ASSERT_TRUE(result.isOk()) << result.status().toString();
    plan = result.value();
    if (!control) {
      control = std::make_unique<TrafficControl>(registry, shared);
    } else {
      control->setConfig(shared);
    }
  }
  const Endpoint& endpoint(int app_index, const std::string& address) const {
    for (const auto& e : plan->endpoints(app_index)) {
      if (e.address.toString() == address) return e;
    }
    ADD_FAILURE() << "no endpoint " << address;
    return plan->endpoints(app_index).front();
  }
};

}  // namespace shipgate::traffic::testing
