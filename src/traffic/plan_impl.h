// Private: the data behind a TrafficPlan, shared by plan.cc (build), router.cc (route),
// picker.cc (pick) and outlier.cc (passive health). Immutable after build except for the
// per-app round-robin counters (atomics).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/endpoint.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::traffic::internal {

// One region of one slot of one app: endpoints (indices into AppPlan::endpoints) in one region.
struct RegionGroup {
  std::string name;
  int priority = 0;
  config::FailoverPolicy failover = config::FailoverPolicy::kAutomatic;
  std::vector<int> endpoints;
  // manual_approval regions: this slot has told the registry it waits for approval here. Lets
  // pick() skip the registry's lock while the state is unchanged, and clear only what it noted.
  std::shared_ptr<std::atomic<bool>> noted_waiting = std::make_shared<std::atomic<bool>>(false);
};

struct SlotPlan {
  std::vector<RegionGroup> regions;  // sorted by priority, then name
  std::vector<int> endpoints;        // all endpoint indices of the slot
};

struct AppPlan {
  const AppConfig* app = nullptr;
  std::vector<Endpoint> endpoints;  // both slots; never resized after build (pointers escape)
  SlotPlan slots[2];
  mutable std::atomic<uint64_t> round_robin{0};
};

// One host pattern -> site.
struct HostEntry {
  std::string host;  // lower-case; for wildcards, the suffix including the dot
  int site_index = -1;
};

struct RouteTable {
  std::vector<HostEntry> exact;     // lower-case names
  std::vector<HostEntry> wildcard;  // ".example.com" for "*.example.com", longest first
  std::vector<int> any_host;        // sites without hosts
  std::vector<int> site_app;        // site index -> app index (-1 for static sites)
};

// Milliseconds of the clock's monotonic time, as stored in EndpointState::ejected_until_ms.
inline int64_t monoMillis(const Clock& clock) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock.now().time_since_epoch())
      .count();
}

// True when the endpoint may receive traffic now.
inline bool isAvailable(const Endpoint& e, int64_t now_ms) {
  return e.state->active_healthy.load(std::memory_order_relaxed) &&
         e.state->ejected_until_ms.load(std::memory_order_relaxed) <= now_ms;
}

// Stateless mixing of the caller's randomness, so one PickRequest::random feeds several choices.
inline uint64_t mix(uint64_t x, uint64_t salt) {
  x += 0x9e3779b97f4a7c15ULL * (salt + 1);
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Fraction in [0, 1) from 64 random bits.
inline double unitInterval(uint64_t r) { return static_cast<double>(r >> 11) * 0x1.0p-53; }

RouteTable buildRouteTable(const TrafficConfig& config);
std::optional<RouteMatch> routeIn(const TrafficConfig& config, const RouteTable& table,
                                  std::string_view host, std::string_view path);

}  // namespace shipgate::traffic::internal

namespace shipgate::traffic {

struct TrafficPlan::Impl {
  std::shared_ptr<const config::Config> config;
  const TrafficConfig* traffic = nullptr;  // trafficConfigOf(*config)
  HealthRegistry* registry = nullptr;
  std::vector<std::unique_ptr<internal::AppPlan>> apps;  // index = traffic->apps index
  internal::RouteTable routes;
};

}  // namespace shipgate::traffic
