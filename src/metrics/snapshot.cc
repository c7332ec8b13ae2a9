#include "shipgate/metrics/snapshot.h"

#include <algorithm>

namespace shipgate::metrics {

std::optional<std::string_view> labelValue(const Labels& labels, std::string_view name) {
  for (const auto& l : labels) {
    if (l.name == name) return std::string_view(l.value);
  }
  return std::nullopt;
}

std::string_view kindName(Kind kind) {
  switch (kind) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "untyped";
}

bool labelsMatch(const Labels& labels, const Labels& match) {
  return std::all_of(match.begin(), match.end(), [&](const Label& m) {
    auto v = labelValue(labels, m.name);
    return v && *v == m.value;
  });
}

namespace {
template <class T>
const T* findSeries(const std::vector<T>& all, std::string_view name, const Labels& labels) {
  for (const auto& s : all) {
    if (s.name == name && s.labels.size() == labels.size() && labelsMatch(s.labels, labels)) {
      return &s;
    }
  }
  return nullptr;
}
}  // namespace

const FamilyInfo* Snapshot::family(std::string_view name) const {
  for (const auto& f : families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const CounterSeries* Snapshot::counter(std::string_view name, const Labels& labels) const {
  return findSeries(counters, name, labels);
}

const HistogramSeries* Snapshot::histogram(std::string_view name, const Labels& labels) const {
  return findSeries(histograms, name, labels);
}

uint64_t Snapshot::sumCounters(std::string_view name, const Labels& match) const {
  uint64_t total = 0;
  for (const auto& c : counters) {
    if (c.name == name && labelsMatch(c.labels, match)) total += c.value;
  }
  return total;
}

}  // namespace shipgate::metrics
