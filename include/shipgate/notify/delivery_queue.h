// DeliveryQueue: the pending deliveries of a Notifier (one per event and channel), with the rules
// that decide which goes out next and which is dropped when the queue is full. Pure bookkeeping
// on Clock time points, so its schedule is tested on SimulatedClock; the Notifier guards it with
// its mutex and does the I/O.
//
// Ready: a delivery is ready at `now` when it is not in flight, its not_before <= now, and no
// delivery queued before it for the same channel and dedup key is still in the queue (so a
// resolve waits for its trigger, including the trigger's retries). Among ready ones the oldest
// high-priority one goes first, else the oldest (queue order).
// Full (size() == capacity): push() drops, in this order of preference, the oldest low-priority
// delivery not in flight; the new delivery itself when it is low priority; the oldest
// high-priority delivery not in flight; else the new one. size() never exceeds capacity.
// Thread: not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/notify/event.h"

namespace shipgate::notify {

struct Delivery {
  uint64_t id = 0;      // set by push(), increasing
  int channel = 0;      // index of the channel in the Notifier
  Event event;
  int attempts = 0;     // attempts made so far
  Clock::time_point not_before{};
  bool in_flight = false;
};

class DeliveryQueue {
 public:
  // REQUIRES: capacity >= 1.
  explicit DeliveryQueue(size_t capacity) : capacity_(capacity) {}

  // Queues `d` (its id is assigned here). Returns the delivery dropped to make room, if any
  // (possibly `d` itself, then with id 0 when it was never queued).
  std::optional<Delivery> push(Delivery d);
  // The oldest ready delivery, marked in flight (a copy; finish()/retry() by id), or none.
  std::optional<Delivery> takeReady(Clock::time_point now);
  // The earliest time something not in flight and not held behind its key becomes ready; none
  // when nothing is waiting (empty, or all in flight or held).
  std::optional<Clock::time_point> nextReadyAt() const;
  // The in-flight delivery `id` is done: removed.
  void finish(uint64_t id);
  // The in-flight delivery `id` failed and is tried again at `when`; attempts becomes `attempts`.
  void retry(uint64_t id, int attempts, Clock::time_point when);
  // Removes and returns everything (stop's leftovers).
  std::vector<Delivery> drain();

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  size_t capacity() const { return capacity_; }

 private:
  bool heldBehindKey(std::list<Delivery>::const_iterator it) const;
  std::optional<Delivery> dropOne(bool high_priority);

  size_t capacity_;
  uint64_t next_id_ = 1;
  std::list<Delivery> items_;  // queue order
};

}  // namespace shipgate::notify
