#include "shipgate/metrics/registry.h"

#include <array>
#include <cstdio>
#include <map>

namespace shipgate::metrics {

namespace {
constexpr std::array<double, 12> kBuckets = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                             0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
std::atomic<uint64_t> g_next_registry_id{1};

// Escapes a label value for the Prometheus text format.
std::string escapeLabel(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string fmtDouble(double d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", d);
  return buf;
}
}  // namespace

struct Registry::Series {
  std::string site, app, slot, region;
  std::array<std::atomic<uint64_t>, 5> by_class{};           // 1xx..5xx
  std::array<std::atomic<uint64_t>, kBuckets.size()> bucket{};  // non-cumulative
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum_us{0};
};

Registry::Registry() : id_(g_next_registry_id++) {}
Registry::~Registry() = default;

Registry::Series* Registry::series(const RequestLabels& l) {
  // Per-thread cache: the lock is taken only the first time a thread meets a label set.
  thread_local std::unordered_map<std::string, Series*> cache;
  thread_local std::string key;
  key.clear();
  key.append(reinterpret_cast<const char*>(&id_), sizeof id_);
  key.append(l.site).push_back('\0');
  key.append(l.app).push_back('\0');
  key.append(l.slot).push_back('\0');
  key.append(l.region);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::lock_guard<std::mutex> lock(mu_);
  auto& slot = by_key_[key];
  if (!slot) {
    auto s = std::make_unique<Series>();
    s->site = l.site;
    s->app = l.app;
    s->slot = l.slot;
    s->region = l.region;
    slot = s.get();
    all_.push_back(std::move(s));
  }
  cache.emplace(key, slot);
  return slot;
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

void Registry::addCounter(std::string_view name, std::string_view label, std::string_view value,
                          uint64_t delta) {
  std::string key;
  key.append(name).push_back('\0');
  key.append(label).push_back('\0');
  key.append(value);
  std::lock_guard<std::mutex> lock(mu_);
  auto& c = counters_[key];
  if (!c) c = std::make_unique<std::atomic<uint64_t>>(0);
  c->fetch_add(delta, std::memory_order_relaxed);
}

void Registry::addCollector(Collector collector) {
  std::lock_guard<std::mutex> lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::renderPrometheus() const {
  std::string out;
  std::vector<Collector> collectors;
  {
    std::lock_guard<std::mutex> lock(mu_);
    static const char* kClass[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
    out +=
        "# HELP shipgate_http_requests_total Requests served, by site, app, slot, region and "
        "status class.\n# TYPE shipgate_http_requests_total counter\n";
    for (const auto& s : all_) {
      std::string labels = "site=\"" + escapeLabel(s->site) + "\",app=\"" + escapeLabel(s->app) +
                           "\",slot=\"" + escapeLabel(s->slot) + "\",region=\"" +
                           escapeLabel(s->region) + "\"";
      for (int c = 0; c < 5; ++c) {
        uint64_t v = s->by_class[c].load(std::memory_order_relaxed);
        if (v == 0) continue;
        out += "shipgate_http_requests_total{" + labels + ",code=\"" + kClass[c] + "\"} " +
               std::to_string(v) + "\n";
      }
    }
    out +=
        "# HELP shipgate_http_request_duration_seconds Time from the first request byte to the "
        "last response byte.\n# TYPE shipgate_http_request_duration_seconds histogram\n";
    for (const auto& s : all_) {
      std::string labels = "site=\"" + escapeLabel(s->site) + "\",app=\"" + escapeLabel(s->app) +
                           "\",slot=\"" + escapeLabel(s->slot) + "\",region=\"" +
                           escapeLabel(s->region) + "\"";
      uint64_t cumulative = 0;
      for (size_t b = 0; b < kBuckets.size(); ++b) {
        cumulative += s->bucket[b].load(std::memory_order_relaxed);
        out += "shipgate_http_request_duration_seconds_bucket{" + labels + ",le=\"" +
               fmtDouble(kBuckets[b]) + "\"} " + std::to_string(cumulative) + "\n";
      }
      uint64_t count = s->count.load(std::memory_order_relaxed);
      out += "shipgate_http_request_duration_seconds_bucket{" + labels + ",le=\"+Inf\"} " +
             std::to_string(count) + "\n";
      out += "shipgate_http_request_duration_seconds_sum{" + labels + "} " +
             fmtDouble(s->sum_us.load(std::memory_order_relaxed) / 1e6) + "\n";
      out += "shipgate_http_request_duration_seconds_count{" + labels + "} " +
             std::to_string(count) + "\n";
    }
    // Named counters, grouped by family.
    std::map<std::string, std::vector<std::pair<std::string, uint64_t>>> families;
    for (const auto& [key, value] : counters_) {
      size_t a = key.find('\0');
      size_t b = key.find('\0', a + 1);
      std::string name = key.substr(0, a);
      std::string label = key.substr(a + 1, b - a - 1);
      std::string lv = key.substr(b + 1);
      families[name].emplace_back(label.empty() ? "" : label + "=\"" + escapeLabel(lv) + "\"",
                                  value->load(std::memory_order_relaxed));
    }
    for (const auto& [name, rows] : families) {
      out += "# HELP " + name + " " + name + "\n# TYPE " + name + " counter\n";
      for (const auto& [labels, v] : rows) {
        out += name + (labels.empty() ? "" : "{" + labels + "}") + " " + std::to_string(v) + "\n";
      }
    }
    collectors = collectors_;
  }
  out +=
      "# HELP shipgate_active_connections Client connections open now.\n"
      "# TYPE shipgate_active_connections gauge\nshipgate_active_connections " +
      std::to_string(activeConnections()) + "\n";
  for (const auto& c : collectors) c(out);
  return out;
}

}  // namespace shipgate::metrics
