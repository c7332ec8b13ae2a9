// TrafficPlan::pick: slot -> region -> endpoint.
//
// Slot: the active slot, or with weights a random split; with a sticky cookie a client that holds
// a valid slot whose weight is still > 0 stays there. With weights, when the chosen slot has no
// available endpoint the other slot (if its weight > 0) serves, and a sticky client is moved.
// Region (Envoy priority levels): regions in priority order; a region with healthy fraction f takes
// min(1, f / min_healthy_fraction) of the load still unassigned and the rest spills to the next.
// A manual_approval region only takes spill-over once the RoutingOverlay approves it
// (TrafficControl::approveFailover); until then the registry records that it is waiting, and a
// failed pick carries the (app, region) in Pick::waiting_approval for the caller to phrase. Shares
// are normalised over what is available. The slot choice and the approvals come from the overlay
// (RoutingOverlayCell::current(): lock-free, no strings built).
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

std::string stickyCookie(const AppConfig& app, Slot slot) {
  return app.sticky.cookie + "=" + slotName(slot) +
         "; Path=/; Max-Age=" + std::to_string(app.sticky.ttl_s) + "; HttpOnly; SameSite=Lax";
}

Slot chooseSlot(const AppConfig& app, const EffectiveSlot& eff, const PickRequest& req, Pick& out) {
  if (!eff.weights) return eff.active_slot;
  const auto& w = *eff.weights;
  const int blue = std::max(0, w[0]);
  const int green = std::max(0, w[1]);
  if (blue + green <= 0) return eff.active_slot;
  if (app.sticky.enabled && !req.sticky_cookie.empty()) {
    if (req.sticky_cookie == "blue" && blue > 0) return Slot::kBlue;
    if (req.sticky_cookie == "green" && green > 0) return Slot::kGreen;
  }
  const uint64_t r = mix(req.random, 0) % static_cast<uint64_t>(blue + green);
  const Slot slot = r < static_cast<uint64_t>(blue) ? Slot::kBlue : Slot::kGreen;
  if (app.sticky.enabled) {
    out.set_cookie = stickyCookie(app, slot);
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
  if (ap.app->balance == Balance::kLeastRequest) {
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

// "app api slot green: 0 of 2 endpoints healthy (127.0.0.1:9102 failing health check, ...)",
// over the regions traffic may use (considered[r]); regions waiting for approval are left out.
std::string describeUnavailable(const AppPlan& ap, const SlotPlan& sp, const bool* considered,
                                int64_t now_ms) {
  int healthy = 0;
  size_t total = 0;
  std::string reasons;
  std::string region_names;
  size_t region_count = 0;
  for (size_t r = 0; r < sp.regions.size(); ++r) {
    if (!considered[r]) continue;
    const RegionGroup& g = sp.regions[r];
    region_names += (region_count++ ? ", " : "") + g.name;
    for (int i : g.endpoints) {
      const Endpoint& e = ap.endpoints[i];
      ++total;
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
  }
  std::string out = "app " + ap.app->name + " slot " +
                    slotName(static_cast<Slot>(&sp - &ap.slots[0])) + ": " +
                    std::to_string(healthy) + " of " + std::to_string(total) + " endpoints healthy";
  if (region_count > 1 || (region_count == 1 && region_names != "default")) {
    out += (region_count > 1 ? " in regions " : " in region ") + region_names;
  }
  if (!reasons.empty()) out += " (" + reasons + ")";
  return out;
}

// Region choice and balancing within one slot; nullptr with `error` set when nothing is available.
const Endpoint* pickFromSlot(const AppPlan& ap, Slot slot, const PickRequest& req,
                             HealthRegistry& registry, const AppOverlay* overlay, int64_t now_ms,
                             Pick& out) {
  std::string& error = out.error;
  const AppConfig& app = *ap.app;
  const SlotPlan& sp = ap.slots[static_cast<int>(slot)];
  if (sp.endpoints.empty()) {
    error = "app " + app.name + " slot " + slotName(slot) + ": no endpoints configured";
    return nullptr;
  }
  const size_t n = sp.regions.size();
  double inline_shares[kInlineRegions];
  bool inline_considered[kInlineRegions];
  std::unique_ptr<double[]> heap_shares;
  std::unique_ptr<bool[]> heap_considered;
  double* shares = inline_shares;
  bool* considered = inline_considered;
  if (n > kInlineRegions) {
    heap_shares = std::make_unique<double[]>(n);
    heap_considered = std::make_unique<bool[]>(n);
    shares = heap_shares.get();
    considered = heap_considered.get();
  }
  const double min_fraction = app.min_healthy_fraction;
  double remaining = 1.0;
  double total_share = 0.0;
  const RegionGroup* waiting = nullptr;  // first region held back by a missing approval
  int waiting_healthy = 0;
  for (size_t r = 0; r < n; ++r) {
    const RegionGroup& g = sp.regions[r];
    shares[r] = 0.0;
    considered[r] = false;
    const bool manual = r > 0 && g.failover == config::FailoverPolicy::kManualApproval;
    if (remaining <= 0.0) {
      // Spill-over no longer reaches this region: it is not waiting any more.
      if (manual && g.noted_waiting->exchange(false, std::memory_order_relaxed)) {
        registry.clearWaiting(app.name, g.name);
      }
      continue;
    }
    const int healthy = countAvailable(ap, g, now_ms);
    if (manual) {
      if (overlay == nullptr || !overlay->approved(g.name)) {
        if (waiting == nullptr) {
          waiting = &g;
          waiting_healthy = healthy;
        }
        if (!g.noted_waiting->exchange(true, std::memory_order_relaxed)) {
          registry.noteWaitingForApproval(app.name, slot, sp.regions[0].name, g.name);
        }
        continue;
      }
      g.noted_waiting->store(false, std::memory_order_relaxed);  // approved: nothing to wait for
    }
    considered[r] = true;
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
    error = describeUnavailable(ap, sp, considered, now_ms);
    if (waiting != nullptr) {
      error += "; waiting for approval to fail over to region " + waiting->name + " (" +
               std::to_string(waiting_healthy) + " healthy there)";
      out.waiting_approval = ApprovalWait{app.name, waiting->name};
    }
    return nullptr;
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
  const Endpoint* endpoint = balance(ap, sp.regions[chosen], req, now_ms);
  if (endpoint == nullptr) {
    // Only the excluded endpoint is available in the chosen region: try the other regions.
    for (size_t r = 0; r < n && endpoint == nullptr; ++r) {
      if (r != chosen && shares[r] > 0.0) endpoint = balance(ap, sp.regions[r], req, now_ms);
    }
  }
  if (endpoint == nullptr && req.exclude != nullptr && isAvailable(*req.exclude, now_ms)) {
    endpoint = req.exclude;  // nothing else: retry on the same endpoint rather than fail
  }
  if (endpoint == nullptr) error = describeUnavailable(ap, sp, considered, now_ms);
  return endpoint;
}

}  // namespace

Pick TrafficPlan::pick(int app_index, const PickRequest& req) const {
  Pick out;
  if (app_index < 0 || app_index >= static_cast<int>(impl_->apps.size())) {
    out.error = "no app with index " + std::to_string(app_index);
    return out;
  }
  const AppPlan& ap = *impl_->apps[app_index];
  const AppConfig& app = *ap.app;
  HealthRegistry& registry = *impl_->registry;
  const int64_t now_ms = internal::monoMillis(registry.clock());
  const AppOverlay* overlay = registry.routing().current().find(app.name);
  const EffectiveSlot eff = effectiveSlot(app, overlay);
  out.slot = chooseSlot(app, eff, req, out);
  out.endpoint = pickFromSlot(ap, out.slot, req, registry, overlay, now_ms, out);
  if (out.endpoint != nullptr || !eff.weights) return out;
  // Weighted split: when the chosen slot has nothing to offer, the other slot (if it has weight)
  // serves instead, and a sticky client is moved there.
  const auto other = out.slot == Slot::kBlue ? Slot::kGreen : Slot::kBlue;
  if ((*eff.weights)[static_cast<int>(other)] <= 0) return out;
  Pick other_pick;
  const Endpoint* e = pickFromSlot(ap, other, req, registry, overlay, now_ms, other_pick);
  if (e == nullptr) {
    out.error += "; " + other_pick.error;
    if (!out.waiting_approval) out.waiting_approval = std::move(other_pick.waiting_approval);
    return out;
  }
  out.endpoint = e;
  out.slot = other;
  out.error.clear();
  out.waiting_approval.reset();
  if (app.sticky.enabled) out.set_cookie = stickyCookie(app, other);
  return out;
}

}  // namespace shipgate::traffic
