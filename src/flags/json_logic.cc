#include "shipgate/flags/json_logic.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <vector>

namespace shipgate::flags {
namespace {

using json = nlohmann::json;

constexpr std::string_view kOperators[] = {
    "var", "missing", "missing_some", "if", "?:", "==", "===", "!=", "!==", "!", "!!", "or",
    "and", "<", "<=", ">", ">=", "in", "cat", "substr", "+", "-", "*", "/", "%", "min", "max",
    "merge", "map", "filter", "reduce", "all", "some", "none", "fractional", "starts_with",
    "ends_with", "sem_ver"};

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

// JavaScript's Number(v) for what JSON can hold (strings as parseFloat does: a leading number).
double toNumber(const json& v) {
  switch (v.type()) {
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float:
      return v.get<double>();
    case json::value_t::boolean:
      return v.get<bool>() ? 1 : 0;
    case json::value_t::null:
      return 0;
    case json::value_t::string: {
      const std::string& s = v.get_ref<const std::string&>();
      size_t i = 0;
      while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
      if (i == s.size()) return s.empty() ? 0 : 0;
      double out = 0;
      const char* b = s.data() + i;
      auto [p, ec] = std::from_chars(b, s.data() + s.size(), out);
      if (ec != std::errc()) return nan();
      return out;
    }
    default:
      return nan();
  }
}

json number(double d) {
  if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
    return json(static_cast<int64_t>(d));
  }
  if (!std::isfinite(d)) return json(nullptr);  // JSON has no NaN or Infinity
  return json(d);
}

// JavaScript's String(v).
std::string toText(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return v.dump();
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (d == std::floor(d) && std::fabs(d) < 1e21) return std::to_string(static_cast<int64_t>(d));
      return v.dump();
    }
    case json::value_t::array: {
      std::string out;
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ',';
        if (!v[i].is_null()) out += toText(v[i]);
      }
      return out;
    }
    default:
      return "[object Object]";
  }
}

bool strictEquals(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() != b.type()) return false;
  if (a.is_object() || a.is_array()) return false;  // distinct objects in JavaScript
  return a == b;
}

// JavaScript's == for JSON values.
bool looseEquals(const json& a, const json& b) {
  if (a.is_null() || b.is_null()) return a.is_null() && b.is_null();
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  if (a.type() == b.type() && !a.is_object() && !a.is_array()) return a == b;
  if (a.is_boolean()) return looseEquals(json(toNumber(a)), b);
  if (b.is_boolean()) return looseEquals(a, json(toNumber(b)));
  if ((a.is_number() && b.is_string()) || (a.is_string() && b.is_number())) {
    return toNumber(a) == toNumber(b);
  }
  if (a.is_array() || a.is_object()) {
    if (b.is_array() || b.is_object()) return false;
    return looseEquals(json(toText(a)), b);
  }
  if (b.is_array() || b.is_object()) return looseEquals(a, json(toText(b)));
  return false;
}

// JavaScript's a < b (strings compare by code units when both are strings).
bool lessThan(const json& a, const json& b) {
  if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>() <
                                             b.get_ref<const std::string&>();
  return toNumber(a) < toNumber(b);
}
bool lessOrEqual(const json& a, const json& b) {
  if (a.is_string() && b.is_string()) return a.get_ref<const std::string&>() <=
                                             b.get_ref<const std::string&>();
  return toNumber(a) <= toNumber(b);
}

struct SemVer {
  int64_t part[3] = {0, 0, 0};
  std::vector<std::string> pre;
};

std::optional<SemVer> parseSemVer(std::string_view s) {
  if (!s.empty() && (s[0] == 'v' || s[0] == 'V')) s.remove_prefix(1);
  if (auto plus = s.find('+'); plus != std::string_view::npos) s = s.substr(0, plus);
  std::string_view pre;
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    pre = s.substr(dash + 1);
    s = s.substr(0, dash);
    if (pre.empty()) return std::nullopt;
  }
  SemVer v;
  int n = 0;
  while (true) {
    if (n == 3) return std::nullopt;
    size_t dot = s.find('.');
    std::string_view num = s.substr(0, dot);
    if (num.empty() || num.size() > 15) return std::nullopt;
    for (char c : num) {
      if (c < '0' || c > '9') return std::nullopt;
    }
    std::from_chars(num.data(), num.data() + num.size(), v.part[n]);
    ++n;
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  while (!pre.empty()) {
    size_t dot = pre.find('.');
    std::string_view id = pre.substr(0, dot);
    if (id.empty()) return std::nullopt;
    v.pre.emplace_back(id);
    if (dot == std::string_view::npos) break;
    pre.remove_prefix(dot + 1);
    if (pre.empty()) return std::nullopt;
  }
  return v;
}

