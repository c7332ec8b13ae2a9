#include "shipgate/traffic/routing_overlay.h"

namespace shipgate::traffic {
namespace {

std::atomic<uint64_t> next_cell_id{1};

// One cached overlay per thread; refreshed when the cell or its version differs.
struct ThreadCache {
  uint64_t cell_id = 0;
  uint64_t version = 0;
  std::shared_ptr<const RoutingOverlay> overlay;
};

}  // namespace

EffectiveSlot effectiveSlot(const AppConfig& app, const AppOverlay* overlay) {
  if (overlay != nullptr && overlay->slot && overlay->slot->appliesTo(app)) {
    return {overlay->slot->active_slot, overlay->slot->weights, true};
  }
  return {app.active_slot, app.weights, false};
}

RoutingOverlayCell::RoutingOverlayCell() : id_(next_cell_id.fetch_add(1)) {
  publish(RoutingOverlay{});
}

void RoutingOverlayCell::publish(RoutingOverlay overlay) {
  MutexLock lock(mu_);
  overlay.version = version_.load(std::memory_order_relaxed) + 1;
  const uint64_t version = overlay.version;
  overlay_ = std::make_shared<const RoutingOverlay>(std::move(overlay));
  version_.store(version, std::memory_order_release);
}

std::shared_ptr<const RoutingOverlay> RoutingOverlayCell::load() const {
  MutexLock lock(mu_);
  return overlay_;
}

const RoutingOverlay& RoutingOverlayCell::current() const {
  thread_local ThreadCache cache;
  if (cache.cell_id != id_ || cache.version != version_.load(std::memory_order_acquire)) {
    MutexLock lock(mu_);
    cache.overlay = overlay_;
    cache.cell_id = id_;
    cache.version = overlay_->version;
  }
  return *cache.overlay;
}

}  // namespace shipgate::traffic
