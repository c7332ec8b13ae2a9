// Snapshot: the registry's series at one instant, as plain values (Registry::snapshot()). The
// structured read path: Prometheus text is one rendering of it (prometheus.h) and the windows
// (windows.h) are deltas between two of them.
// A Snapshot is a value: it owns its strings, shares nothing with the registry and may be read
// from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shipgate::metrics {

struct Label {
  std::string name;
  std::string value;
  bool operator==(const Label&) const = default;
};
// In the order they are rendered; a series is its family name plus its labels.
using Labels = std::vector<Label>;

// The value of label `name`, or nullopt when the series has no such label.
std::optional<std::string_view> labelValue(const Labels& labels, std::string_view name);

enum class Kind : uint8_t { kCounter, kGauge, kHistogram };
std::string_view kindName(Kind kind);  // "counter" | "gauge" | "histogram"

struct FamilyInfo {
  std::string name;
  std::string help;
  Kind kind = Kind::kCounter;
  // Counters only: the rendered value is the raw count times scale (1e-9 for a count of
  // nanoseconds rendered as seconds).
  double scale = 1.0;
};

struct CounterSeries {
  std::string name;
  Labels labels;
  uint64_t value = 0;  // raw count (see FamilyInfo::scale)
};

struct GaugeSeries {
  std::string name;
  Labels labels;
  int64_t value = 0;
};

struct HistogramSeries {
  std::string name;
  Labels labels;
  std::vector<double> upper_bounds;  // finite bucket bounds, ascending (+Inf is implied)
  // Non-cumulative: buckets[i] counts observations in (upper_bounds[i-1], upper_bounds[i]];
  // buckets.back() counts those above the last finite bound (size = upper_bounds.size() + 1).
  std::vector<uint64_t> buckets;
  uint64_t count = 0;
  double sum = 0;
};

struct Snapshot {
  std::vector<FamilyInfo> families;  // sorted by name; every series below has its family here
  std::vector<CounterSeries> counters;
  std::vector<GaugeSeries> gauges;
  std::vector<HistogramSeries> histograms;
  // Series the registry refused because it was at its series cap (see RegistryOptions).
  uint64_t overflowed_series = 0;

  const FamilyInfo* family(std::string_view name) const;
  // The series with exactly these labels (in any order), or null.
  const CounterSeries* counter(std::string_view name, const Labels& labels) const;
  const HistogramSeries* histogram(std::string_view name, const Labels& labels) const;
  // The sum of every series of counter family `name` whose labels include all of `match`.
  uint64_t sumCounters(std::string_view name, const Labels& match = {}) const;
};

// True when every label of `match` is in `labels` with the same value.
bool labelsMatch(const Labels& labels, const Labels& match);

}  // namespace shipgate::metrics
