#include "shipgate/metrics/windows.h"

#include <algorithm>
#include <unordered_map>

#include "shipgate/metrics/names.h"

namespace shipgate::metrics {

namespace {

struct SeriesInfo {
  std::string name;
  Labels labels;
  std::vector<double> upper_bounds;  // histograms
};

std::string seriesKey(const std::string& name, const Labels& labels) {
  std::string key = name;
  for (const auto& l : labels) {
    key.push_back('\0');
    key += l.name;
    key.push_back('\0');
    key += l.value;
  }
  return key;
}

// Counters only go up; a smaller value means the series was recreated and counts from 0.
uint64_t increase(uint64_t now, uint64_t before) { return now >= before ? now - before : now; }

// At least one window of at least a millisecond.
WindowsOptions sanitized(WindowsOptions o) {
  o.interval = std::max(o.interval, Millis(1));
  o.windows = std::max<size_t>(o.windows, 1);
  return o;
}

}  // namespace

struct Windows::Window {
  struct CounterDelta {
    std::shared_ptr<const SeriesInfo> series;
    uint64_t delta = 0;
  };
  struct HistogramDelta {
    std::shared_ptr<const SeriesInfo> series;
    std::vector<uint64_t> buckets;  // non-cumulative, last = above the last bound
    uint64_t count = 0;
    double sum = 0;
  };
  Clock::time_point start;
  Clock::time_point end;
  std::vector<CounterDelta> counters;
  std::vector<HistogramDelta> histograms;
};

struct Windows::Ring {
  std::vector<std::shared_ptr<const Window>> windows;  // oldest first
};

struct Windows::Sampled {
  struct Value {
    std::shared_ptr<const SeriesInfo> series;
    uint64_t value = 0;             // counters
    std::vector<uint64_t> buckets;  // histograms
    uint64_t count = 0;
    double sum = 0;
  };
  std::unordered_map<std::string, Value> by_key;
};

std::vector<std::string> WindowsOptions::defaultFamilies() {
  return {std::string(names::kHttpRequests),   std::string(names::kHttpDuration),
          std::string(names::kWafRuleMatches), std::string(names::kWafRuleBlocked),
          std::string(names::kWafBlocked),     std::string(names::kHealthTransitions)};
}

Windows::Windows(const Registry& registry, Clock& clock, WindowsOptions options)
    : registry_(registry),
      clock_(clock),
      options_(sanitized(std::move(options))),
      ring_(std::make_shared<Ring>()) {
  MutexLock lock(tick_mu_);
  last_ = std::make_unique<Sampled>();
  last_close_ = clock_.now();
  next_close_ = last_close_ + options_.interval;
  next_close_ns_.store(next_close_.time_since_epoch().count(), std::memory_order_relaxed);
  baseline();
}

Windows::~Windows() = default;

bool Windows::tracked(std::string_view family) const {
  return std::find(options_.families.begin(), options_.families.end(), family) !=
         options_.families.end();
}

void Windows::baseline() {
  Snapshot snap = registry_.snapshot();
  for (const auto& c : snap.counters) {
    if (!tracked(c.name) || last_->by_key.size() >= options_.max_series) continue;
    auto info = std::make_shared<SeriesInfo>(SeriesInfo{c.name, c.labels, {}});
    last_->by_key[seriesKey(c.name, c.labels)] = {std::move(info), c.value, {}, 0, 0};
  }
  for (const auto& h : snap.histograms) {
    if (!tracked(h.name) || last_->by_key.size() >= options_.max_series) continue;
    auto info = std::make_shared<SeriesInfo>(SeriesInfo{h.name, h.labels, h.upper_bounds});
    last_->by_key[seriesKey(h.name, h.labels)] = {std::move(info), 0, h.buckets, h.count, h.sum};
  }
}

bool Windows::tick() {
  MutexLock lock(tick_mu_);
  Clock::time_point now = clock_.now();
  if (now < next_close_) return false;
  Snapshot snap = registry_.snapshot();
  auto window = std::make_shared<Window>();
  window->start = last_close_;
  window->end = now;
  auto next = std::make_unique<Sampled>();
  // A series already tracked, or a new one while there is room (the series tracked so far may
  // all still be there: they count as taken).
  size_t added = 0;
  Sampled& last = *last_;
  auto entry = [&](const std::string& key) -> Sampled::Value* {
    auto it = last.by_key.find(key);
    if (it == last.by_key.end()) {
      if (last.by_key.size() + added >= options_.max_series) {
        dropped_series_.fetch_add(1, std::memory_order_relaxed);
        return nullptr;
      }
      ++added;
    }
    Sampled::Value& v = next->by_key[key];
    if (it != last.by_key.end()) v = std::move(it->second);
    return &v;
  };
  for (const auto& c : snap.counters) {
    if (!tracked(c.name)) continue;
    Sampled::Value* v = entry(seriesKey(c.name, c.labels));
    if (v == nullptr) continue;
    if (v->series == nullptr)
      v->series = std::make_shared<SeriesInfo>(SeriesInfo{c.name, c.labels, {}});
    uint64_t d = increase(c.value, v->value);
    v->value = c.value;
    if (d > 0) window->counters.push_back({v->series, d});
  }
  for (const auto& h : snap.histograms) {
    if (!tracked(h.name)) continue;
    Sampled::Value* v = entry(seriesKey(h.name, h.labels));
    if (v == nullptr) continue;
    if (v->series == nullptr) {
      v->series = std::make_shared<SeriesInfo>(SeriesInfo{h.name, h.labels, h.upper_bounds});
    }
    const bool reset = h.count < v->count || v->buckets.size() != h.buckets.size();
    Window::HistogramDelta d;
    d.series = v->series;
    d.count = reset ? h.count : h.count - v->count;
    d.sum = reset ? h.sum : std::max(0.0, h.sum - v->sum);
    d.buckets.resize(h.buckets.size());
    for (size_t b = 0; b < h.buckets.size(); ++b) {
      d.buckets[b] = reset ? h.buckets[b] : increase(h.buckets[b], v->buckets[b]);
    }
    v->buckets = h.buckets;
    v->count = h.count;
    v->sum = h.sum;
    if (d.count > 0) window->histograms.push_back(std::move(d));
  }
  last_ = std::move(next);  // series gone from the registry are forgotten
  last_close_ = now;
  next_close_ += options_.interval;
  if (next_close_ <= now) next_close_ = now + options_.interval;
  next_close_ns_.store(next_close_.time_since_epoch().count(), std::memory_order_relaxed);

  auto ring = std::make_shared<Ring>();
  {
    std::shared_ptr<const Ring> old = this->ring();
    size_t keep = std::min(old->windows.size(), options_.windows - 1);
    ring->windows.assign(old->windows.end() - static_cast<ptrdiff_t>(keep), old->windows.end());
  }
  ring->windows.push_back(std::move(window));
  {
    MutexLock ring_lock(ring_mu_);
    ring_ = std::move(ring);
  }
  closed_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Clock::time_point::duration Windows::untilNextWindow() const {
  Clock::time_point next{
      Clock::time_point::duration(next_close_ns_.load(std::memory_order_relaxed))};
  return next - clock_.now();
}

std::shared_ptr<const Windows::Ring> Windows::ring() const {
  MutexLock lock(ring_mu_);
  return ring_;
}

size_t Windows::windowCount() const { return ring()->windows.size(); }
uint64_t Windows::closedWindows() const { return closed_.load(std::memory_order_relaxed); }
uint64_t Windows::droppedSeries() const { return dropped_series_.load(std::memory_order_relaxed); }

std::vector<const Windows::Window*> Windows::windowsFor(const Ring& ring, Millis span,
                                                        Millis* covered) const {
  std::vector<const Window*> out;
  Clock::time_point::duration sum{0};
  for (auto it = ring.windows.rbegin(); it != ring.windows.rend(); ++it) {
    out.push_back(it->get());
    sum += (*it)->end - (*it)->start;
    if (sum >= span) break;
  }
  if (covered != nullptr) *covered = std::chrono::duration_cast<Millis>(sum);
  return out;
}

uint64_t Windows::counterDelta(std::string_view name, const Labels& match, Millis span) const {
  auto r = ring();
  uint64_t total = 0;
  for (const Window* w : windowsFor(*r, span, nullptr)) {
    for (const auto& c : w->counters) {
      if (c.series->name == name && labelsMatch(c.series->labels, match)) total += c.delta;
    }
  }
  return total;
}

RequestCounts Windows::requests(std::string_view app, std::string_view slot, Millis span) const {
  auto r = ring();
  RequestCounts out;
  const Labels match = {{"app", std::string(app)}, {"slot", std::string(slot)}};
  for (const Window* w : windowsFor(*r, span, &out.covered)) {
    for (const auto& c : w->counters) {
      if (c.series->name != names::kHttpRequests || !labelsMatch(c.series->labels, match)) {
        continue;
      }
      auto code = labelValue(c.series->labels, "code");
      if (!code || code->size() != 3 || (*code)[0] < '1' || (*code)[0] > '5') continue;
      out.by_class[(*code)[0] - '1'] += c.delta;
      out.total += c.delta;
    }
  }
  return out;
}

std::optional<double> Windows::latencyQuantile(std::string_view app, std::string_view slot,
                                               double q, Millis span) const {
  auto r = ring();
  const Labels match = {{"app", std::string(app)}, {"slot", std::string(slot)}};
  std::vector<uint64_t> buckets;
  const std::vector<double>* bounds = nullptr;
  uint64_t count = 0;
  for (const Window* w : windowsFor(*r, span, nullptr)) {
    for (const auto& h : w->histograms) {
      if (h.series->name != names::kHttpDuration || !labelsMatch(h.series->labels, match)) {
        continue;
      }
      if (bounds == nullptr) {
        bounds = &h.series->upper_bounds;
        buckets.assign(h.buckets.size(), 0);
      }
      if (h.buckets.size() != buckets.size()) continue;  // other bounds: not summable
      for (size_t b = 0; b < buckets.size(); ++b) buckets[b] += h.buckets[b];
      count += h.count;
    }
  }
  if (count == 0 || bounds == nullptr || bounds->empty()) return std::nullopt;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(count);
  uint64_t cumulative = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    const uint64_t before = cumulative;
    cumulative += buckets[b];
    if (buckets[b] == 0 || static_cast<double>(cumulative) < rank) continue;
    if (b >= bounds->size()) return bounds->back();  // above the last bound: its value
    const double lower = b == 0 ? 0.0 : (*bounds)[b - 1];
    const double upper = (*bounds)[b];
    return lower +
           (upper - lower) * (rank - static_cast<double>(before)) / static_cast<double>(buckets[b]);
  }
  return bounds->back();
}

RuleCounts Windows::wafRule(std::string_view rule, Millis span) const {
  const Labels match = {{"rule", std::string(rule)}};
  return {counterDelta(names::kWafRuleMatches, match, span),
          counterDelta(names::kWafRuleBlocked, match, span)};
}

uint64_t Windows::wafBlocked(Millis span) const {
  return counterDelta(names::kWafBlocked, {}, span);
}

uint64_t Windows::healthTransitions(std::string_view endpoint, std::string_view to,
                                    Millis span) const {
  Labels match = {{"endpoint", std::string(endpoint)}};
  if (!to.empty()) match.push_back({"to", std::string(to)});
  return counterDelta(names::kHealthTransitions, match, span);
}

}  // namespace shipgate::metrics