bool allDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// <0, 0, >0 by semver precedence.
int compare(const SemVer& a, const SemVer& b) {
  for (int i = 0; i < 3; ++i) {
    if (a.part[i] != b.part[i]) return a.part[i] < b.part[i] ? -1 : 1;
  }
  if (a.pre.empty() || b.pre.empty()) {
    if (a.pre.empty() && b.pre.empty()) return 0;
    return a.pre.empty() ? 1 : -1;  // a release outranks its pre-releases
  }
  for (size_t i = 0; i < std::min(a.pre.size(), b.pre.size()); ++i) {
    const std::string& x = a.pre[i];
    const std::string& y = b.pre[i];
    bool xn = allDigits(x), yn = allDigits(y);
    if (xn && yn) {
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (x != y) return x < y ? -1 : 1;
    } else if (xn != yn) {
      return xn ? -1 : 1;  // numeric identifiers rank lower
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  if (a.pre.size() == b.pre.size()) return 0;
  return a.pre.size() < b.pre.size() ? -1 : 1;
}

class Evaluator {
 public:
  explicit Evaluator(const LogicInput& in) : in_(in) {}

  Status eval(const json& rule, int depth, json& out) {
    if (++steps_ > kMaxSteps) {
      return Status::invalidArgument("targeting: more than " + std::to_string(kMaxSteps) +
                                     " operations in one evaluation");
    }
    if (depth > kMaxDepth) {
      return Status::invalidArgument("targeting: nested deeper than " +
                                     std::to_string(kMaxDepth));
    }
    if (rule.is_array()) {
      out = json::array();
      for (const json& e : rule) {
        json v;
        SG_RETURN_IF_ERROR(eval(e, depth + 1, v));
        out.push_back(std::move(v));
      }
      return Status::success();
    }
    if (!rule.is_object() || rule.size() != 1) {
      out = rule;
      return Status::success();
    }
    const std::string& op = rule.begin().key();
    const json& raw = rule.begin().value();
    // Arguments: an array, or one value standing for a one-element array.
    json wrapped;
    const json* args_p = &raw;
    if (!raw.is_array()) {
      wrapped = json::array({raw});
      args_p = &wrapped;
    }
    const json& args = *args_p;
    return apply(op, args, depth, out);
  }

  bool targetingKeyMissing() const { return targeting_key_missing_; }

 private:
  Status evalAll(const json& args, int depth, std::vector<json>& values) {
    values.clear();
    values.reserve(args.size());
    for (const json& a : args) {
      json v;
      SG_RETURN_IF_ERROR(eval(a, depth + 1, v));
      values.push_back(std::move(v));
    }
    return Status::success();
  }

  json lookup(const json& data, const json& path_value, bool& found) {
    found = true;
    if (path_value.is_null()) return data;
    std::string path = toText(path_value);
    if (path.empty()) return data;
    const json* cur = &data;
    size_t start = 0;
    while (start <= path.size()) {
      size_t dot = path.find('.', start);
      std::string part = path.substr(start, dot == std::string::npos ? std::string::npos
                                                                      : dot - start);
      if (cur->is_object()) {
        auto it = cur->find(part);
        if (it == cur->end()) {
          found = false;
          return nullptr;
        }
        cur = &*it;
      } else if (cur->is_array()) {
        size_t idx = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), idx);
        if (ec != std::errc() || p != part.data() + part.size() || idx >= cur->size()) {
          found = false;
          return nullptr;
        }
        cur = &(*cur)[idx];
      } else {
        found = false;
        return nullptr;
      }
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return *cur;
  }

  // map/filter/all/some/none/reduce: the first argument is evaluated against the outer data,
  // the rule against each element.
  Status iterate(const std::string& op, const json& args, int depth, json& out) {
    json items;
    if (args.empty()) {
      items = json::array();
    } else {
      SG_RETURN_IF_ERROR(eval(args[0], depth + 1, items));
    }
    const json rule = args.size() > 1 ? args[1] : json(nullptr);
    if (!items.is_array()) items = json::array();
    if (op == "reduce") {
      json acc;
      if (args.size() > 2) {
        SG_RETURN_IF_ERROR(eval(args[2], depth + 1, acc));
      }
      for (const json& item : items) {
        json scope = {{"current", item}, {"accumulator", acc}};
        SG_RETURN_IF_ERROR(withData(scope, rule, depth, acc));
      }
      out = std::move(acc);
      return Status::success();
    }
    if (op == "all" && items.empty()) {
      out = false;
      return Status::success();
    }
    json mapped = json::array();
    bool all = true, some = false;
    for (const json& item : items) {
      json v;
      SG_RETURN_IF_ERROR(withData(item, rule, depth, v));
      if (op == "map") {
        mapped.push_back(std::move(v));
      } else if (op == "filter") {
        if (truthy(v)) mapped.push_back(item);
      } else {
        bool t = truthy(v);
        all = all && t;
        some = some || t;
        if (op == "all" && !all) break;
        if (op != "all" && some) break;
      }
    }
    if (op == "map" || op == "filter") {
      out = std::move(mapped);
    } else if (op == "all") {
      out = all;
    } else if (op == "some") {
      out = some;
    } else {
      out = !some;
    }
    return Status::success();
  }

  Status withData(const json& data, const json& rule, int depth, json& out) {
    const json* saved = data_override_;
    data_override_ = &data;
    Status s = eval(rule, depth + 1, out);
    data_override_ = saved;
    return s;
  }

  const json& data() const { return data_override_ != nullptr ? *data_override_ : *in_.data; }

  Status apply(const std::string& op, const json& args, int depth, json& out);

  Status fractional(const json& args, int depth, json& out) {
    std::vector<json> v;
    SG_RETURN_IF_ERROR(evalAll(args, depth, v));
    out = nullptr;
    if (v.empty()) return Status::success();
    std::string bucket_by;
    size_t first = 0;
    if (v[0].is_string()) {
      bucket_by = v[0].get<std::string>();
      first = 1;
    } else {
      const json& d = *in_.data;
      auto tk = d.find("targetingKey");
      if (tk == d.end() || !tk->is_string() || tk->get_ref<const std::string&>().empty()) {
        targeting_key_missing_ = true;
        return Status::success();
      }
      bucket_by = std::string(in_.flag_key) + tk->get<std::string>();
    }
    struct Weighted {
      std::string variant;
      double weight;
    };
    std::vector<Weighted> dist;
    double total = 0;
    for (size_t i = first; i < v.size(); ++i) {
      const json& d = v[i];
      if (!d.is_array() || d.empty() || d.size() > 2) return Status::success();
      if (!d[0].is_string() && !d[0].is_boolean() && !d[0].is_number()) return Status::success();
      double w = 1;
      if (d.size() == 2) {
        if (!d[1].is_number()) return Status::success();
        w = d[1].get<double>();
        if (!(w >= 0) || !std::isfinite(w)) return Status::success();
      }
      dist.push_back({d[0].is_string() ? d[0].get<std::string>() : toText(d[0]), w});
      total += w;
    }
    if (dist.empty() || total <= 0) return Status::success();
    const double bucket = fractionalBucket(bucket_by);
    double end = 0;
    for (const Weighted& w : dist) {
      end += 100.0 * w.weight / total;
      if (bucket < end) {
        out = w.variant;
        return Status::success();
      }
    }
    out = dist.back().variant;  // bucket == 100 (hash INT32_MIN) and rounding: the last one
    return Status::success();
  }

  const LogicInput& in_;
  const json* data_override_ = nullptr;
  int64_t steps_ = 0;
  bool targeting_key_missing_ = false;
};

Status Evaluator::apply(const std::string& op, const json& args, int depth, json& out) {
  std::vector<json> v;
  auto all = [&]() { return evalAll(args, depth, v); };
  auto arg = [&](size_t i) -> const json& {
    static const json kNull;
    return i < v.size() ? v[i] : kNull;
  };

  if (op == "var") {
    SG_RETURN_IF_ERROR(all());
    bool found = false;
    json got = lookup(data(), arg(0), found);
    out = (!found || got.is_null()) && v.size() > 1 ? v[1] : got;
    return Status::success();
  }
  if (op == "missing") {
    SG_RETURN_IF_ERROR(all());
    std::vector<json> keys = v;
    if (!keys.empty() && keys[0].is_array()) keys = keys[0].get<std::vector<json>>();
    out = json::array();
    for (const json& k : keys) {
      bool found = false;
      json got = lookup(data(), k, found);
      if (!found || got.is_null() || (got.is_string() && got.get_ref<const std::string&>().empty())) {
        out.push_back(k);
      }
    }
    return Status::success();
  }
  if (op == "missing_some") {
    SG_RETURN_IF_ERROR(all());
    double need = toNumber(arg(0));
    json keys = arg(1).is_array() ? arg(1) : json::array();
    json missing = json::array();
    for (const json& k : keys) {
      bool found = false;
      json got = lookup(data(), k, found);
      if (!found || got.is_null() || (got.is_string() && got.get_ref<const std::string&>().empty())) {
        missing.push_back(k);
      }
    }
    double present = static_cast<double>(keys.size() - missing.size());
    out = present >= need ? json::array() : missing;
    return Status::success();
  }
  if (op == "if" || op == "?:") {
    size_t i = 0;
    for (; i + 1 < args.size(); i += 2) {
      json cond;
      SG_RETURN_IF_ERROR(eval(args[i], depth + 1, cond));
      if (truthy(cond)) return eval(args[i + 1], depth + 1, out);
    }
    if (i < args.size()) return eval(args[i], depth + 1, out);
    out = nullptr;
    return Status::success();
  }
  if (op == "or" || op == "and") {
    out = nullptr;
    for (size_t i = 0; i < args.size(); ++i) {
      SG_RETURN_IF_ERROR(eval(args[i], depth + 1, out));
      bool t = truthy(out);
      if (op == "or" ? t : !t) return Status::success();
    }
    return Status::success();
  }
  if (op == "map" || op == "filter" || op == "reduce" || op == "all" || op == "some" ||
      op == "none") {
    return iterate(op, args, depth, out);
  }
  if (op == "fractional") return fractional(args, depth, out);

  SG_RETURN_IF_ERROR(all());
  if (op == "==") {
    out = looseEquals(arg(0), arg(1));
  } else if (op == "!=") {
    out = !looseEquals(arg(0), arg(1));
  } else if (op == "===") {
    out = strictEquals(arg(0), arg(1));
  } else if (op == "!==") {
    out = !strictEquals(arg(0), arg(1));
  } else if (op == "!") {
    out = !truthy(arg(0));
  } else if (op == "!!") {
    out = truthy(arg(0));
  } else if (op == "<" || op == "<=") {
    auto cmp = op == "<" ? lessThan : lessOrEqual;
    if (v.size() >= 3) {
      out = cmp(arg(0), arg(1)) && cmp(arg(1), arg(2));
    } else {
      out = cmp(arg(0), arg(1));
    }
  } else if (op == ">") {
    out = lessThan(arg(1), arg(0));
  } else if (op == ">=") {
    out = lessOrEqual(arg(1), arg(0));
  } else if (op == "in") {
    const json& needle = arg(0);
    const json& hay = arg(1);
    if (hay.is_string()) {
      out = hay.get_ref<const std::string&>().find(toText(needle)) != std::string::npos;
    } else if (hay.is_array()) {
      out = std::any_of(hay.begin(), hay.end(),
                        [&](const json& e) { return strictEquals(e, needle); });
    } else {
      out = false;
    }
  } else if (op == "cat") {
    std::string s;
    for (const json& e : v) s += toText(e);
    out = s;
  } else if (op == "substr") {
    const std::string s = toText(arg(0));
    const int64_t n = static_cast<int64_t>(s.size());
    double start_d = toNumber(arg(1));
    int64_t start = std::isfinite(start_d) ? static_cast<int64_t>(start_d) : 0;
    if (start < 0) start = std::max<int64_t>(0, n + start);
    start = std::min(start, n);
    int64_t end = n;
    if (v.size() > 2) {
      double len_d = toNumber(arg(2));
      int64_t len = std::isfinite(len_d) ? static_cast<int64_t>(len_d) : 0;
      end = len < 0 ? std::max(start, n + len) : std::min(n, start + len);
    }
    out = s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start));
  } else if (op == "+") {
    double sum = 0;
    for (const json& e : v) sum += toNumber(e);
    out = number(sum);
  } else if (op == "*") {
    double p = v.empty() ? nan() : 1;
    for (const json& e : v) p *= toNumber(e);
    out = number(p);
  } else if (op == "-") {
    out = v.size() == 1 ? number(-toNumber(arg(0))) : number(toNumber(arg(0)) - toNumber(arg(1)));
  } else if (op == "/") {
    double d = toNumber(arg(1));
    out = d == 0 ? json(nullptr) : number(toNumber(arg(0)) / d);
  } else if (op == "%") {
    double d = toNumber(arg(1));
    out = d == 0 ? json(nullptr) : number(std::fmod(toNumber(arg(0)), d));
  } else if (op == "min" || op == "max") {
    if (v.empty()) {
      out = nullptr;
    } else {
      double best = op == "min" ? std::numeric_limits<double>::infinity()
                                : -std::numeric_limits<double>::infinity();
      for (const json& e : v) {
        double d = toNumber(e);
        if (std::isnan(d)) {
          best = d;
          break;
        }
        best = op == "min" ? std::min(best, d) : std::max(best, d);
      }
      out = number(best);
    }
  } else if (op == "merge") {
    out = json::array();
    for (const json& e : v) {
      if (e.is_array()) {
        for (const json& x : e) out.push_back(x);
      } else {
        out.push_back(e);
      }
    }
  } else if (op == "starts_with" || op == "ends_with") {
    if (!arg(0).is_string() || !arg(1).is_string()) {
      out = false;
    } else {
      std::string_view s = arg(0).get_ref<const std::string&>();
      std::string_view a = arg(1).get_ref<const std::string&>();
      out = op == "starts_with" ? s.starts_with(a) : s.ends_with(a);
    }
  } else if (op == "sem_ver") {
    out = nullptr;
    if (v.size() == 3 && arg(1).is_string()) {
      auto r = compareSemVer(toText(arg(0)), arg(1).get_ref<const std::string&>(), toText(arg(2)));
      if (r) out = *r;
    }
  } else {
    return Status::invalidArgument("targeting: unknown operator \"" + op + "\"");
  }
  return Status::success();
}

}  // namespace

