// Typed access to YNode values with located diagnostics. See config/yaml.h.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <system_error>

#include "shipgate/config/loader.h"
#include "shipgate/config/yaml.h"

namespace shipgate::config {
namespace {

std::string label(const std::string& path) { return path.empty() ? "value" : path; }

bool needScalar(const YNode& n, const std::string& path, Diagnostics& d, const char* what) {
  if (n.isScalar()) return true;
  if (n.isNull()) {
    d.error(n.where, label(path) + ": missing value (expected " + what + ")");
  } else {
    d.error(n.where, label(path) + ": expected " + what + ", got " + n.kindName());
  }
  return false;
}

}  // namespace

std::string childPath(const std::string& parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return parent + "." + std::string(key);
}

std::string itemPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

bool asString(const YNode& n, const std::string& path, Diagnostics& d, std::string& out) {
  if (!needScalar(n, path, d, "a string")) return false;
  out = n.scalar;
  return true;
}

bool asBool(const YNode& n, const std::string& path, Diagnostics& d, bool& out) {
  if (!needScalar(n, path, d, "true or false")) return false;
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes",
                                               "YES",  "on",   "On",   "ON"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No",
                                                "NO",    "off",   "Off",   "OFF"};
  for (auto t : kTrue) {
    if (n.scalar == t) {
      out = true;
      return true;
    }
  }
  for (auto f : kFalse) {
    if (n.scalar == f) {
      out = false;
      return true;
    }
  }
  d.error(n.where, label(path) + ": expected true or false, got \"" + n.scalar + "\"");
  return false;
}

bool asInt(const YNode& n, const std::string& path, Diagnostics& d, int64_t min, int64_t max,
           int64_t& out) {
  if (!needScalar(n, path, d, "an integer")) return false;
  const std::string& s = n.scalar;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size()) {
    d.error(n.where, label(path) + ": expected an integer, got \"" + s + "\"");
    return false;
  }
  if (v < min || v > max) {
    d.error(n.where, label(path) + ": " + s + " is out of range (" + std::to_string(min) + " to " +
                         std::to_string(max) + ")");
    return false;
  }
  out = v;
  return true;
}

bool asDouble(const YNode& n, const std::string& path, Diagnostics& d, double min, double max,
              double& out) {
  if (!needScalar(n, path, d, "a number")) return false;
  const std::string& s = n.scalar;
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || ptr != s.data() + s.size() || !std::isfinite(v)) {
    d.error(n.where, label(path) + ": expected a number, got \"" + s + "\"");
    return false;
  }
  if (v < min || v > max) {
    d.error(n.where, label(path) + ": " + s + " is out of range (" + std::to_string(min) + " to " +
                         std::to_string(max) + ")");
    return false;
  }
  out = v;
  return true;
}

namespace {
// A scalar parsed by one of values.h's parsers; errors name the node and say what was expected.
template <typename T, typename Parse>
bool asParsed(const YNode& n, const std::string& path, Diagnostics& d, const char* expected,
              Parse parse, T& out) {
  if (!needScalar(n, path, d, expected)) return false;
  auto r = parse(n.scalar);
  if (!r.isOk()) {
    d.error(n.where, label(path) + ": " + r.status().message());
    return false;
  }
  out = *r;
  return true;
}
}  // namespace

bool asDuration(const YNode& n, const std::string& path, Diagnostics& d, Millis& out) {
  return asParsed(n, path, d, "a duration such as 2s", parseDuration, out);
}

bool asSize(const YNode& n, const std::string& path, Diagnostics& d, size_t& out) {
  return asParsed(n, path, d, "a size such as 16KiB", parseSize, out);
}

bool asHostPort(const YNode& n, const std::string& path, Diagnostics& d, HostPort& out) {
  return asParsed(n, path, d, "an address \"host:port\"", parseHostPort, out);
}

bool asStringList(const YNode& n, const std::string& path, Diagnostics& d,
                  std::vector<std::string>& out) {
  if (n.isScalar()) {
    out = {n.scalar};
    return true;
  }
  if (!n.isSeq()) {
    d.error(n.where, label(path) + ": expected a list of strings, got " + n.kindName());
    return false;
  }
  std::vector<std::string> values;
  bool ok = true;
  for (size_t i = 0; i < n.items.size(); ++i) {
    std::string s;
    if (asString(n.items[i], itemPath(path, i), d, s)) {
      values.push_back(std::move(s));
    } else {
      ok = false;
    }
  }
  if (ok) out = std::move(values);
  return ok;
}

std::string resolvePath(const YNode& n, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p(text);
  if (p.is_relative()) p = fs::path(n.where.file).parent_path() / p;
  fs::path abs = fs::absolute(p, ec);
  if (ec) abs = p;
  return abs.lexically_normal().string();
}

MapView::MapView(const YNode& node, std::string path, Diagnostics& diags)
    : node_(node), path_(std::move(path)), diags_(diags) {
  if (!node.isMap() && !node.isNull()) {
    diags_.error(node.where, label(path_) + ": expected a map, got " + node.kindName());
  }
}

const YEntry* MapView::entry(std::string_view key) {
  known_.emplace_back(key);
  return node_.find(key);
}

