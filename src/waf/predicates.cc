// Predicates: the right-hand sides of comparisons, pre-built at compile time.
#include <re2/re2.h>

#include <algorithm>

#include "aho_corasick.h"
#include "eval_nodes.h"
#include "regex_prefilter.h"
#include "shipgate/common/strings.h"
#include "text.h"

namespace shipgate::waf {

namespace {

// Bounds the Aho-Corasick automaton (states x byte classes) whatever the parser limits are.
constexpr size_t kMaxContainsAnyBytes = 1 << 16;

template <typename T>
bool ordered(CompareOp op, const T& a, const T& b) {
  switch (op) {
    case CompareOp::kEq:
      return a == b;
    case CompareOp::kNe:
      return a != b;
    case CompareOp::kLt:
      return a < b;
    case CompareOp::kLe:
      return a <= b;
    case CompareOp::kGt:
      return a > b;
    case CompareOp::kGe:
      return a >= b;
    default:
      return false;
  }
}

class BytesCompare final : public Predicate {
 public:
  BytesCompare(CompareOp op, std::string lit) : op_(op), lit_(std::move(lit)) {}
  bool test(const Value& v) const override {
    return v.tag == Value::Tag::kBytes && ordered<std::string_view>(op_, v.s, lit_);
  }

 private:
  CompareOp op_;
  std::string lit_;
};

class IntCompare final : public Predicate {
 public:
  IntCompare(CompareOp op, int64_t lit) : op_(op), lit_(lit) {}
  bool test(const Value& v) const override {
    return v.tag == Value::Tag::kInt && ordered(op_, v.i, lit_);
  }

 private:
  CompareOp op_;
  int64_t lit_;
};

class IpCompare final : public Predicate {
 public:
  IpCompare(CompareOp op, IpAddr lit) : op_(op), lit_(lit) {}
  bool test(const Value& v) const override {
    return v.tag == Value::Tag::kIp && ordered(op_, v.ip, lit_);
  }

 private:
  CompareOp op_;
  IpAddr lit_;
};

class Contains final : public Predicate {
 public:
  explicit Contains(std::string needle) : needle_(std::move(needle)) {}
  bool test(const Value& v) const override {
    if (v.tag != Value::Tag::kBytes) return false;
    return containsBytes(v.s, needle_);
  }

 private:
  std::string needle_;
};

class ContainsAny final : public Predicate {
 public:
  explicit ContainsAny(const std::vector<std::string>& needles) : ac_(needles) {}
  bool test(const Value& v) const override {
    return v.tag == Value::Tag::kBytes && ac_.containsAny(v.s);
  }

 private:
  AhoCorasick ac_;
};

// matches: an unanchored search, as on Cloudflare. A value without the pattern's required
// literal (regex_prefilter.h) cannot match and skips RE2.
class Regex final : public Predicate {
 public:
  explicit Regex(std::unique_ptr<RE2> re)
      : re_(std::move(re)),
        required_(requiredLiteral(re_->pattern())),
        literal_(literalPattern(re_->pattern())) {}
  bool test(const Value& v) const override {
    if (v.tag != Value::Tag::kBytes) return false;
    const std::string_view s(v.s);
    switch (literal_.kind) {  // the whole pattern is a literal: no RE2 at all
      case LiteralPattern::Kind::kContains:
        return s.find(literal_.literal) != std::string_view::npos;
      case LiteralPattern::Kind::kPrefix:
        return s.substr(0, literal_.literal.size()) == literal_.literal;
      case LiteralPattern::Kind::kNone:
        break;
    }
    if (!required_.empty() && s.find(required_) == std::string_view::npos) return false;
    return RE2::PartialMatch(v.s, *re_);
  }

