// Gateway: the data plane. Owns the listeners (one SO_REUSEPORT socket per worker per listener),
// the worker threads (one epoll EventLoop each, with its own connections, upstream keep-alive
// pool, timers, buffers and access-log buffer) and the current Snapshot (TrafficPlan + static
// sites + TLS contexts), which workers pick up lock-free on their next request after apply().
//
// Lifecycle: create() binds (port 0 supported) and builds the first snapshot; start() runs the
// workers; apply() swaps snapshots (in-flight requests finish on the one they started with;
// upgraded tunnels stay put); shutdown() drains. Thread-safety: apply(), plan(),
// listenerPorts() and shutdown() may be called from any thread; start() once.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"
#include "shipgate/common/status.h"
#include "shipgate/config/config.h"
#include "shipgate/metrics/registry.h"
#include "shipgate/net/socket.h"
#include "shipgate/net/ticket_keys.h"
#include "shipgate/rum/release_labels.h"
#include "shipgate/rum/rum_store.h"
#include "shipgate/traffic/health_registry.h"
#include "shipgate/traffic/plan.h"
#include "shipgate/traffic/resolver.h"

namespace shipgate::firewall {
class Firewall;
}  // namespace shipgate::firewall

namespace shipgate::server {

struct GatewayDeps {
  metrics::Registry& metrics;
  traffic::HealthRegistry& health;
  Clock& clock;
  const traffic::Resolver* resolver = nullptr;  // endpoint addresses; null = the system resolver
  // RUM beacons accepted on the public listener (rum:) are recorded here, for the release
  // controller's SLA checks; null = the gateway keeps its own store (shown on /metrics only).
  std::shared_ptr<rum::RumStore> rum_store = nullptr;
  // Versions for the sg_rel cookie of HTML answers; null = slot names (rum::SlotReleaseLabels).
  const rum::ReleaseLabels* release_labels = nullptr;
};

struct Snapshot;
class Worker;
class MemoryReturn;
class AccessLogSink;
class ClientConnectionCounts;

class Gateway {
 public:
  // Binds every listener in config (port 0 supported) and builds the first snapshot; does not
  // serve yet.
  static Result<std::unique_ptr<Gateway>> create(
      const std::shared_ptr<const config::Config>& config, GatewayDeps deps);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Starts server.workers worker threads (0 = cores).
  Status start();
  // Builds a new snapshot and swaps it atomically, rebuilding each heavy part only when its own
  // config section changed: endpoint addresses are resolved only when new or changed, a static
  // site whose static config is unchanged keeps its StaticSite (and warm file cache), a TLS
  // context is re-read only when the listener's certificate files changed (in the config or on
  // disk), and the Firewall is reused while `waf:` and `security_rules:` are unchanged. On error
  // the old snapshot keeps serving and the Status says why. Listener addresses are fixed at
  // create(): a changed address needs a restart (logged as a warning, the rest still applies).
  // Runtime routing changes do not come here: see traffic::TrafficControl.
  Status apply(const std::shared_ptr<const config::Config>& config);
  std::shared_ptr<const traffic::TrafficPlan> plan() const;
  // The current snapshot's Firewall (never null once created; enabled() says whether it runs).
  std::shared_ptr<const firewall::Firewall> firewall() const;
  // Listener name -> bound port.
  std::vector<std::pair<std::string, uint16_t>> listenerPorts() const;
  // Stops accepting, lets in-flight requests finish up to `drain`, closes the rest, joins the
  // workers. Idempotent.
  void shutdown(Millis drain);

  // Wakes every worker loop so timers re-check a SimulatedClock that moved.
  void wakeWorkersForTest();
  int workerCount() const { return worker_count_; }

  // ---- for workers (internal) ----
  struct ListenerGroup {
    std::string name;
    std::string host;
    uint16_t port = 0;
    bool tls = false;
    std::vector<net::Fd> fds;  // one per worker
  };
  const std::vector<ListenerGroup>& listenerGroups() const { return listeners_; }
  std::shared_ptr<const Snapshot> snapshot() const;
  uint64_t snapshotVersion() const { return version_.load(std::memory_order_acquire); }
  GatewayDeps& deps() { return deps_; }
  std::atomic<int64_t>& connectionCount() { return connections_; }
  ClientConnectionCounts& clientConnectionCounts() { return *client_connections_; }
  AccessLogSink* accessLogSink() const { return access_log_.get(); }

 private:
  Gateway(const std::shared_ptr<const config::Config>& config, GatewayDeps deps, int workers);
  Result<std::shared_ptr<const Snapshot>> buildSnapshot(
      const std::shared_ptr<const config::Config>& config, uint64_t version) REQUIRES(mu_);

  GatewayDeps deps_;
  int worker_count_;
  std::vector<ListenerGroup> listeners_;
  std::unique_ptr<AccessLogSink> access_log_;
  // Session-ticket keys of every TLS listener, kept across reloads (shared with the contexts).
  std::shared_ptr<net::TicketKeySource> ticket_keys_;
  struct FirewallSlot;                           // the current Firewall, for the metrics collector
  std::shared_ptr<FirewallSlot> firewall_slot_;  // shared with the collector (outlives us)
  mutable Mutex mu_;  // serialises apply(), start() and shutdown()
  std::shared_ptr<const Snapshot> snapshot_ GUARDED_BY(mu_);
  std::atomic<uint64_t> version_{0};
  std::atomic<int64_t> connections_{0};
  std::unique_ptr<ClientConnectionCounts> client_connections_;  // for max_connections_per_ip
  std::vector<std::unique_ptr<Worker>> workers_ GUARDED_BY(mu_);
  std::vector<std::thread> threads_ GUARDED_BY(mu_);
  bool started_ GUARDED_BY(mu_) = false;
  bool stopped_ GUARDED_BY(mu_) = false;
  // Gives the allocator's free memory back to the system after connection bursts (from start()).
  std::unique_ptr<MemoryReturn> memory_return_ GUARDED_BY(mu_);
};

}  // namespace shipgate::server
