// RoutingOverlay: the routing state that changes at runtime, kept apart from the config and the
// TrafficPlan so that changing it is a pointer swap: per app, a slot/weights override made through
// TrafficControl, and the regions a manual_approval failover has been approved into.
//
// An override records what the file said when it was made (file_slot, file_weights); it applies
// only while the loaded config still says that, so a reload that changes an app's active_slot or
// weights wins over an earlier runtime switch, and one that does not keeps the switch.
//
// RoutingOverlayCell publishes the current overlay (RCU): writers publish a new immutable overlay;
// readers on the request path use current(), which keeps a per-thread copy of the shared_ptr and
// only takes the cell's lock when the version moved (once per change per thread), so the steady
// state is one acquire load and no shared reference count traffic.
// Thread-safety: RoutingOverlay is immutable once published; every RoutingOverlayCell method is
// thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/config/config.h"
#include "shipgate/traffic/traffic_config.h"

namespace shipgate::traffic {

using SlotWeights = std::optional<std::array<int, 2>>;  // {blue, green}

// A runtime slot/weights decision for one app.
struct SlotOverride {
  Slot active_slot = Slot::kBlue;
  SlotWeights weights;  // set: weighted split (active_slot is the heavier side)
  // What the loaded config said when the override was made.
  Slot file_slot = Slot::kBlue;
  SlotWeights file_weights;

  bool appliesTo(const AppConfig& app) const {
    return app.active_slot == file_slot && app.weights == file_weights;
  }
};

struct AppOverlay {
  std::optional<SlotOverride> slot;
  std::vector<std::string> approved_regions;  // manual_approval regions traffic may spill into

  bool approved(std::string_view region) const {
    for (const auto& r : approved_regions) {
      if (r == region) return true;
    }
    return false;
  }
};

// The slot choice in effect for one app: the config's, or a runtime override of it.
struct EffectiveSlot {
  Slot active_slot = Slot::kBlue;
  SlotWeights weights;
  bool runtime = false;  // an override made through TrafficControl is in effect
};

struct RoutingOverlay {
  uint64_t version = 0;  // set by RoutingOverlayCell::publish; increases with every publish
  std::map<std::string, AppOverlay, std::less<>> apps;  // only apps with runtime state

  const AppOverlay* find(std::string_view app) const {
    if (apps.empty()) return nullptr;
    auto it = apps.find(app);
    return it == apps.end() ? nullptr : &it->second;
  }
  bool approved(std::string_view app, std::string_view region) const {
    const AppOverlay* a = find(app);
    return a != nullptr && a->approved(region);
  }
};

// The config's slot choice with `overlay` (may be null) applied.
EffectiveSlot effectiveSlot(const AppConfig& app, const AppOverlay* overlay);

class RoutingOverlayCell {
 public:
  RoutingOverlayCell();  // publishes an empty overlay
  RoutingOverlayCell(const RoutingOverlayCell&) = delete;
  RoutingOverlayCell& operator=(const RoutingOverlayCell&) = delete;

  // Stamps overlay.version with the next version and makes it current. Never fails, no I/O.
  void publish(RoutingOverlay overlay);
  // The current overlay (takes the lock; for the control plane and status output).
  std::shared_ptr<const RoutingOverlay> load() const;
  // The current overlay for the request path: lock-free unless the version moved since this
  // thread's last call. The reference stays valid until this thread calls current() again (on
  // any cell).
  const RoutingOverlay& current() const;
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

 private:
  const uint64_t id_;  // distinguishes cells in the per-thread cache
  std::atomic<uint64_t> version_{0};
  mutable Mutex mu_;
  std::shared_ptr<const RoutingOverlay> overlay_ GUARDED_BY(mu_);
};

}  // namespace shipgate::traffic
