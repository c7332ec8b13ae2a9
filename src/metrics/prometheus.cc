#include "shipgate/metrics/prometheus.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace shipgate::metrics {
namespace {

// {a="x",b="y"} (with `extra` last when given); nothing when there are no labels.
void appendLabels(std::string& out, const Labels& labels, std::string_view extra_name = {},
                  std::string_view extra_value = {}) {
  if (labels.empty() && extra_name.empty()) return;
  out += '{';
  bool first = true;
  auto one = [&](std::string_view name, std::string_view value) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    appendEscapedLabelValue(out, value);
    out += '"';
  };
  for (const auto& l : labels) one(l.name, l.value);
  if (!extra_name.empty()) one(extra_name, extra_value);
  out += '}';
}

std::string fmtDouble(double d, const char* format = "%.9g") {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, d);
  return buf;
}

// A counter's raw value times its family's scale: an integer at scale 1, else as many decimals
// as the scale has (1e-9: nine).
std::string counterValue(uint64_t raw, double scale) {
  if (scale == 1.0) return std::to_string(raw);
  int decimals = std::clamp(static_cast<int>(std::lround(-std::log10(scale))), 0, 17);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, static_cast<double>(raw) * scale);
  return buf;
}

template <class T>
std::pair<typename std::vector<T>::const_iterator, typename std::vector<T>::const_iterator>
seriesOf(const std::vector<T>& all, const std::string& name) {
  // Series are grouped by name (counters are sorted; gauges and histograms are few): a linear
  // scan keeps their order.
  auto first = std::find_if(all.begin(), all.end(), [&](const T& s) { return s.name == name; });
  auto last = std::find_if(first, all.end(), [&](const T& s) { return s.name != name; });
  return {first, last};
}

}  // namespace

void appendEscapedLabelValue(std::string& out, std::string_view v) {
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
}

void renderPrometheusText(const Snapshot& snapshot, std::string& out) {
  for (const FamilyInfo& f : snapshot.families) {
    out += "# HELP " + f.name + " " + f.help + "\n# TYPE " + f.name + " ";
    out += kindName(f.kind);
    out += '\n';
    switch (f.kind) {
      case Kind::kCounter: {
        auto [it, end] = seriesOf(snapshot.counters, f.name);
        for (; it != end; ++it) {
          out += f.name;
          appendLabels(out, it->labels);
          out += ' ' + counterValue(it->value, f.scale) + '\n';
        }
        break;
      }
      case Kind::kGauge: {
        auto [it, end] = seriesOf(snapshot.gauges, f.name);
        for (; it != end; ++it) {
          out += f.name;
          appendLabels(out, it->labels);
          out += ' ' + std::to_string(it->value) + '\n';
        }
        break;
      }
      case Kind::kHistogram: {
        auto [it, end] = seriesOf(snapshot.histograms, f.name);
        for (; it != end; ++it) {
          uint64_t cumulative = 0;
          for (size_t b = 0; b < it->upper_bounds.size(); ++b) {
            cumulative += b < it->buckets.size() ? it->buckets[b] : 0;
            out += f.name + "_bucket";
            appendLabels(out, it->labels, "le", fmtDouble(it->upper_bounds[b], "%g"));
            out += ' ' + std::to_string(cumulative) + '\n';
          }
          out += f.name + "_bucket";
          appendLabels(out, it->labels, "le", "+Inf");
          out += ' ' + std::to_string(it->count) + '\n';
          out += f.name + "_sum";
          appendLabels(out, it->labels);
          out += ' ' + fmtDouble(it->sum) + '\n';
          out += f.name + "_count";
          appendLabels(out, it->labels);
          out += ' ' + std::to_string(it->count) + '\n';
        }
        break;
      }
    }
  }
}

}  // namespace shipgate::metrics