 private:
  std::unique_ptr<RE2> re_;
  std::string required_;
  LiteralPattern literal_;
};

// wildcard / strict wildcard: whole-value glob where '*' matches any run of bytes ('\*' is a
// literal star). Literal segments are matched greedily leftmost, which is exact for '*'-only
// globs, so this runs in linear-ish time without a regex.
class Wildcard final : public Predicate {
 public:
  Wildcard(const std::string& pattern, bool case_insensitive) : ci_(case_insensitive) {
    segments_.emplace_back();
    for (size_t i = 0; i < pattern.size(); ++i) {
      char c = pattern[i];
      if (c == '\\' && i + 1 < pattern.size()) {
        segments_.back().push_back(fold(pattern[++i]));
      } else if (c == '*') {
        segments_.emplace_back();
      } else {
        segments_.back().push_back(fold(c));
      }
    }
  }
  bool test(const Value& v) const override {
    if (v.tag != Value::Tag::kBytes) return false;
    std::string_view s = v.s;
    const std::string& first = segments_.front();
    if (segments_.size() == 1) return s.size() == first.size() && equal(s.data(), first);
    const std::string& last = segments_.back();
    if (s.size() < first.size() + last.size()) return false;
    if (!equal(s.data(), first) || !equal(s.data() + s.size() - last.size(), last)) return false;
    size_t pos = first.size();
    const size_t end = s.size() - last.size();
    for (size_t k = 1; k + 1 < segments_.size(); ++k) {
      const std::string& seg = segments_[k];
      bool found = false;
      for (; pos + seg.size() <= end; ++pos) {
        if (equal(s.data() + pos, seg)) {
          found = true;
          break;
        }
      }
      if (!found) return false;
      pos += seg.size();
    }
    return true;
  }

 private:
  char fold(char c) const { return ci_ ? asciiLower(c) : c; }
  bool equal(const char* p, const std::string& seg) const {
    for (size_t i = 0; i < seg.size(); ++i) {
      if (fold(p[i]) != seg[i]) return false;
    }
    return true;
  }
  std::vector<std::string> segments_;
  bool ci_;
};

class BytesSet final : public Predicate {
 public:
  explicit BytesSet(std::vector<std::string> items) : items_(std::move(items)) {
    std::sort(items_.begin(), items_.end());
  }
  bool test(const Value& v) const override {
    if (v.tag != Value::Tag::kBytes) return false;
    auto it = std::lower_bound(items_.begin(), items_.end(), v.s,
                               [](const std::string& a, std::string_view b) { return a < b; });
    return it != items_.end() && *it == v.s;
  }

 private:
  std::vector<std::string> items_;
};

class IntSet final : public Predicate {
 public:
  explicit IntSet(std::vector<std::pair<int64_t, int64_t>> ranges) : ranges_(std::move(ranges)) {
    std::sort(ranges_.begin(), ranges_.end());
  }
  bool test(const Value& v) const override {
    if (v.tag != Value::Tag::kInt) return false;
    // Ranges may overlap; scan those starting at or below the value.
    auto end = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(v.i, INT64_MAX));
    for (auto it = ranges_.begin(); it != end; ++it) {
      if (v.i <= it->second) return true;
    }
    return false;
  }

 private:
  std::vector<std::pair<int64_t, int64_t>> ranges_;
};

class IpSet final : public Predicate {
 public:
  explicit IpSet(std::vector<std::pair<IpAddr, IpAddr>> ranges) : ranges_(std::move(ranges)) {}
  bool test(const Value& v) const override {
    if (v.tag != Value::Tag::kIp) return false;
    for (const auto& [lo, hi] : ranges_) {
      if (lo.v6 == v.ip.v6 && !(v.ip < lo) && !(hi < v.ip)) return true;
    }
    return false;
  }

 private:
  std::vector<std::pair<IpAddr, IpAddr>> ranges_;
};

std::pair<IpAddr, IpAddr> ipRange(const Literal& l) {
  if (l.kind == Literal::Kind::kIpRange) return {l.ip, l.ip_hi};
  if (l.kind == Literal::Kind::kIp) return {l.ip, l.ip};
  IpAddr lo = l.ip, hi = l.ip;
  int bits = lo.v6 ? 128 : 32;
  for (int b = l.prefix; b < bits; ++b) {
    auto mask = static_cast<uint8_t>(0x80 >> (b % 8));
    lo.bytes[static_cast<size_t>(b / 8)] &= static_cast<uint8_t>(~mask);
    hi.bytes[static_cast<size_t>(b / 8)] |= mask;
  }
  return {lo, hi};
}

std::unique_ptr<Predicate> setPredicate(Kind kind, const std::vector<Literal>& items) {
  if (kind == Kind::kBytes) {
    std::vector<std::string> v;
    v.reserve(items.size());
    for (const Literal& l : items) v.push_back(l.bytes);
    return std::make_unique<BytesSet>(std::move(v));
  }
  if (kind == Kind::kInt) {
    std::vector<std::pair<int64_t, int64_t>> v;
    v.reserve(items.size());
    for (const Literal& l : items) v.emplace_back(l.lo, l.hi);
    return std::make_unique<IntSet>(std::move(v));
  }
  std::vector<std::pair<IpAddr, IpAddr>> v;
  v.reserve(items.size());
  for (const Literal& l : items) v.push_back(ipRange(l));
  return std::make_unique<IpSet>(std::move(v));
}

bool literalFits(Kind kind, const Literal& l) {
  switch (l.kind) {
    case Literal::Kind::kBytes:
      return kind == Kind::kBytes;
    case Literal::Kind::kInt:
    case Literal::Kind::kIntRange:
      return kind == Kind::kInt;
    default:
      return kind == Kind::kIp;
  }
}

}  // namespace

