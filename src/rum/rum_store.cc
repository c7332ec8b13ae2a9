#include "shipgate/rum/rum_store.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace shipgate::rum {

struct RumStore::Series {
  explicit Series(size_t capacity) : times(capacity), values(capacity) {}
  mutable Mutex mu;
  std::vector<Clock::time_point> times GUARDED_BY(mu);
  std::vector<double> values GUARDED_BY(mu);
  size_t next GUARDED_BY(mu) = 0;  // ring position of the next write
  size_t size GUARDED_BY(mu) = 0;  // samples held (<= capacity)
  Clock::time_point last_write GUARDED_BY(mu){};
  uint64_t last_seq GUARDED_BY(mu) = 0;  // table write order, for least-recently-written eviction
};

RumStore::RumStore(const Clock& clock, RumStoreOptions options)
    : clock_(clock), options_(options) {}

RumStore::~RumStore() = default;

void RumStore::record(std::string_view metric, std::string_view release, double value_ms) {
  const Clock::time_point now = clock_.now();
  std::shared_ptr<Series> s;
  uint64_t seq = 0;
  {
    MutexLock lock(mu_);
    seq = ++write_seq_;
    auto it = table_.find(KeyLess::View{metric, release});
    if (it != table_.end()) {
      s = it->second;
    } else {
      if (table_.size() >= options_.max_series) {
        // Evict a series whose samples all aged out, else the least recently written one.
        auto victim = table_.end();
        uint64_t oldest_seq = std::numeric_limits<uint64_t>::max();
        for (auto i = table_.begin(); i != table_.end(); ++i) {
          MutexLock series_lock(i->second->mu);
          if (now - i->second->last_write >= options_.max_age) {
            victim = i;
            break;
          }
          if (i->second->last_seq < oldest_seq) {
            oldest_seq = i->second->last_seq;
            victim = i;
          }
        }
        table_.erase(victim);
      }
      s = std::make_shared<Series>(options_.samples_per_series);
      table_.emplace(SeriesKey{std::string(metric), std::string(release)}, s);
    }
  }
  MutexLock lock(s->mu);
  s->times[s->next] = now;
  s->values[s->next] = value_ms;
  s->next = (s->next + 1) % s->values.size();
  if (s->size < s->values.size()) ++s->size;
  s->last_write = now;
  s->last_seq = std::max(s->last_seq, seq);
}

std::shared_ptr<RumStore::Series> RumStore::find(std::string_view metric,
                                                 std::string_view release) const {
  MutexLock lock(mu_);
  auto it = table_.find(KeyLess::View{metric, release});
  return it == table_.end() ? nullptr : it->second;
}

std::vector<double> RumStore::window(const Series& s, Millis span) const {
  const Clock::time_point now = clock_.now();
  const Millis effective = std::min(span, options_.max_age);
  std::vector<double> out;
  MutexLock lock(s.mu);
  out.reserve(s.size);
  const size_t cap = s.values.size();
  // Every held sample is checked: writers on several threads may land slightly out of order.
  for (size_t k = 0; k < s.size; ++k) {
    const size_t i = (s.next + cap - 1 - k) % cap;
    if (now - s.times[i] < effective) out.push_back(s.values[i]);
  }
  return out;
}

std::optional<double> RumStore::percentile(std::string_view metric, std::string_view release,
                                           double q, Millis span) const {
  if (!(q > 0.0 && q <= 100.0)) return std::nullopt;
  std::shared_ptr<Series> s = find(metric, release);
  if (!s) return std::nullopt;
  std::vector<double> v = window(*s, span);
  if (v.empty()) return std::nullopt;
  // Nearest rank: the ceil(q/100 * n)-th smallest (1-based).
  size_t rank = static_cast<size_t>(std::ceil(q / 100.0 * static_cast<double>(v.size())));
  rank = std::clamp<size_t>(rank, 1, v.size());
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank - 1), v.end());
  return v[rank - 1];
}

size_t RumStore::count(std::string_view metric, std::string_view release, Millis span) const {
  std::shared_ptr<Series> s = find(metric, release);
  if (!s) return 0;
  return window(*s, span).size();
}

std::vector<SeriesKey> RumStore::series() const {
  MutexLock lock(mu_);
  std::vector<SeriesKey> out;
  out.reserve(table_.size());
  for (const auto& [k, _] : table_) out.push_back(k);
  return out;
}

}  // namespace shipgate::rum
