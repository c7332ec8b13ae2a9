// BufferPool: per-worker storage lent to connections while they have bytes in flight, so an
// idle keep-alive connection holds no I/O buffers (memory with many idle connections stays
// small) and a busy one does not allocate per request (the storage goes back and forth).
// Bounded: at most kMaxPooled buffers of at most kMaxKeptCapacity bytes each and kMaxPooledBytes
// in all, so after a burst of many busy connections the pool keeps no more than that (the rest is
// freed, and the allocator can give it back to the system).
// Loop thread only.
#pragma once

#include <vector>

#include "shipgate/net/buffer.h"

namespace shipgate::server {

class BufferPool {
 public:
  static constexpr size_t kMaxPooled = 64;
  static constexpr size_t kMaxKeptCapacity = 256 * 1024;
  static constexpr size_t kMaxPooledBytes = 1024 * 1024;

  // Gives b pooled storage when it has none.
  void borrow(net::Buffer& b) {
    if (b.capacity() != 0 || free_.empty()) return;
    b.swap(free_.back());
    free_.pop_back();
    pooled_bytes_ -= b.capacity();
  }
  // Takes b's storage back when b is empty.
  void giveBack(net::Buffer& b) {
    if (!b.empty() || b.capacity() == 0) return;
    if (free_.size() >= kMaxPooled || b.capacity() > kMaxKeptCapacity ||
        pooled_bytes_ + b.capacity() > kMaxPooledBytes) {
      net::Buffer drop;
      drop.swap(b);
      return;
    }
    pooled_bytes_ += b.capacity();
    free_.emplace_back();
    free_.back().swap(b);
  }
  size_t pooledBytes() const { return pooled_bytes_; }

 private:
  std::vector<net::Buffer> free_;
  size_t pooled_bytes_ = 0;
};

}  // namespace shipgate::server
