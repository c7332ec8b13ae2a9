#include "connection_limits.h"

#include <netinet/in.h>

#include <cstring>

#include "http1_connection.h"

namespace shipgate::server {

void ReclaimLists::set(Http1Connection* c, Reclaimable kind) {
  ReclaimHook& h = c->reclaimHook();
  if (h.kind == kind) return;
  if (h.kind != Reclaimable::kNo) {
    List& from = lists_[static_cast<size_t>(h.kind)];
    if (h.prev != nullptr) {
      h.prev->reclaimHook().next = h.next;
    } else {
      from.head = h.next;
    }
    if (h.next != nullptr) {
      h.next->reclaimHook().prev = h.prev;
    } else {
      from.tail = h.prev;
    }
    --from.size;
    h.prev = h.next = nullptr;
  }
  h.kind = kind;
  if (kind == Reclaimable::kNo) return;
  List& to = lists_[static_cast<size_t>(kind)];
  h.prev = to.tail;
  if (to.tail != nullptr) {
    to.tail->reclaimHook().next = c;
  } else {
    to.head = c;
  }
  to.tail = c;
  ++to.size;
}

ClientKey clientKey(const net::SockAddr& addr) {
  uint8_t bytes[16] = {};
  if (addr.storage.ss_family == AF_INET6) {
    const auto* a6 = reinterpret_cast<const sockaddr_in6*>(&addr.storage);
    std::memcpy(bytes, &a6->sin6_addr, 16);
  } else if (addr.storage.ss_family == AF_INET) {
    const auto* a4 = reinterpret_cast<const sockaddr_in*>(&addr.storage);
    bytes[10] = bytes[11] = 0xff;
    std::memcpy(bytes + 12, &a4->sin_addr, 4);
  }
  ClientKey key;
  std::memcpy(&key.hi, bytes, 8);
  std::memcpy(&key.lo, bytes + 8, 8);
  return key;
}

bool ClientConnectionCounts::tryAdd(const ClientKey& key, size_t limit) {
  Shard& s = shardOf(key);
  MutexLock lock(s.mu);
  uint32_t& n = s.counts[key];
  if (n >= limit) {
    if (n == 0) s.counts.erase(key);
    return false;
  }
  ++n;
  return true;
}

void ClientConnectionCounts::remove(const ClientKey& key) {
  Shard& s = shardOf(key);
  MutexLock lock(s.mu);
  auto it = s.counts.find(key);
  if (it == s.counts.end()) return;
  if (--it->second == 0) s.counts.erase(it);
}

size_t ClientConnectionCounts::count(const ClientKey& key) {
  Shard& s = shardOf(key);
  MutexLock lock(s.mu);
  auto it = s.counts.find(key);
  return it == s.counts.end() ? 0 : it->second;
}

}  // namespace shipgate::server