bool isKnownOperator(std::string_view name) {
  return std::find(std::begin(kOperators), std::end(kOperators), name) != std::end(kOperators);
}

bool truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return false;
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: {
      double d = v.get<double>();
      return d != 0 && !std::isnan(d);
    }
    case json::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    case json::value_t::array:
      return !v.empty();
    default:
      return true;
  }
}

Result<LogicOutcome> evaluateLogic(const json& rule, const LogicInput& input) {
  static const json kEmpty = json::object();
  LogicInput in = input;
  if (in.data == nullptr) in.data = &kEmpty;
  Evaluator e(in);
  LogicOutcome out;
  Status s = e.eval(rule, 0, out.value);
  if (!s.isOk()) return s;
  out.targeting_key_missing = e.targetingKeyMissing() && out.value.is_null();
  return out;
}

uint32_t murmur3_32(std::string_view data, uint32_t seed) {
  constexpr uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  auto rotl = [](uint32_t x, int r) { return (x << r) | (x >> (32 - r)); };
  uint32_t h = seed;
  const size_t n = data.size();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    uint32_t k = static_cast<uint32_t>(p[i]) | static_cast<uint32_t>(p[i + 1]) << 8 |
                 static_cast<uint32_t>(p[i + 2]) << 16 | static_cast<uint32_t>(p[i + 3]) << 24;
    k *= c1;
    k = rotl(k, 15);
    k *= c2;
    h ^= k;
    h = rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  uint32_t k = 0;
  switch (n & 3) {
    case 3:
      k ^= static_cast<uint32_t>(p[i + 2]) << 16;
      [[fallthrough]];
    case 2:
      k ^= static_cast<uint32_t>(p[i + 1]) << 8;
      [[fallthrough]];
    case 1:
      k ^= p[i];
      k *= c1;
      k = rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<uint32_t>(n);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return h;
}

double fractionalBucket(std::string_view value) {
  const auto signed_hash = static_cast<int32_t>(murmur3_32(value, 0));
  return std::fabs(static_cast<double>(signed_hash)) / static_cast<double>(INT32_MAX) * 100.0;
}

std::optional<bool> compareSemVer(std::string_view left, std::string_view op,
                                  std::string_view right) {
  auto a = parseSemVer(left);
  auto b = parseSemVer(right);
  if (!a || !b) return std::nullopt;
  int c = compare(*a, *b);
  if (op == "=") return c == 0;
  if (op == "!=") return c != 0;
  if (op == "<") return c < 0;
  if (op == "<=") return c <= 0;
  if (op == ">") return c > 0;
  if (op == ">=") return c >= 0;
  if (op == "^") return a->part[0] == b->part[0];
  if (op == "~") return a->part[0] == b->part[0] && a->part[1] == b->part[1];
  return std::nullopt;
}

}  // namespace shipgate::flags
