// What the connection cap needs besides the process's connection count (Gateway::
// connectionCount()):
//  - ReclaimLists: one worker's connections that may be closed to make room for a new one at
//    server.limits.max_connections, by kind, oldest first. Intrusive (the links live in each
//    Http1Connection's ReclaimHook), so moving a connection between lists and taking the oldest
//    are O(1) and allocate nothing. Loop thread of its worker only.
//  - ClientConnectionCounts: open connections per client address, for
//    server.limits.max_connections_per_ip. Shared by the workers of a process; sharded by address,
//    each shard behind its own mutex, and touched only when the limit is on (twice per
//    connection: accept and close). Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "shipgate/common/mutex.h"
#include "shipgate/net/socket.h"

namespace shipgate::server {

class Http1Connection;

// Why a connection may be closed to make room, in the order they are chosen.
enum class Reclaimable : uint8_t {
  kNo,       // serving a request, writing a response, tunnelling or closing
  kIdle,     // keep-alive, between requests
  kSilent,   // accepted, nothing received yet
  kPartial,  // part of its first request's head received
};
inline constexpr size_t kReclaimableKinds = 4;

struct ReclaimHook {
  Http1Connection* prev = nullptr;
  Http1Connection* next = nullptr;
  Reclaimable kind = Reclaimable::kNo;
};

class ReclaimLists {
 public:
  // Moves `c` to the back (newest end) of the list of `kind`; kNo takes it out of every list.
  // Nothing happens when it already is of that kind (it keeps its place).
  void set(Http1Connection* c, Reclaimable kind);
  // The connection longest in the list of `kind`, or null.
  Http1Connection* oldest(Reclaimable kind) const {
    return lists_[static_cast<size_t>(kind)].head;
  }
  size_t size(Reclaimable kind) const { return lists_[static_cast<size_t>(kind)].size; }

 private:
  struct List {
    Http1Connection* head = nullptr;
    Http1Connection* tail = nullptr;
    size_t size = 0;
  };
  std::array<List, kReclaimableKinds> lists_{};
};

// A client address as a key: the 16 bytes of its IPv6 form (IPv4 as ::ffff:a.b.c.d).
struct ClientKey {
  uint64_t hi = 0;
  uint64_t lo = 0;
  bool operator==(const ClientKey&) const = default;
};
ClientKey clientKey(const net::SockAddr& addr);

class ClientConnectionCounts {
 public:
  // Counts one more connection of `key` and returns true, unless it holds `limit` already.
  bool tryAdd(const ClientKey& key, size_t limit);
  // One connection of `key` closed. REQUIRES: a tryAdd() of `key` returned true for it.
  void remove(const ClientKey& key);
  // Connections `key` holds now.
  size_t count(const ClientKey& key);

 private:
  struct Hash {
    size_t operator()(const ClientKey& k) const {
      uint64_t h = (k.hi ^ (k.lo * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
      return static_cast<size_t>(h ^ (h >> 31));
    }
  };
  struct Shard {
    Mutex mu;
    std::unordered_map<ClientKey, uint32_t, Hash> counts GUARDED_BY(mu);
  };
  static constexpr size_t kShards = 64;
  Shard& shardOf(const ClientKey& key) { return shards_[(Hash{}(key) >> 7) % kShards]; }

  std::array<Shard, kShards> shards_;
};

}  // namespace shipgate::server
