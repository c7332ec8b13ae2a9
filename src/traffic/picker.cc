// TrafficPlan::pick: slot -> region -> endpoint.
//
// Slot: the active slot, or with weights a random split; with a sticky cookie a client that holds
// a valid slot whose weight is still > 0 stays there.
// Region (Envoy priority levels): regions in priority order; a region with healthy fraction f takes
// min(1, f / min_healthy_fraction) of the load still unassigned and the rest spills to the next.
// A manual_approval region only takes spill-over once HealthRegistry::approveFailover was called;
// until then the registry records that it is waiting. Shares are normalised over what is available.
// Endpoint: round robin (weighted, per-app atomic counter) or least request (fewest in flight, ties
// broken at random) over active-healthy, non-ejected endpoints, avoiding PickRequest::exclude when
// any other endpoint is available.
#include <algorithm>
#include <memory>

#include "plan_impl.h"

namespace shipgate::traffic {
namespace {

using internal::AppPlan;
using internal::isAvailable;
using internal::mix;
using internal::RegionGroup;
using internal::SlotPlan;

constexpr size_t kInlineRegions = 16;

config::Slot chooseSlot(const config::AppConfig& app, const PickRequest& req, Pick& out) {
  if (!app.weights) return app.active_slot;
  const auto& w = *app.weights;
  const int blue = std::max(0, w[0]);
  const int green = std::max(0, w[1]);
  if (blue + green <= 0) return app.active_slot;
  if (app.sticky.enabled && !req.sticky_cookie.empty()) {
    if (req.sticky_cookie == "blue" && blue > 0) return config::Slot::kBlue;
    if (req.sticky_cookie == "green" && green > 0) return config::Slot::kGreen;
  }
  const uint64_t r = mix(req.random, 0) % static_cast<uint64_t>(blue + green);
  const config::Slot slot = r < static_cast<uint64_t>(blue) ? config::Slot::kBlue
                                                            : config::Slot::kGreen;
  if (app.sticky.enabled) {
    out.set_cookie = app.sticky.cookie + "=" + config::slotName(slot) +
                     "; Path=/; Max-Age=" + std::to_string(app.sticky.ttl_s) +
                     "; HttpOnly; SameSite=Lax";
  }
  return slot;
}

int countAvailable(const AppPlan& ap, const RegionGroup& g, int64_t now_ms) {
  int n = 0;
  for (int i : g.endpoints) n += isAvailable(ap.endpoints[i], now_ms) ? 1 : 0;
  return n;
}

// Picks within one region; nullptr when nothing but (perhaps) `exclude` is available.
const Endpoint* balance(const AppPlan& ap, const RegionGroup& g, const PickRequest& req,
                        int64_t now_ms) {
  if (ap.app->balance == config::Balance::kLeastRequest) {
    const Endpoint* best = nullptr;
    int32_t best_load = 0;
    uint64_t ties = 0;
    for (int i : g.endpoints) {
      const Endpoint& e = ap.endpoints[i];
      if (&e == req.exclude || !isAvailable(e, now_ms)) continue;
      const int32_t load = e.state->in_flight.load(std::memory_order_relaxed);
      if (best == nullptr || load < best_load) {
        best = &e;
        best_load = load;
        ties = 1;
      } else if (load == best_load) {
        ++ties;  // reservoir sampling: each tied endpoint is kept with probability 1/ties
        if (mix(req.random, 100 + ties) % ties == 0) best = &e;
      }
    }
    return best;
  }
  uint64_t total_weight = 0;
  for (int i : g.endpoints) {
    const Endpoint& e = ap.endpoints[i];
    if (&e != req.exclude && isAvailable(e, now_ms)) total_weight += e.weight;
  }
  if (total_weight == 0) return nullptr;
  uint64_t n = ap.round_robin.fetch_add(1, std::memory_order_relaxed) % total_weight;
  for (int i : g.endpoints) {
    const Endpoint& e = ap.endpoints[i];
    if (&e == req.exclude || !isAvailable(e, now_ms)) continue;
    if (n < static_cast<uint64_t>(e.weight)) return &e;
    n -= e.weight;
  }
  return nullptr;  // states changed between the passes; the caller falls back
}

std::string approveCommand(const std::string& app, const std::string& region) {
  return "shipgate failover approve --app " + app + " --region " + region;
}

std::string describeUnavailable(const AppPlan& ap, const SlotPlan& sp, int64_t now_ms) {
  int healthy = 0;
  std::string reasons;
  for (int i : sp.endpoints) {
    const Endpoint& e = ap.endpoints[i];
    if (isAvailable(e, now_ms)) {
      ++healthy;
      continue;
    }
    if (!reasons.empty()) reasons += ", ";
    reasons += e.address.toString();
    if (!e.state->active_healthy.load(std::memory_order_relaxed)) {
      reasons += " failing health check";
    } else {
      const int64_t left = e.state->ejected_until_ms.load(std::memory_order_relaxed) - now_ms;
      reasons += " ejected (" + std::to_string((left + 999) / 1000) + "s left)";
    }
  }
  std::string out = "app " + ap.app->name + " slot " +
                    config::slotName(static_cast<config::Slot>(&sp - &ap.slots[0])) + ": " +
                    std::to_string(healthy) + " of " + std::to_string(sp.endpoints.size()) +
                    " endpoints healthy";
  if (sp.regions.size() > 1 || (sp.regions.size() == 1 && sp.regions[0].name != "default")) {
    out += sp.regions.size() > 1 ? " in regions " : " in region ";
    for (size_t r = 0; r < sp.regions.size(); ++r) out += (r ? ", " : "") + sp.regions[r].name;
  }
  if (!reasons.empty()) out += " (" + reasons + ")";
  return out;
}

}  // namespace

Pick TrafficPlan::pick(int app_index, const PickRequest& req) const {
  Pick out;
  if (app_index < 0 || app_index >= static_cast<int>(impl_->apps.size())) {
    out.error = "no app with index " + std::to_string(app_index);
    return out;
  }
  const AppPlan& ap = *impl_->apps[app_index];
  const config::AppConfig& app = *ap.app;
  HealthRegistry& registry = *impl_->registry;
  out.slot = chooseSlot(app, req, out);
  const SlotPlan& sp = ap.slots[static_cast<int>(out.slot)];
  if (sp.endpoints.empty()) {
    out.error = "app " + app.name + " slot " + config::slotName(out.slot) +
                ": no endpoints configured";
    return out;
  }
  const int64_t now_ms = internal::monoMillis(registry.clock());

  const size_t n = sp.regions.size();
  double inline_shares[kInlineRegions];
  std::unique_ptr<double[]> heap_shares;
  double* shares = inline_shares;
  if (n > kInlineRegions) {
    heap_shares = std::make_unique<double[]>(n);
    shares = heap_shares.get();
  }
  const double min_fraction = app.min_healthy_fraction;
  double remaining = 1.0;
  double total_share = 0.0;
  const RegionGroup* waiting = nullptr;  // first region held back by a missing approval
  int waiting_healthy = 0;
  for (size_t r = 0; r < n; ++r) {
    const RegionGroup& g = sp.regions[r];
    shares[r] = 0.0;
    const bool manual = r > 0 && g.failover == config::FailoverPolicy::kManualApproval;
    if (remaining <= 0.0) {
      if (manual) registry.clearWaiting(app.name, g.name);
      continue;
    }
    const int healthy = countAvailable(ap, g, now_ms);
    if (manual && !registry.failoverApproved(app.name, g.name)) {
      if (waiting == nullptr) {
        waiting = &g;
        waiting_healthy = healthy;
      }
      registry.noteWaitingForApproval(
          app.name, g.name,
          "app " + app.name + " slot " + config::slotName(out.slot) + ": region " +
              sp.regions[0].name + " unhealthy; waiting for approval to fail over to " + g.name +
              " (" + approveCommand(app.name, g.name) + ")");
      continue;
    }
    if (g.endpoints.empty()) continue;
    const double fraction = static_cast<double>(healthy) / static_cast<double>(g.endpoints.size());
    double capacity = healthy > 0 ? 1.0 : 0.0;
    if (min_fraction > 0.0) capacity = std::min(1.0, fraction / min_fraction);
    shares[r] = remaining * capacity;
    remaining -= shares[r];
    total_share += shares[r];
  }

  if (total_share <= 0.0) {
    // Nothing eligible is healthy; the excluded endpoint was counted, so this is a real outage.
    out.error = describeUnavailable(ap, sp, now_ms);
    if (waiting != nullptr) {
      out.error += "; waiting for approval to fail over to region " + waiting->name + " (" +
                   std::to_string(waiting_healthy) + " healthy there): run `" +
                   approveCommand(app.name, waiting->name) + "`";
    }
    return out;
  }

  const double target = internal::unitInterval(mix(req.random, 1)) * total_share;
  size_t chosen = 0;
  double acc = 0.0;
  for (size_t r = 0; r < n; ++r) {
    if (shares[r] <= 0.0) continue;
    chosen = r;
    acc += shares[r];
    if (target < acc) break;
  }
  out.endpoint = balance(ap, sp.regions[chosen], req, now_ms);
  if (out.endpoint == nullptr) {
    // Only the excluded endpoint is available in the chosen region: try the other regions.
    for (size_t r = 0; r < n && out.endpoint == nullptr; ++r) {
      if (r != chosen && shares[r] > 0.0) out.endpoint = balance(ap, sp.regions[r], req, now_ms);
    }
  }
  if (out.endpoint == nullptr && req.exclude != nullptr && isAvailable(*req.exclude, now_ms)) {
    out.endpoint = req.exclude;  // nothing else: retry on the same endpoint rather than fail
  }
  if (out.endpoint == nullptr) out.error = describeUnavailable(ap, sp, now_ms);
  return out;
}

}  // namespace shipgate::traffic
