// The pending deliveries and their order and drop rules (see notify/delivery_queue.h).
#include "shipgate/notify/delivery_queue.h"

#include <utility>

namespace shipgate::notify {

bool DeliveryQueue::heldBehindKey(std::list<Delivery>::const_iterator it) const {
  for (auto p = items_.begin(); p != it; ++p) {
    if (p->channel == it->channel && p->event.dedup_key == it->event.dedup_key) return true;
  }
  return false;
}

std::optional<Delivery> DeliveryQueue::dropOne(bool high_priority) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->in_flight || isHighPriority(it->event.kind) != high_priority) continue;
    Delivery dropped = std::move(*it);
    items_.erase(it);
    return dropped;
  }
  return std::nullopt;
}

std::optional<Delivery> DeliveryQueue::push(Delivery d) {
  std::optional<Delivery> dropped;
  if (items_.size() >= capacity_) {
    bool high = isHighPriority(d.event.kind);
    dropped = dropOne(/*high_priority=*/false);
    if (!dropped && !high) return d;
    if (!dropped) dropped = dropOne(/*high_priority=*/true);
    if (!dropped) return d;
  }
  d.id = next_id_++;
  d.in_flight = false;
  items_.push_back(std::move(d));
  return dropped;
}

std::optional<Delivery> DeliveryQueue::takeReady(Clock::time_point now) {
  auto chosen = items_.end();
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->in_flight || it->not_before > now || heldBehindKey(it)) continue;
    if (isHighPriority(it->event.kind)) {
      chosen = it;
      break;
    }
    if (chosen == items_.end()) chosen = it;
  }
  if (chosen == items_.end()) return std::nullopt;
  chosen->in_flight = true;
  return *chosen;
}

std::optional<Clock::time_point> DeliveryQueue::nextReadyAt() const {
  std::optional<Clock::time_point> next;
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->in_flight || heldBehindKey(it)) continue;
    if (!next || it->not_before < *next) next = it->not_before;
  }
  return next;
}

void DeliveryQueue::finish(uint64_t id) {
  for (auto it = items_.begin(); it != items_.end(); ++it) {
    if (it->id == id) {
      items_.erase(it);
      return;
    }
  }
}

void DeliveryQueue::retry(uint64_t id, int attempts, Clock::time_point when) {
  for (auto& d : items_) {
    if (d.id == id) {
      d.in_flight = false;
      d.attempts = attempts;
      d.not_before = when;
      return;
    }
  }
}

std::vector<Delivery> DeliveryQueue::drain() {
  std::vector<Delivery> out(std::make_move_iterator(items_.begin()),
                            std::make_move_iterator(items_.end()));
  items_.clear();
  return out;
}

}  // namespace shipgate::notify
