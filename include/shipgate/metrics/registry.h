// Metrics registry: request counters and latency histograms by site/app/slot/region/status class,
// gauges, and collectors that append lines at scrape time; rendered in the Prometheus text format.
// Thread-safety: every method is thread-safe. recordRequest() is on the request path: it takes a
// lock only the first time a thread sees a label set, then works on relaxed atomics.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace shipgate::metrics {

struct RequestLabels {
  std::string_view site;    // "" when no site matched
  std::string_view app;     // "" for static sites
  std::string_view slot;    // "blue" | "green" | ""
  std::string_view region;  // "" for static sites
};

class Registry {
 public:
  Registry();
  ~Registry();

  void recordRequest(const RequestLabels& labels, int status, double seconds);
  void connectionOpened();
  void connectionClosed();
  int64_t activeConnections() const;
  // A counter by name and one label pair, e.g. ("shipgate_upstream_retries_total", "app", "api").
  void addCounter(std::string_view name, std::string_view label, std::string_view value,
                  uint64_t delta = 1);

  // Collectors append complete metric families (with # HELP/# TYPE) at scrape time.
  using Collector = std::function<void(std::string& out)>;
  void addCollector(Collector collector);

  std::string renderPrometheus() const;

  struct Series;  // internal

 private:
  Series* series(const RequestLabels& labels);
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Series>> all_;                       // GUARDED_BY(mu_)
  std::unordered_map<std::string, Series*> by_key_;                // GUARDED_BY(mu_)
  std::unordered_map<std::string, std::unique_ptr<std::atomic<uint64_t>>> counters_;  // GUARDED_BY(mu_)
  std::vector<Collector> collectors_;                              // GUARDED_BY(mu_)
  std::atomic<int64_t> active_connections_{0};
  uint64_t id_;  // distinguishes registries in thread-local caches
};

}  // namespace shipgate::metrics
