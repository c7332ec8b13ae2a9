// The beacon parser (see rum/beacon.h): nlohmann::json without exceptions, then strict checks.
#include "shipgate/rum/beacon.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace shipgate::rum {
namespace {

using nlohmann::json;

// Client text echoed in a detail: printable ASCII only, at most 40 bytes.
std::string quoteForDetail(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < 40; ++i) {
    char c = s[i];
    out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  }
  if (s.size() > 40) out += "...";
  out += '"';
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char* typeName(const json& j) { return j.type_name(); }

BeaconError err(RejectReason r, std::string detail) { return {r, std::move(detail)}; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string_view reasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooLarge: return "too_large";
    case RejectReason::kContentType: return "content_type";
    case RejectReason::kBadJson: return "bad_json";
    case RejectReason::kNotObject: return "not_object";
    case RejectReason::kUnknownField: return "unknown_field";
    case RejectReason::kNoMetrics: return "no_metrics";
    case RejectReason::kTooManyMetrics: return "too_many_metrics";
    case RejectReason::kBadEntry: return "bad_entry";
    case RejectReason::kUnknownMetric: return "unknown_metric";
    case RejectReason::kBadValue: return "bad_value";
    case RejectReason::kOutOfRange: return "out_of_range";
    case RejectReason::kBadPage: return "bad_page";
    case RejectReason::kRateLimited: return "rate_limited";
    case RejectReason::kMethod: return "method";
  }
  return "unknown";
}

int reasonStatus(RejectReason reason) {
  switch (reason) {
    case RejectReason::kTooLarge: return 413;
    case RejectReason::kRateLimited: return 429;
    case RejectReason::kMethod: return 405;
    default: return 400;
  }
}

bool acceptableContentType(std::string_view ct) {
  size_t semi = ct.find(';');
  std::string_view media = ct.substr(0, semi);
  while (!media.empty() && (media.front() == ' ' || media.front() == '\t')) media.remove_prefix(1);
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  return media.empty() || equalsIgnoreCase(media, "text/plain") ||
         equalsIgnoreCase(media, "application/json");
}

std::variant<Beacon, BeaconError> parseBeacon(std::string_view body, const BeaconRules& rules) {
  if (body.size() > rules.max_body_bytes) {
    return err(RejectReason::kTooLarge, "body of " + std::to_string(body.size()) +
                                            " bytes is over max_body_bytes " +
                                            std::to_string(rules.max_body_bytes));
  }
  json doc = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false,
                         /*ignore_comments=*/false);
  if (doc.is_discarded()) return err(RejectReason::kBadJson, "body is not valid JSON");
  if (!doc.is_object()) {
    return err(RejectReason::kNotObject, std::string("body is ") + typeName(doc) +
                                             ", expected an object like {\"m\":[...]}");
  }
  for (const auto& [key, _] : doc.items()) {
    if (key != "m" && key != "p") {
      return err(RejectReason::kUnknownField,
                 "unknown key " + quoteForDetail(key) + " (expected \"m\" and \"p\")");
    }
  }
  Beacon out;
  if (auto p = doc.find("p"); p != doc.end()) {
    if (!p->is_string()) {
      return err(RejectReason::kBadPage, std::string("p is ") + typeName(*p) + ", expected a string");
    }
    const auto& s = p->get_ref<const std::string&>();
    if (s.size() > kMaxPagePathBytes) {
      return err(RejectReason::kBadPage,
                 "p is longer than " + std::to_string(kMaxPagePathBytes) + " bytes");
    }
    out.page = s;
  }
  auto m = doc.find("m");
  if (m == doc.end()) return err(RejectReason::kNoMetrics, "m is missing");
  if (!m->is_array()) {
    return err(RejectReason::kNoMetrics, std::string("m is ") + typeName(*m) + ", expected a list");
  }
  if (m->empty()) return err(RejectReason::kNoMetrics, "m is empty");
  if (m->size() > rules.max_metrics) {
    return err(RejectReason::kTooManyMetrics, "m has " + std::to_string(m->size()) +
                                                  " entries, at most " +
                                                  std::to_string(rules.max_metrics) + " allowed");
  }
  out.measurements.reserve(m->size());
  for (size_t i = 0; i < m->size(); ++i) {
    const json& e = (*m)[i];
    const std::string at = "m[" + std::to_string(i) + "]";
    if (!e.is_object()) {
      return err(RejectReason::kBadEntry, at + " is " + typeName(e) + ", expected an object");
    }
    for (const auto& [key, _] : e.items()) {
      if (key != "n" && key != "v") {
        return err(RejectReason::kUnknownField,
                   at + ": unknown key " + quoteForDetail(key) + " (expected \"n\" and \"v\")");
      }
    }
    auto n = e.find("n");
    auto v = e.find("v");
    if (n == e.end() || v == e.end()) {
      return err(RejectReason::kBadEntry, at + " needs both \"n\" and \"v\"");
    }
    if (!n->is_string()) {
      return err(RejectReason::kUnknownMetric, at + ".n is " + typeName(*n) + ", expected a name");
    }
    const auto& name = n->get_ref<const std::string&>();
    if (std::find(rules.metrics.begin(), rules.metrics.end(), name) == rules.metrics.end()) {
      return err(RejectReason::kUnknownMetric,
                 at + ".n: " + quoteForDetail(name) + " is not a configured metric");
    }
    if (!v->is_number()) {
      return err(RejectReason::kBadValue, at + ".v is " + typeName(*v) + ", expected a number");
    }
    const double value = v->get<double>();
    if (!std::isfinite(value)) return err(RejectReason::kBadValue, at + ".v is not finite");
    if (value < 0 || value > rules.max_value_ms) {
      return err(RejectReason::kOutOfRange, at + ".v: " + number(value) + " is outside 0.." +
                                                number(rules.max_value_ms) + " ms");
    }
    out.measurements.push_back({name, value});
  }
  return out;
}

}  // namespace shipgate::rum
