#include "shipgate/metrics/registry.h"

#include <algorithm>
#include <array>

#include "shipgate/metrics/names.h"
#include "shipgate/metrics/prometheus.h"

namespace shipgate::metrics {

namespace {
constexpr std::array<double, 12> kBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
constexpr std::array<std::string_view, 5> kClassNames = {"1xx", "2xx", "3xx", "4xx", "5xx"};
// A thread's cache of series it has met, across registries (keys start with the registry id).
// Cleared when it grows past this many entries, so dead registries cannot grow it for ever.
constexpr size_t kThreadCacheLimit = 4096;

std::atomic<uint64_t> g_next_registry_id{1};
// Where a default-built Counter counts: read by nobody.
std::atomic<uint64_t> g_discarded_cell{0};

void appendPart(std::string& key, std::string_view part) {
  uint32_t n = static_cast<uint32_t>(part.size());
  key.append(reinterpret_cast<const char*>(&n), sizeof n);
  key.append(part);
}

// The key of a named counter series: registry id, 'c', then length-prefixed name, label names
// and values (so no value can fake a boundary).
void startKey(std::string& key, uint64_t id, std::string_view name) {
  key.clear();
  key.append(reinterpret_cast<const char*>(&id), sizeof id);
  key.push_back('c');
  appendPart(key, name);
}

template <class Map>
void rememberForThread(Map& cache, const std::string& key, typename Map::mapped_type value) {
  if (cache.size() >= kThreadCacheLimit) cache.clear();
  cache.emplace(key, value);
}

thread_local std::unordered_map<std::string, std::atomic<uint64_t>*> t_cells;
thread_local std::string t_key;
}  // namespace

Counter::Counter() : cell_(&g_discarded_cell) {}

struct Registry::Series {
  std::string site, app, slot, region;
  std::array<std::atomic<uint64_t>, 5> by_class{};              // 1xx..5xx
  std::array<std::atomic<uint64_t>, kBuckets.size()> bucket{};  // non-cumulative
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_us{0};
};

struct Registry::Cell {
  std::string name;
  Labels labels;
  std::atomic<uint64_t> value{0};
};

Registry::Registry(RegistryOptions options)
    : options_(options), overflow_series_(std::make_unique<Series>()), id_(g_next_registry_id++) {
  MutexLock lock(mu_);
  describeLocked(names::kHttpRequests,
                 "Requests served, by site, app, slot, region and status class.", Kind::kCounter,
                 1.0);
  describeLocked(names::kHttpDuration,
                 "Time from the first request byte to the last response byte.", Kind::kHistogram,
                 1.0);
  describeLocked(names::kActiveConnections, "Client connections open now.", Kind::kGauge, 1.0);
  describeLocked(names::kUpstreamRetries, "Upstream requests retried, by app.", Kind::kCounter,
                 1.0);
  describeLocked(names::kClientSendTimeouts,
                 "Client connections closed because they took no output for send_timeout, by "
                 "app.",
                 Kind::kCounter, 1.0);
  describeLocked(names::kProxyClientAborts,
                 "Proxied requests whose client went away before the answer was read, by app.",
                 Kind::kCounter, 1.0);
  describeLocked(names::kHealthTransitions,
                 "Endpoint health transitions, by app, slot, endpoint and the state entered.",
                 Kind::kCounter, 1.0);
  describeLocked(names::kSeriesOverflow,
                 "New series the metrics registry refused because it held its maximum.",
                 Kind::kCounter, 1.0);
}

Registry::~Registry() = default;

bool Registry::fullLocked() const { return all_.size() + cells_.size() >= options_.max_series; }

Registry::Series* Registry::series(const RequestLabels& l) {
  // The label set this thread met last (a worker meets the same one request after request):
  // four short comparisons instead of building and hashing the key. Registry ids are never
  // reused and a registry never drops a series, so the pointer is valid while the id matches.
  thread_local uint64_t last_id = 0;
  thread_local Series* last = nullptr;
  if (last_id == id_ && last->site == l.site && last->app == l.app && last->slot == l.slot &&
      last->region == l.region) {
    return last;
  }
  // Per-thread cache: the lock is taken only the first time a thread meets a label set.
  thread_local std::unordered_map<std::string, Series*> cache;
  thread_local std::string key;
  key.clear();
  key.append(reinterpret_cast<const char*>(&id_), sizeof id_);
  key.push_back('r');
  appendPart(key, l.site);
  appendPart(key, l.app);
  appendPart(key, l.slot);
  appendPart(key, l.region);
  auto it = cache.find(key);
  if (it != cache.end()) {
    if (it->second != overflow_series_.get()) {  // its empty labels would match the wrong sets
      last_id = id_;
      last = it->second;
    }
    return it->second;
  }
  Series* found = nullptr;
  {
    MutexLock lock(mu_);
    auto slot = by_key_.find(key);
    if (slot != by_key_.end()) {
      found = slot->second;
    } else if (fullLocked()) {
      overflowed_series_.fetch_add(1, std::memory_order_relaxed);
      found = overflow_series_.get();
    } else {
      auto s = std::make_unique<Series>();
      s->site = l.site;
      s->app = l.app;
      s->slot = l.slot;
      s->region = l.region;
      found = s.get();
      by_key_.emplace(key, found);
      all_.push_back(std::move(s));
    }
  }
  rememberForThread(cache, key, found);
  return found;  // remembered as the last one when the next request meets it in the cache
}

void Registry::recordRequest(const RequestLabels& labels, int status, double seconds) {
  Series* s = series(labels);
  int cls = status / 100;
  if (cls < 1) cls = 1;
  if (cls > 5) cls = 5;
  s->by_class[cls - 1].fetch_add(1, std::memory_order_relaxed);
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  if (b < kBuckets.size()) s->bucket[b].fetch_add(1, std::memory_order_relaxed);
  s->count.fetch_add(1, std::memory_order_relaxed);
  s->sum_us.fetch_add(static_cast<uint64_t>(seconds * 1e6), std::memory_order_relaxed);
}

void Registry::connectionOpened() { active_connections_.fetch_add(1, std::memory_order_relaxed); }
void Registry::connectionClosed() { active_connections_.fetch_sub(1, std::memory_order_relaxed); }
int64_t Registry::activeConnections() const {
  return active_connections_.load(std::memory_order_relaxed);
}

std::atomic<uint64_t>* Registry::resolveCell(const std::string& key, std::string_view name,
                                             const Labels& labels) {
  std::atomic<uint64_t>* cell = nullptr;
  {
    MutexLock lock(mu_);
    auto it = cells_by_key_.find(key);
    if (it != cells_by_key_.end()) {
      cell = &it->second->value;
    } else if (fullLocked()) {
      overflowed_series_.fetch_add(1, std::memory_order_relaxed);
      cell = &overflow_cell_;
    } else {
      auto c = std::make_unique<Cell>();
      c->name = name;
      c->labels = labels;
      cell = &c->value;
      cells_by_key_.emplace(key, c.get());
      cells_.push_back(std::move(c));
      describeLocked(name, name, Kind::kCounter, 1.0);
    }
  }
  rememberForThread(t_cells, key, cell);
  return cell;
}

void Registry::addLabelled(std::string_view name, std::span<const LabelView> pairs,
                           uint64_t delta) {
  startKey(t_key, id_, name);
  for (const auto& [n, v] : pairs) {
    appendPart(t_key, n);
    appendPart(t_key, v);
  }
  auto it = t_cells.find(t_key);
  std::atomic<uint64_t>* cell = nullptr;
  if (it != t_cells.end()) {
    cell = it->second;
  } else {
    Labels labels;
    for (const auto& [n, v] : pairs) labels.push_back({std::string(n), std::string(v)});
    cell = resolveCell(t_key, name, labels);
  }
  cell->fetch_add(delta, std::memory_order_relaxed);
}

void Registry::addCounter(std::string_view name, std::string_view label, std::string_view value,
                          uint64_t delta) {
  const LabelView pair{label, value};
  addLabelled(name, label.empty() ? std::span<const LabelView>() : std::span(&pair, 1), delta);
}

void Registry::recordHealthTransition(std::string_view app, std::string_view slot,
                                      std::string_view endpoint, std::string_view to) {
  const std::array<LabelView, 4> pairs = {
      {{"app", app}, {"slot", slot}, {"endpoint", endpoint}, {"to", to}}};
  addLabelled(names::kHealthTransitions, pairs, 1);
}

Counter Registry::counter(std::string_view name, const Labels& labels) {
  std::string key;
  startKey(key, id_, name);
  for (const auto& l : labels) {
    appendPart(key, l.name);
    appendPart(key, l.value);
  }
  return Counter(resolveCell(key, name, labels));
}

void Registry::describe(std::string_view name, std::string_view help, Kind kind, double scale) {
  MutexLock lock(mu_);
  describeLocked(name, help, kind, scale);
}

void Registry::describeLocked(std::string_view name, std::string_view help, Kind kind,
                              double scale) {
  auto it = families_.find(name);
  if (it != families_.end()) {
    // A family first met through a series (help = its name) takes the first real description.
    if (it->second.help != it->second.name || help == name) return;
  }
  FamilyInfo& f = families_[std::string(name)];
  f.name = name;
  f.help = help;
  f.kind = kind;
  f.scale = scale;
}

void Registry::addCollector(Collector collector) {
  MutexLock lock(mu_);
  collectors_.push_back(std::move(collector));
}

Snapshot Registry::snapshot(std::string_view prefix) const {
  auto wanted = [prefix](std::string_view name) { return name.starts_with(prefix); };
  Snapshot snap;
  MutexLock lock(mu_);
  for (const auto& [name, family] : families_) {
    if (wanted(name)) snap.families.push_back(family);
  }
  const bool requests = wanted(names::kHttpRequests);
  const bool durations = wanted(names::kHttpDuration);
  for (const auto& s : all_) {
    Labels labels = {{"site", s->site}, {"app", s->app}, {"slot", s->slot}, {"region", s->region}};
    // Buckets before the count: a request recorded meanwhile may show in a bucket and not yet in
    // the count, never the other way round; the count is raised to match.
    std::vector<uint64_t> buckets(kBuckets.size() + 1);
    uint64_t finite = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      buckets[b] = s->bucket[b].load(std::memory_order_relaxed);
      finite += buckets[b];
    }
    uint64_t count = std::max(finite, s->count.load(std::memory_order_relaxed));
    if (requests) {
      for (size_t c = 0; c < kClassNames.size(); ++c) {
        uint64_t v = s->by_class[c].load(std::memory_order_relaxed);
        if (v == 0) continue;
        Labels with_code = labels;
        with_code.push_back({"code", std::string(kClassNames[c])});
        snap.counters.push_back({std::string(names::kHttpRequests), std::move(with_code), v});
      }
    }
    if (durations) {
      buckets.back() = count - finite;
      HistogramSeries h;
      h.name = names::kHttpDuration;
      h.labels = std::move(labels);
      h.upper_bounds.assign(kBuckets.begin(), kBuckets.end());
      h.buckets = std::move(buckets);
      h.count = count;
      h.sum = static_cast<double>(s->sum_us.load(std::memory_order_relaxed)) / 1e6;
      snap.histograms.push_back(std::move(h));
    }
  }
  for (const auto& c : cells_) {
    if (!wanted(c->name)) continue;
    const uint64_t v = c->value.load(std::memory_order_relaxed);
    // A named cell of a family described as a gauge is a gauge (set through Counter::cell()).
    if (auto f = families_.find(c->name); f != families_.end() && f->second.kind == Kind::kGauge) {
      snap.gauges.push_back({c->name, c->labels, static_cast<int64_t>(v)});
      continue;
    }
    snap.counters.push_back({c->name, c->labels, v});
  }
  snap.overflowed_series = overflowed_series_.load(std::memory_order_relaxed);
  if (wanted(names::kSeriesOverflow)) {
    snap.counters.push_back({std::string(names::kSeriesOverflow), {}, snap.overflowed_series});
  }
  if (wanted(names::kActiveConnections)) {
    snap.gauges.push_back({std::string(names::kActiveConnections), {}, activeConnections()});
  }
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  std::stable_sort(snap.counters.begin(), snap.counters.end(), by_name);
  return snap;
}

void Registry::holdLockForTest(const std::function<void()>& while_held) const {
  MutexLock lock(mu_);
  while_held();
}

std::string Registry::renderPrometheus() const {
  std::string out;
  renderPrometheusText(snapshot(), out);
  std::vector<Collector> collectors;
  {
    MutexLock lock(mu_);
    collectors = collectors_;
  }
  for (const auto& c : collectors) c(out);
  return out;
}

}  // namespace shipgate::metrics
