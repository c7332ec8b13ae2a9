// MemoryDeliveryLog: a DeliveryLog that keeps every record in memory, for the notify tests, with a
// wait for a condition on the records (the Notifier writes them from its worker thread).
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/notify/delivery_log.h"

namespace shipgate::notify::testing {

class MemoryDeliveryLog : public DeliveryLog {
 public:
  void record(const DeliveryAttempt& attempt) override {
    MutexLock lock(mu_);
    records_.push_back(attempt);
    changed_.notifyAll();
  }
  std::vector<DeliveryAttempt> records() const {
    MutexLock lock(mu_);
    return records_;
  }
  // The records of one channel.
  std::vector<DeliveryAttempt> of(const std::string& channel) const {
    std::vector<DeliveryAttempt> out;
    for (auto& r : records()) {
      if (r.channel == channel) out.push_back(r);
    }
    return out;
  }
  // Waits (real time) until `pred(records)` holds; false on timeout.
  bool waitFor(const std::function<bool(const std::vector<DeliveryAttempt>&)>& pred,
               std::chrono::milliseconds timeout = std::chrono::seconds(10)) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(mu_);
    while (!pred(records_)) {
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) return false;
      changed_.waitFor(lock, deadline - now);
    }
    return true;
  }

 private:
  mutable Mutex mu_;
  mutable CondVar changed_;
  std::vector<DeliveryAttempt> records_ GUARDED_BY(mu_);
};

}  // namespace shipgate::notify::testing
