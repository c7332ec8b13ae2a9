// TrafficPlan::build and accessors: resolves endpoints, groups them by slot and region, builds the
// route table. route() is in router.cc, pick() in picker.cc, passive health in outlier.cc.
#include "shipgate/traffic/plan.h"

#include <algorithm>
#include <map>

#include "plan_impl.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/health_targets.h"
#include "shipgate/traffic/resolver.h"

namespace shipgate::traffic {
namespace {

using internal::AppPlan;
using internal::RegionGroup;
using internal::SlotPlan;

struct RegionInfo {
  int priority = 0;
  config::FailoverPolicy failover = config::FailoverPolicy::kAutomatic;
};

// Region name -> priority and policy for one app: the app's regions as declared (traffic's section
// has already given them the policy of a same-named health_checks entry unless the app set one),
// then regions only named by the seed's health_checks block (after the app's, in block order).
std::map<std::string, RegionInfo> regionTable(const config::Config& cfg, const AppConfig& app) {
  std::map<std::string, RegionInfo> out;
  int next = 0;
  for (const auto& r : app.regions) {
    out[r.name] = RegionInfo{r.priority, r.failover};
    next = std::max(next, r.priority + 1);
  }
  for (const auto& hc : cfg.health_checks) {
    if (hc.region.empty()) continue;
    if (out.count(hc.region) > 0) continue;
    out[hc.region] = RegionInfo{next++, hc.failover};
  }
  return out;
}

std::string defaultRegion(const AppConfig& app) {
  if (app.regions.empty()) return "default";
  const RegionConfig* best = &app.regions.front();
  for (const auto& r : app.regions) {
    if (r.priority < best->priority) best = &r;
  }
  return best->name;
}

// host:port -> an address an earlier plan resolved.
using ResolvedCache = std::map<std::string, const Endpoint*>;

Status buildApp(const config::Config& cfg, const AppConfig& app, HealthRegistry& registry,
                const ResolvedCache& resolved, const Resolver& resolver, AppPlan& plan) {
  plan.app = &app;
  const auto regions = regionTable(cfg, app);
  const std::string fallback_region = defaultRegion(app);
  size_t total = app.slots[0].endpoints.size() + app.slots[1].endpoints.size();
  plan.endpoints.reserve(total);
  for (int s = 0; s < 2; ++s) {
    const auto slot = static_cast<Slot>(s);
    for (const auto& ec : app.slots[s].endpoints) {
      Endpoint e;
      e.app = app.name;
      e.slot = slot;
      e.region = ec.region.empty() ? fallback_region : ec.region;
      e.address = ec.address;
      e.weight = std::max(1, ec.weight);
      e.key = endpointKey(app.name, slot, ec.address);
      auto known = resolved.find(ec.address.toString());
      if (known != resolved.end()) {
        e.sockaddr = known->second->sockaddr;
        e.sockaddr_len = known->second->sockaddr_len;
      } else {
        auto addr = resolver.resolve(ec.address);
        if (!addr.isOk()) {
          return Status::invalidArgument(ec.where.toString() + ": app " + app.name + " slot " +
                                         slotName(slot) + ": " + addr.status().message());
        }
        e.sockaddr = addr->address;
        e.sockaddr_len = addr->length;
      }
      e.state = registry.stateFor(e.key);
      plan.endpoints.push_back(std::move(e));
    }
  }
  int unknown_priority = 1000;
  std::map<std::string, RegionInfo> extra;  // regions named by endpoints only
  for (int i = 0; i < static_cast<int>(plan.endpoints.size()); ++i) {
    const Endpoint& e = plan.endpoints[i];
    SlotPlan& sp = plan.slots[static_cast<int>(e.slot)];
    sp.endpoints.push_back(i);
    auto group = std::find_if(sp.regions.begin(), sp.regions.end(),
                              [&](const RegionGroup& g) { return g.name == e.region; });
    if (group == sp.regions.end()) {
      RegionGroup g;
      g.name = e.region;
      auto it = regions.find(e.region);
      if (it == regions.end()) {
        auto [x, inserted] = extra.try_emplace(e.region, RegionInfo{unknown_priority, {}});
        if (inserted) ++unknown_priority;
        it = x;
      }
      g.priority = it->second.priority;
      g.failover = it->second.failover;
      sp.regions.push_back(std::move(g));
      group = sp.regions.end() - 1;
    }
    group->endpoints.push_back(i);
  }
  for (auto& sp : plan.slots) {
    std::stable_sort(sp.regions.begin(), sp.regions.end(),
                     [](const RegionGroup& a, const RegionGroup& b) {
                       return a.priority != b.priority ? a.priority < b.priority : a.name < b.name;
                     });
  }
  // A region already waiting for approval (noted under an earlier plan) stays noted, so this plan
  // clears it once spill-over stops reaching it.
  const auto waiting = registry.waitingForApproval(app.name);
  for (auto& sp : plan.slots) {
    for (auto& g : sp.regions) {
      if (std::find(waiting.begin(), waiting.end(), g.name) != waiting.end()) {
        g.noted_waiting->store(true);
      }
    }
  }
  return Status::success();
}

}  // namespace

TrafficPlan::TrafficPlan(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TrafficPlan::~TrafficPlan() = default;

Result<std::shared_ptr<const TrafficPlan>> TrafficPlan::build(
    std::shared_ptr<const config::Config> config, HealthRegistry& registry,
    const TrafficPlan* previous, const Resolver* resolver) {
  if (!config) return Status::invalidArgument("traffic plan: no config");
  ResolvedCache resolved;
  if (previous != nullptr) {
    for (const auto& ap : previous->impl_->apps) {
      for (const Endpoint& e : ap->endpoints) resolved.emplace(e.address.toString(), &e);
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  impl->registry = &registry;
  const config::Config& cfg = *impl->config;
  impl->traffic = &trafficConfigOf(cfg);
  for (const auto& app : impl->traffic->apps) {
    auto plan = std::make_unique<internal::AppPlan>();
    SG_RETURN_IF_ERROR(buildApp(cfg, app, registry, resolved,
                                resolver != nullptr ? *resolver : systemResolver(), *plan));
    impl->apps.push_back(std::move(plan));
  }
  impl->routes = internal::buildRouteTable(*impl->traffic);
  return std::shared_ptr<const TrafficPlan>(new TrafficPlan(std::move(impl)));
}

const config::Config& TrafficPlan::config() const { return *impl_->config; }

const TrafficConfig& TrafficPlan::trafficConfig() const { return *impl_->traffic; }

const std::shared_ptr<const config::Config>& TrafficPlan::configPtr() const {
  return impl_->config;
}

std::optional<RouteMatch> TrafficPlan::route(std::string_view host, std::string_view path) const {
  return internal::routeIn(*impl_->traffic, impl_->routes, host, path);
}

const std::vector<Endpoint>& TrafficPlan::endpoints(int app_index) const {
  static const std::vector<Endpoint> kNone;
  if (app_index < 0 || app_index >= static_cast<int>(impl_->apps.size())) return kNone;
  return impl_->apps[app_index]->endpoints;
}

int TrafficPlan::appIndex(std::string_view app_name) const {
  const auto& apps = impl_->traffic->apps;
  for (size_t i = 0; i < apps.size(); ++i) {
    if (apps[i].name == app_name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<RegionStatus> TrafficPlan::regions(int app_index, Slot slot) const {
  std::vector<RegionStatus> out;
  if (app_index < 0 || app_index >= static_cast<int>(impl_->apps.size())) return out;
  const internal::AppPlan& ap = *impl_->apps[app_index];
  const HealthRegistry& registry = *impl_->registry;
  const int64_t now_ms = internal::monoMillis(registry.clock());
  const auto waiting = registry.waitingForApproval(ap.app->name);
  const auto overlay = registry.routing().load();
  for (const auto& g : ap.slots[static_cast<int>(slot)].regions) {
    RegionStatus rs;
    rs.name = g.name;
    rs.priority = g.priority;
    rs.failover = g.failover;
    rs.endpoints = static_cast<int>(g.endpoints.size());
    for (int i : g.endpoints) rs.available += internal::isAvailable(ap.endpoints[i], now_ms);
    rs.approved = overlay->approved(ap.app->name, g.name);
    rs.waiting_for_approval = std::find(waiting.begin(), waiting.end(), g.name) != waiting.end();
    out.push_back(std::move(rs));
  }
  return out;
}

}  // namespace shipgate::traffic
