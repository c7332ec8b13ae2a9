// The `rum:` section validator (see rum/rum_config.h).
#include "shipgate/rum/rum_config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <utility>

#include "shipgate/config/yaml.h"

namespace shipgate::rum {
namespace {

using config::MapView;
using config::YEntry;
using config::YNode;

constexpr size_t kMaxMetricName = 64;

bool validMetricName(std::string_view n) {
  if (n.empty() || n.size() > kMaxMetricName) return false;
  for (char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.')) {
      return false;
    }
  }
  return true;
}

bool validPath(std::string_view p) {
  if (p.size() < 2 || p.size() > 200 || p[0] != '/' || p.back() == '/') return false;
  for (char c : p) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-' || c == '.' || c == '/' || c == '~')) {
      return false;
    }
  }
  return p.find("//") == std::string_view::npos && p.find("/.") == std::string_view::npos;
}

class RumSection final : public config::SectionValidator {
 public:
  std::string_view key() const override { return "rum"; }
  std::shared_ptr<const config::SectionSettings> validateDocument(
      const config::Config&, const YNode& document, config::Diagnostics& d) const override {
    const bool had_errors = d.hasErrors();
    auto out = std::make_shared<RumConfig>();
    const YEntry* slas = document.isMap() ? document.find("performance_slas") : nullptr;
    if (slas != nullptr && slas->value.isMap() && !slas->value.entries.empty()) {
      out->metrics.clear();
      for (const auto& e : slas->value.entries) {
        if (validMetricName(e.key)) out->metrics.push_back(e.key);
      }
    }
    const YEntry* rum = document.isMap() ? document.find("rum") : nullptr;
    if (rum != nullptr && !rum->value.isNull()) {
      MapView m(rum->value, "rum", d);
      if (m.isMap()) read(m, slas, *out);
    }
    if (!had_errors && d.hasErrors()) return nullptr;
    return out;
  }

 private:
  static void read(MapView& m, const YEntry* slas, RumConfig& out) {
    config::Diagnostics& d = m.diags();
    m.getBool("enabled", out.enabled);
    if (m.getString("path", out.path) && !validPath(out.path)) {
      d.error(m.take("path")->where,
              "rum.path: \"" + out.path +
                  "\" must be an absolute path of letters, digits and - _ . ~ / (no trailing /, "
                  "no dot segments), e.g. /_shipgate/rum");
    }
    if (m.getSize("max_body_bytes", 1, out.max_body_bytes) && out.max_body_bytes > 1024 * 1024) {
      d.error(m.take("max_body_bytes")->where, "rum.max_body_bytes: at most 1MiB");
    }
    if (const YNode* r = m.take("rate_limit")) {
      std::string text;
      if (config::asString(*r, "rum.rate_limit", d, text) &&
          !parseRate(text, out.rate_limit_count, out.rate_limit_period)) {
        d.error(r->where, "rum.rate_limit: \"" + text +
                              "\" is not a rate; expected N/s, N/min or N/h (e.g. 60/min), or off");
      }
    }
    m.getDouble("max_value_ms", 1.0, 86'400'000.0, out.max_value_ms);
    int per_beacon = static_cast<int>(out.max_metrics_per_beacon);
    if (m.getInt("max_metrics_per_beacon", 1, 256, per_beacon)) {
      out.max_metrics_per_beacon = static_cast<size_t>(per_beacon);
    }
    if (const YNode* list = m.take("metrics")) {
      std::vector<std::string> names;
      if (config::asStringList(*list, "rum.metrics", d, names)) {
        std::vector<std::string> known;
        if (slas != nullptr && slas->value.isMap()) {
          for (const auto& e : slas->value.entries) known.push_back(e.key);
        }
        for (size_t i = 0; i < names.size(); ++i) {
          const Location& where =
              list->isSeq() && i < list->items.size() ? list->items[i].where : list->where;
          if (!validMetricName(names[i])) {
            d.error(where, "rum.metrics[" + std::to_string(i) + "]: \"" + names[i] +
                               "\" is not a metric name (letters, digits, _ - ., at most 64)");
          } else if (!known.empty() &&
                     std::find(known.begin(), known.end(), names[i]) == known.end()) {
            d.warning(where, "rum.metrics[" + std::to_string(i) + "]: \"" + names[i] +
                                 "\" has no entry in performance_slas" +
                                 config::didYouMean(names[i], known) +
                                 "; its beacons are stored but no SLA reads them");
          }
        }
        if (names.empty()) d.error(list->where, "rum.metrics: name at least one metric");
        out.metrics = std::move(names);
      }
    }
    m.finish("x-");
  }
  using Location = config::Location;
};

}  // namespace

std::unique_ptr<config::SectionValidator> rumSection() { return std::make_unique<RumSection>(); }

std::shared_ptr<const RumConfig> rumConfigOf(const config::Config& config) {
  auto s = config.section<RumConfig>("rum");
  if (s) return s;
  static const auto kDefaults = std::make_shared<const RumConfig>();
  return kDefaults;
}

bool parseRate(std::string_view text, int64_t& count, Millis& period) {
  if (text == "off" || text == "0") {
    count = 0;
    period = Millis(60'000);
    return true;
  }
  size_t slash = text.find('/');
  if (slash == std::string_view::npos || slash == 0) return false;
  std::string_view num = text.substr(0, slash);
  std::string_view unit = text.substr(slash + 1);
  while (!num.empty() && num.back() == ' ') num.remove_suffix(1);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
  if (ec != std::errc() || ptr != num.data() + num.size() || n < 1 || n > 1'000'000) return false;
  Millis p{0};
  if (unit == "s" || unit == "sec" || unit == "second") {
    p = Millis(1000);
  } else if (unit == "m" || unit == "min" || unit == "minute") {
    p = Millis(60'000);
  } else if (unit == "h" || unit == "hour") {
    p = Millis(3'600'000);
  } else {
    return false;
  }
  count = n;
  period = p;
  return true;
}

}  // namespace shipgate::rum