std::unique_ptr<Predicate> makePredicate(const Node& n, const CompileOptions& options,
                                         std::string& error) {
  const Kind kind = n.kids[0]->type.kind();
  switch (n.compare) {
    case CompareOp::kEq:
    case CompareOp::kNe:
    case CompareOp::kLt:
    case CompareOp::kLe:
    case CompareOp::kGt:
    case CompareOp::kGe:
      if (kind == Kind::kBytes) return std::make_unique<BytesCompare>(n.compare, n.literal.bytes);
      if (kind == Kind::kInt) return std::make_unique<IntCompare>(n.compare, n.literal.lo);
      return std::make_unique<IpCompare>(n.compare, n.literal.ip);
    case CompareOp::kContains:
      return std::make_unique<Contains>(n.literal.bytes);
    case CompareOp::kContainsAny: {
      std::vector<std::string> needles;
      size_t total = 0;
      for (const Literal& l : n.set) {
        needles.push_back(l.bytes);
        total += l.bytes.size();
      }
      if (total > kMaxContainsAnyBytes) {
        error = "contains {...} holds more than " + std::to_string(kMaxContainsAnyBytes) +
                " bytes of patterns";
        return nullptr;
      }
      return std::make_unique<ContainsAny>(needles);
    }
    case CompareOp::kWildcard:
    case CompareOp::kStrictWildcard:
      return std::make_unique<Wildcard>(n.literal.bytes, n.compare == CompareOp::kWildcard);
    case CompareOp::kMatches: {
      RE2::Options opts;
      opts.set_log_errors(false);
      opts.set_never_capture(true);
      opts.set_max_mem(options.settings.max_regex_program_bytes);
      auto re = std::make_unique<RE2>(n.literal.bytes, opts);
      if (!re->ok()) {
        error = "invalid regex: " + re->error();
        return nullptr;
      }
      return std::make_unique<Regex>(std::move(re));
    }
    case CompareOp::kIn:
      return setPredicate(kind, n.set);
    case CompareOp::kInList: {
      const NamedList* list = nullptr;
      if (options.lists != nullptr) {
        auto it = options.lists->find(n.name);
        if (it != options.lists->end()) list = &it->second;
      }
      if (list == nullptr) {
        error = "unknown list $" + n.name;
        return nullptr;
      }
      if (list->type.kind() != kind) {
        error = "list $" + n.name + " holds " + list->type.toString() + ", but the value is " +
                n.kids[0]->type.toString();
        return nullptr;
      }
      for (const Literal& l : list->items) {
        if (!literalFits(kind, l)) {
          error = "list $" + n.name + " has an item of the wrong type";
          return nullptr;
        }
      }
      return setPredicate(kind, list->items);
    }
  }
  error = "unsupported comparison";
  return nullptr;
}

Value normalizeValue(const Value& v, uint32_t mask, EvalContext& ctx) {
  if (v.tag == Value::Tag::kBytes) {
    std::string& scratch = ctx.newString();
    return Value::ofBytes(normalizeText(v.s, mask, scratch));
  }
  if (v.tag != Value::Tag::kArray && v.tag != Value::Tag::kMap) return v;
  Value* items = ctx.newValues(v.size);
  for (uint32_t i = 0; i < v.size; ++i) items[i] = normalizeValue(v.items[i], mask, ctx);
  Value out = v;
  out.items = items;
  return out;
}

}  // namespace shipgate::waf
