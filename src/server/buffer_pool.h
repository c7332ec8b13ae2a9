// BufferPool: per-worker storage lent to connections while they have bytes in flight, so an
// idle keep-alive connection holds no I/O buffers (memory with many idle connections stays
// small) and a busy one does not allocate per request (the storage goes back and forth).
// Loop thread only.
#pragma once

#include <vector>

#include "shipgate/net/buffer.h"

namespace shipgate::server {

class BufferPool {
 public:
  static constexpr size_t kMaxPooled = 64;
  static constexpr size_t kMaxKeptCapacity = 256 * 1024;

  // Gives b pooled storage when it has none.
  void borrow(net::Buffer& b) {
    if (b.capacity() != 0 || free_.empty()) return;
    b.swap(free_.back());
    free_.pop_back();
  }
  // Takes b's storage back when b is empty.
  void giveBack(net::Buffer& b) {
    if (!b.empty() || b.capacity() == 0) return;
    if (free_.size() >= kMaxPooled || b.capacity() > kMaxKeptCapacity) {
      net::Buffer drop;
      drop.swap(b);
      return;
    }
    free_.emplace_back();
    free_.back().swap(b);
  }

 private:
  std::vector<net::Buffer> free_;
};

}  // namespace shipgate::server
