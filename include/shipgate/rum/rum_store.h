// RumStore: bounded storage of real-user measurements, one series per (metric, release), for the
// release controller's SLA checks (performance_slas:). Each series is a ring buffer of
// (monotonic time, value in ms) with a fixed capacity; the number of series is bounded too, so
// the store's memory is fixed whatever clients send (at most max_series * samples_per_series
// samples). When the series table is full, a new series replaces the one written least recently
// (and first one whose samples have all aged out). Samples older than max_age are never counted
// (eviction by age), whatever span a reader asks for.
//
// A release label is "<app-or-site>@<version-or-slot>" (see release_labels.h), e.g. "api@blue",
// "frontend@v1.4.2"; beacons without attribution are recorded under kUnknownRelease.
//
// Time comes from the Clock given at construction (SimulatedClock in tests): record() stamps a
// sample with clock.now(); readers count samples stamped within (now - span, now].
//
// Thread-safety: every method is thread-safe. record() is called from the gateway's worker
// threads (one short critical section per series: an index write in the ring); readers
// (percentile, count, series) copy the samples they need under the series' lock and sort outside
// it, so the request path never waits on a sort.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shipgate/common/clock.h"
#include "shipgate/common/mutex.h"

namespace shipgate::rum {

inline constexpr std::string_view kUnknownRelease = "unknown";

struct RumStoreOptions {
  size_t samples_per_series = 4096;         // ring capacity of each (metric, release) series
  size_t max_series = 256;                  // bound on distinct (metric, release) pairs
  Millis max_age = std::chrono::hours(2);   // samples older than this are ignored / evicted
};

struct SeriesKey {
  std::string metric;
  std::string release;
  auto operator<=>(const SeriesKey&) const = default;
};

class RumStore {
 public:
  // REQUIRES: clock outlives this; options' sizes > 0.
  explicit RumStore(const Clock& clock, RumStoreOptions options = {});
  ~RumStore();
  RumStore(const RumStore&) = delete;
  RumStore& operator=(const RumStore&) = delete;

  // Records one measurement (milliseconds) for `metric` under `release`, stamped now. A full ring
  // overwrites its oldest sample.
  void record(std::string_view metric, std::string_view release, double value_ms);

  // The q-th percentile (q in percent, 0 < q <= 100, e.g. 95) of the samples of (metric, release)
  // recorded within the last `span` (clamped to max_age), by the nearest-rank method: the
  // smallest sample such that at least q% of the samples are <= it. nullopt when there is no
  // sample in the span (or q is out of range).
  std::optional<double> percentile(std::string_view metric, std::string_view release, double q,
                                   Millis span) const;
  // Samples of (metric, release) within the last `span` (clamped to max_age).
  size_t count(std::string_view metric, std::string_view release, Millis span) const;
  // The series that exist now, in key order.
  std::vector<SeriesKey> series() const;

  const RumStoreOptions& options() const { return options_; }

 private:
  struct Series;
  // Orders SeriesKey and (metric, release) string_view pairs alike, so lookups do not allocate.
  struct KeyLess {
    using is_transparent = void;
    using View = std::pair<std::string_view, std::string_view>;
    static View view(const SeriesKey& k) { return {k.metric, k.release}; }
    static View view(const View& v) { return v; }
    template <class A, class B>
    bool operator()(const A& a, const B& b) const { return view(a) < view(b); }
  };
  std::shared_ptr<Series> find(std::string_view metric, std::string_view release) const;
  // Copies the values within the span (clamped) of one series.
  std::vector<double> window(const Series& s, Millis span) const;

  const Clock& clock_;
  const RumStoreOptions options_;
  mutable Mutex mu_;  // guards the table only; each Series has its own lock for its ring
  std::map<SeriesKey, std::shared_ptr<Series>, KeyLess> table_ GUARDED_BY(mu_);
  uint64_t write_seq_ GUARDED_BY(mu_) = 0;
};

}  // namespace shipgate::rum
