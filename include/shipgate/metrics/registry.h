// Metrics registry: the process's one store of counters, histograms and gauges. Request counters
// and latency histograms by site/app/slot/region/status class, named counters (upstream retries,
// the firewall's per-rule and per-decision counts, endpoint health transitions), the active
// connections gauge.
//
// Read path: snapshot() copies every series into a plain Snapshot (snapshot.h); renderPrometheus()
// is one rendering of it, followed by the text of the collectors; Windows (windows.h) keeps deltas
// between snapshots for the release controller.
//
// Write path (the request path): recordRequest(), addCounter(), recordHealthTransition() and
// Counter::add() are relaxed atomic increments on cells the registry owns. The registry's lock is
// taken only the first time a thread meets a series (a per-thread cache then maps it to its
// cell); Registry::counter() resolves a series once for callers that keep the handle.
//
// Bounded: at most RegistryOptions::max_series series; increments of a series refused at the cap
// go to a discarded cell and the refusal is counted (shipgate_metrics_series_overflow_total).
// Thread-safety: every method is thread-safe. Cells live as long as the registry; a Counter must
// not be used after its registry is destroyed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "shipgate/common/mutex.h"
#include "shipgate/metrics/snapshot.h"

namespace shipgate::metrics {

struct RequestLabels {
  std::string_view site;    // "" when no site matched
  std::string_view app;     // "" for static sites
  std::string_view slot;    // "blue" | "green" | ""
  std::string_view region;  // "" for static sites
};

struct RegistryOptions {
  // Request label sets and named counter series together.
  size_t max_series = 20000;
};

// A handle on one counter cell of a registry (or on a cell nobody reads, when default-built).
// Trivially copyable; add() is one relaxed atomic increment.
class Counter {
 public:
  Counter();
  void add(uint64_t delta = 1) const { cell_->fetch_add(delta, std::memory_order_relaxed); }
  uint64_t value() const { return cell_->load(std::memory_order_relaxed); }
  // The cell itself, for callers that keep it as a std::atomic (e.g. firewall_stats.h).
  std::atomic<uint64_t>& cell() const { return *cell_; }

 private:
  friend class Registry;
  explicit Counter(std::atomic<uint64_t>* cell) : cell_(cell) {}
  std::atomic<uint64_t>* cell_;
};

class Registry {
 public:
  explicit Registry(RegistryOptions options = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  void recordRequest(const RequestLabels& labels, int status, double seconds);
  void connectionOpened();
  void connectionClosed();
  int64_t activeConnections() const;

  // A counter by name and one label pair, e.g. ("shipgate_upstream_retries_total", "app", "api");
  // an empty `label` means a series without labels. No lock once this thread has met the series.
  void addCounter(std::string_view name, std::string_view label, std::string_view value,
                  uint64_t delta = 1);
  // One health transition of an endpoint:
  // shipgate_endpoint_health_transitions_total{app,slot,endpoint,to} += 1, where endpoint is the
  // endpoint's key ("app/slot/host:port") and `to` the state it entered ("healthy",
  // "unhealthy", ...). No lock once this thread has met the series.
  void recordHealthTransition(std::string_view app, std::string_view slot,
                              std::string_view endpoint, std::string_view to);

  // The counter series name{labels}, created (at 0) on first use. Takes the registry lock: resolve
  // once and keep the handle. Labels are rendered in the order given.
  Counter counter(std::string_view name, const Labels& labels);
  // A counter series of a family described as Kind::kGauge is rendered as a gauge: its owner
  // sets the value through Counter::cell() (e.g. 0/1 for "up").
  // Help text (and, for counters, the scale of the rendered value: 1e-9 renders a count of
  // nanoseconds as seconds) of a family. The first description of a family wins; a family only
  // met through its series is rendered with its name as help until it is described.
  void describe(std::string_view name, std::string_view help, Kind kind = Kind::kCounter,
                double scale = 1.0);

  // Every series whose family name starts with `name_prefix` (all when empty). Zero request
  // status-class counters are left out; named counters appear from creation, at 0.
  Snapshot snapshot(std::string_view name_prefix = {}) const;

  // Collectors append complete metric families (with # HELP/# TYPE) at scrape time, for text
  // that is not a registry series.
  using Collector = std::function<void(std::string& out)>;
  void addCollector(Collector collector);

  // renderPrometheusText(snapshot()) (prometheus.h) followed by the collectors' text.
  std::string renderPrometheus() const;

  // Runs `while_held` with the registry's lock held (to show that warm writers never take it).
  void holdLockForTest(const std::function<void()>& while_held) const;

  struct Series;  // internal: one request label set
  struct Cell;    // internal: one named counter series

 private:
  Series* series(const RequestLabels& labels);
  using LabelView = std::pair<std::string_view, std::string_view>;
  // addCounter and recordHealthTransition: the counter name{pairs} += delta, without a lock once
  // this thread has met the series.
  void addLabelled(std::string_view name, std::span<const LabelView> pairs, uint64_t delta);
  // The cell of series `key` (registry id, name, labels; see registry.cc's startKey) after a miss
  // in this thread's cache: found or created under the lock, then cached for this thread. The
  // discarded cell when the registry is full.
  std::atomic<uint64_t>* resolveCell(const std::string& key, std::string_view name,
                                     const Labels& labels) EXCLUDES(mu_);
  bool fullLocked() const REQUIRES(mu_);
  void describeLocked(std::string_view name, std::string_view help, Kind kind, double scale)
      REQUIRES(mu_);

  const RegistryOptions options_;
  mutable Mutex mu_;
  std::vector<std::unique_ptr<Series>> all_ GUARDED_BY(mu_);
  std::unordered_map<std::string, Series*> by_key_ GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Cell>> cells_ GUARDED_BY(mu_);
  std::unordered_map<std::string, Cell*> cells_by_key_ GUARDED_BY(mu_);
  std::map<std::string, FamilyInfo, std::less<>> families_ GUARDED_BY(mu_);
  std::vector<Collector> collectors_ GUARDED_BY(mu_);
  std::unique_ptr<Series> overflow_series_;     // takes requests of refused label sets
  std::atomic<uint64_t> overflow_cell_{0};      // takes increments of refused counters
  std::atomic<uint64_t> overflowed_series_{0};  // refusals
  std::atomic<int64_t> active_connections_{0};
  uint64_t id_;  // distinguishes registries in thread-local caches
};

}  // namespace shipgate::metrics
