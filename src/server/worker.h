// Worker: one data-plane thread. Owns its EventLoop, its acceptors (one SO_REUSEPORT socket per
// listener), its client connections, its upstream keep-alive pool, its access-log buffer and a
// cached snapshot pointer refreshed lock-free (version check) at each request.
// Everything here runs on the worker's thread except post()ed entry points.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "shipgate/firewall/firewall.h"
#include "shipgate/net/event_loop.h"
#include "shipgate/ratestore/redis_rate_store.h"
#include "shipgate/server/access_log.h"
#include "shipgate/server/gateway.h"
#include "buffer_pool.h"
#include "connection_limits.h"
#include "snapshot.h"
#include "upstream_pool.h"

namespace shipgate::server {

class Http1Connection;
struct PhaseList;
struct RequestSlot;

// Something freed at the end of the loop iteration in which it was closed.
class Deferred {
 public:
  virtual ~Deferred() = default;
};

class Worker {
 public:
  Worker(Gateway& gateway, int index, std::unique_ptr<net::EventLoop> loop);
  ~Worker();

  // Registers the acceptors; runs the loop until stopped. Call on the worker thread.
  void run();
  // Thread-safe: starts a graceful drain (stop accepting, close idle connections, close the
  // rest at the deadline) and stops the loop once no connection is left.
  void beginDrain(Millis drain);

  net::EventLoop& loop() { return *loop_; }
  Gateway& gateway() { return gateway_; }
  metrics::Registry& metrics() { return gateway_.deps().metrics; }
  UpstreamPool& pool() { return pool_; }
  BufferPool& buffers() { return buffers_; }
  AccessLogBuffer& accessLog() { return access_log_; }
  // The request phases every request of this worker runs (see request_phase.h).
  const PhaseList& phases() const { return *phases_; }
  bool draining() const { return draining_; }

  // The current snapshot (refreshed when the gateway's version moved).
  const std::shared_ptr<const Snapshot>& snapshot() {
    if (gateway_.snapshotVersion() != snapshot_version_) refreshSnapshot();
    return snapshot_;
  }
  uint64_t random();
  // Fills out with a fresh request id (32 hex chars).
  void newRequestId(std::string& out);
  // "Date: <IMF-fixdate>\r\n", refreshed once a second.
  std::string_view dateHeader();

  // WAF scratch state for one connection (kept from inspect() to onResponse() of its request,
  // so it cannot be shared by the connections of this worker); pooled, so no allocation once
  // warm.
  std::unique_ptr<firewall::Scratch> takeWafScratch();
  void giveBackWafScratch(std::unique_ptr<firewall::Scratch> scratch);

  // This worker's connection to the shared rate-limit store `fw` names (REQUIRES:
  // fw.usesStore()); made on first use, replaced when a reload changes the store's settings
  // (requests still waiting on the old one keep it alive through their reference).
  const std::shared_ptr<ratestore::RedisRateStore>& rateStore(const firewall::Firewall& fw);

  // A connection's request parser and context (request_slot.h), from a free list so a warm
  // worker allocates none per request; given back when the connection goes idle, or deferred
  // for deletion when the list is full (the slot may be on the caller's stack).
  std::unique_ptr<RequestSlot> takeRequestSlot();
  void giveBackRequestSlot(std::unique_ptr<RequestSlot> slot);
  // For tests: slots on the free list, and slots ever made by this worker.
  size_t freeRequestSlots() const { return request_slots_.size(); }
  uint64_t requestSlotsMade() const { return request_slots_made_; }

  // Takes a new connection. REQUIRES: its place in the gateway's connectionCount() is taken.
  void adopt(std::unique_ptr<Http1Connection> conn);
  // A connection closed: it is freed at the end of this loop iteration.
  void release(Http1Connection* conn);
  void deferDelete(std::unique_ptr<Deferred> d) { graveyard_.push_back(std::move(d)); }
  // A connection's state changed whether (and why) it may be closed to make room.
  void setReclaimable(Http1Connection* conn, Reclaimable kind) { reclaim_.set(conn, kind); }

 private:
  class Acceptor;
  void refreshSnapshot();
  void checkDrained();
  // At the connection cap: closes this worker's oldest idle keep-alive connection, else its
  // oldest silent one, else its oldest with part of a first request head; false when it has none.
  // keep_slot: its place in the gateway's connectionCount() passes to the caller's new connection
  // (so the count never exceeds the cap), instead of being given up.
  bool reclaimOne(bool keep_slot);

  Gateway& gateway_;
  int index_;
  std::unique_ptr<net::EventLoop> loop_;
  std::vector<std::unique_ptr<Acceptor>> acceptors_;
  std::unordered_map<Http1Connection*, std::unique_ptr<Http1Connection>> connections_;
  ReclaimLists reclaim_;
  std::array<metrics::Counter, kReclaimableKinds> reclaimed_;  // by Reclaimable
  metrics::Counter refused_at_cap_;
  metrics::Counter refused_per_ip_;
  std::vector<std::unique_ptr<Deferred>> graveyard_;
  std::unique_ptr<PhaseList> phases_;
  BufferPool buffers_;
  std::vector<std::unique_ptr<firewall::Scratch>> waf_scratch_pool_;
  // After waf_scratch_pool_ and phases_: a pooled context gives its WAF scratch back when freed.
  std::vector<std::unique_ptr<RequestSlot>> request_slots_;
  uint64_t request_slots_made_ = 0;
  UpstreamPool pool_;
  AccessLogBuffer access_log_;
  net::Timer flush_timer_;
  net::Timer drain_timer_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::shared_ptr<ratestore::RedisRateStore> rate_store_;
  std::string rate_store_identity_;  // the settings rate_store_ was made with
  uint64_t snapshot_version_ = ~0ULL;
  uint64_t rng_;
  int64_t date_second_ = -1;
  std::string date_header_;
  bool draining_ = false;
  bool keep_slot_ = false;  // release() keeps the closing connection's place (reclaimOne)
};

}  // namespace shipgate::server