const YNode* MapView::take(std::string_view key) {
  const YEntry* e = entry(key);
  if (e == nullptr || e->value.isNull()) return nullptr;
  return &e->value;
}

bool MapView::getString(std::string_view key, std::string& out) {
  const YNode* n = take(key);
  return n != nullptr && asString(*n, sub(key), diags_, out);
}

bool MapView::getBool(std::string_view key, bool& out) {
  const YNode* n = take(key);
  return n != nullptr && asBool(*n, sub(key), diags_, out);
}

bool MapView::getInt(std::string_view key, int64_t min, int64_t max, int& out) {
  int64_t v = 0;
  if (!getInt64(key, min, max, v)) return false;
  out = static_cast<int>(v);
  return true;
}

bool MapView::getInt64(std::string_view key, int64_t min, int64_t max, int64_t& out) {
  const YNode* n = take(key);
  return n != nullptr && asInt(*n, sub(key), diags_, min, max, out);
}

bool MapView::getDouble(std::string_view key, double min, double max, double& out) {
  const YNode* n = take(key);
  return n != nullptr && asDouble(*n, sub(key), diags_, min, max, out);
}

bool MapView::getDuration(std::string_view key, Millis& out) {
  const YNode* n = take(key);
  return n != nullptr && asDuration(*n, sub(key), diags_, out);
}

bool MapView::getSeconds(std::string_view key, int64_t& out_seconds) {
  const YNode* n = take(key);
  Millis ms{0};
  if (n == nullptr || !asDuration(*n, sub(key), diags_, ms)) return false;
  if (ms.count() % 1000 != 0) {
    diags_.error(n->where, sub(key) + ": must be a whole number of seconds");
    return false;
  }
  out_seconds = ms.count() / 1000;
  return true;
}

bool MapView::getSize(std::string_view key, size_t min, size_t& out) {
  const YNode* n = take(key);
  size_t v = 0;
  if (n == nullptr || !asSize(*n, sub(key), diags_, v)) return false;
  if (v < min) {
    diags_.error(n->where, sub(key) + ": must be at least " + std::to_string(min) + " bytes");
    return false;
  }
  out = v;
  return true;
}

bool MapView::getAddress(std::string_view key, HostPort& out) {
  const YNode* n = take(key);
  return n != nullptr && asHostPort(*n, sub(key), diags_, out);
}

bool MapView::getStringList(std::string_view key, std::vector<std::string>& out) {
  const YNode* n = take(key);
  return n != nullptr && asStringList(*n, sub(key), diags_, out);
}

bool MapView::getPath(std::string_view key, std::string& out) {
  const YNode* n = take(key);
  std::string s;
  if (n == nullptr || !asString(*n, sub(key), diags_, s)) return false;
  if (s.empty()) {
    diags_.error(n->where, sub(key) + ": empty path");
    return false;
  }
  out = resolvePath(*n, s);
  return true;
}

bool MapView::getChoice(std::string_view key, const std::vector<std::string_view>& choices,
                        int& out) {
  const YNode* n = take(key);
  std::string s;
  if (n == nullptr || !asString(*n, sub(key), diags_, s)) return false;
  for (size_t i = 0; i < choices.size(); ++i) {
    if (s == choices[i]) {
      out = static_cast<int>(i);
      return true;
    }
  }
  std::string list;
  for (size_t i = 0; i < choices.size(); ++i) {
    list += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + std::string(choices[i]);
  }
  diags_.error(n->where, sub(key) + ": \"" + s + "\" is not one of " + list);
  return false;
}

void MapView::finish(std::string_view ignore_prefix) {
  if (!node_.isMap()) return;
  for (const auto& e : node_.entries) {
    bool known = false;
    for (const auto& k : known_) known = known || k == e.key;
    if (known) continue;
    if (!ignore_prefix.empty() && e.key.rfind(ignore_prefix, 0) == 0) continue;
    std::string best;
    size_t best_distance = 0;
    for (const auto& k : known_) {
      size_t dist = editDistance(e.key, k);
      if (best.empty() || dist < best_distance) {
        best = k;
        best_distance = dist;
      }
    }
    std::string where = path_.empty() ? "at the top level" : "in " + path_;
    std::string msg = "unknown key \"" + e.key + "\" " + where;
    size_t limit = std::max<size_t>(2, e.key.size() / 3);
    if (!best.empty() && best_distance <= limit) msg += " (did you mean \"" + best + "\"?)";
    diags_.error(e.key_where, msg);
  }
}

bool validName(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string didYouMean(std::string_view name, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 0;
  for (const auto& c : candidates) {
    size_t dist = editDistance(name, c);
    if (best.empty() || dist < best_distance) {
      best = c;
      best_distance = dist;
    }
  }
  if (best.empty() || best_distance > std::max<size_t>(2, name.size() / 3)) return "";
  return " (did you mean \"" + best + "\"?)";
}

void warnIfMissing(const Location& where, const std::string& what, const std::string& path,
                   Diagnostics& d) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    d.warning(where, what + " \"" + path + "\" does not exist (yet); serve fails until it does");
  }
}

}  // namespace shipgate::config
