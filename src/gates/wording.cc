#include "shipgate/gates/wording.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "shipgate/common/strings.h"

namespace shipgate::gates {
namespace {

constexpr size_t kMaxWordingLength = 200;

bool isWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

class Cursor {
 public:
  explicit Cursor(std::string_view t) : t_(t) {}
  void skipBlanks() {
    while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t')) ++i_;
  }
  bool atEnd() {
    skipBlanks();
    return i_ >= t_.size();
  }
  size_t column() const { return i_ + 1; }
  size_t pos() const { return i_; }
  char peek() const { return i_ < t_.size() ? t_[i_] : '\0'; }
  char peekAt(size_t k) const { return i_ + k < t_.size() ? t_[i_ + k] : '\0'; }
  void advance(size_t n = 1) { i_ = std::min(t_.size(), i_ + n); }
  // A word: letters, digits, '_', '-', '.' (so "2.1" and "wcag" read as words).
  std::string_view word() {
    skipBlanks();
    size_t b = i_;
    while (i_ < t_.size() && isWordChar(t_[i_])) ++i_;
    return t_.substr(b, i_ - b);
  }
  std::string_view from(size_t pos) const { return t_.substr(std::min(pos, t_.size())); }
  std::string_view rest() {
    skipBlanks();
    return t_.substr(i_);
  }

 private:
  std::string_view t_;
  size_t i_ = 0;
};

bool fail(WordingError& e, size_t column, std::string msg) {
  e.column = column;
  e.message = std::move(msg);
  return false;
}

bool parseSeverity(std::string_view w, Severity& s) {
  std::string l = asciiLowerCopy(w);
  if (l == "low") s = Severity::kLow;
  else if (l == "medium" || l == "moderate") s = Severity::kMedium;
  else if (l == "high") s = Severity::kHigh;
  else if (l == "critical") s = Severity::kCritical;
  else return false;
  return true;
}

struct UnitDef {
  const char* name;
  double bytes;
};
constexpr UnitDef kSizeUnits[] = {{"B", 1},          {"KB", 1e3},         {"kB", 1e3},
                                  {"MB", 1e6},       {"GB", 1e9},         {"KiB", 1024.0},
                                  {"MiB", 1048576.0}, {"GiB", 1073741824.0}};

bool parseWcag(Cursor& c, GateWording& out, WordingError& e) {
  c.skipBlanks();
  size_t col = c.column();
  std::string_view ver = c.word();
  if (ver == "2.0") out.wcag_minor = 0;
  else if (ver == "2.1") out.wcag_minor = 1;
  else if (ver == "2.2") out.wcag_minor = 2;
  else return fail(e, col, "expected a WCAG version (2.0, 2.1 or 2.2) after \"WCAG\"");
  c.skipBlanks();
  col = c.column();
  std::string level = asciiLowerCopy(c.word());
  if (level == "a") out.wcag_level = WcagLevel::kA;
  else if (level == "aa") out.wcag_level = WcagLevel::kAA;
  else if (level == "aaa") out.wcag_level = WcagLevel::kAAA;
  else return fail(e, col, "expected a WCAG level (A, AA or AAA)");
  if (c.atEnd()) return true;
  col = c.column();
  std::string tail = asciiLowerCopy(c.word());
  if ((tail != "compliance" && tail != "compliant") || !c.atEnd())
    return fail(e, col, "unexpected text after the WCAG level (only \"compliance\" may follow)");
  return true;
}

bool parseApproval(Cursor& c, GateWording& out, WordingError& e) {
  if (c.atEnd()) return true;
  size_t col = c.column();
  if (!equalsIgnoreCase(c.word(), "for"))
    return fail(e, col, "expected \"for ENVIRONMENT\" after \"Required\"");
  c.skipBlanks();
  col = c.column();
  std::string_view env = c.word();
  if (env.empty()) return fail(e, col, "expected an environment name after \"for\"");
  out.environment = std::string(env);
  if (!c.atEnd()) return fail(e, c.column(), "unexpected text after the environment name");
  return true;
}

bool parseMeasured(Cursor& c, GateWording& out, WordingError& e) {
  // Operator.
  bool has_op = true;
  c.skipBlanks();
  char a = c.peek(), b = c.peekAt(1);
  if (a == '>' && b == '=') { out.comparison = Comparison::kGreaterEqual; c.advance(2); }
  else if (a == '<' && b == '=') { out.comparison = Comparison::kLessEqual; c.advance(2); }
  else if (a == '=' && b == '=') { out.comparison = Comparison::kEqual; c.advance(2); }
  else if (a == '>') { out.comparison = Comparison::kGreater; c.advance(); }
  else if (a == '<') { out.comparison = Comparison::kLess; c.advance(); }
  else if (a == '=') { out.comparison = Comparison::kEqual; c.advance(); }
  else has_op = false;
  // Number.
  c.skipBlanks();
  size_t num_col = c.column();
  size_t digits = 0, frac = 0;
  std::string num;
  while (std::isdigit(static_cast<unsigned char>(c.peek())) && digits < 16) {
    num += c.peek(); c.advance(); ++digits;
  }
  if (digits == 0) {
    return fail(e, num_col, has_op ? "expected a number after the operator"
                                   : "expected an operator (>, <, >=, <=) or a number, "
                                     "\"WCAG ...\" or \"Required ...\"");
  }
  if (std::isdigit(static_cast<unsigned char>(c.peek())))
    return fail(e, num_col, "number too long (at most 15 digits)");
  if (c.peek() == '.' && std::isdigit(static_cast<unsigned char>(c.peekAt(1)))) {
    num += '.'; c.advance();
    while (std::isdigit(static_cast<unsigned char>(c.peek())) && frac < 6) {
      num += c.peek(); c.advance(); ++frac;
    }
    if (std::isdigit(static_cast<unsigned char>(c.peek())))
      return fail(e, num_col, "too many decimals (at most 6)");
  }
  double value = std::strtod(num.c_str(), nullptr);
  // Unit.
  c.skipBlanks();
  size_t unit_col = c.column();
  double scale = 0;  // 0: no unit
  bool percent = false;
  if (c.peek() == '%') {
    percent = true;
    out.unit_text = "%";
    c.advance();
  } else {
    // A unit is a word right after the number; only the listed spellings count as units.
    Cursor probe = c;
    std::string_view w = probe.word();
    for (const auto& u : kSizeUnits) {
      if (w == u.name) { scale = u.bytes; out.unit_text = u.name; c = probe; break; }
    }
    if (scale == 0) {
      std::string l = asciiLowerCopy(w);
      if (l == "kb" || l == "mb" || l == "gb" || l == "kib" || l == "mib" || l == "gib" ||
          l == "k" || l == "m" || l == "bytes" || l == "byte") {
        return fail(e, unit_col,
                    "size unit \"" + std::string(w) +
                        "\" is not one of B, KB (1,000 bytes), MB, GB, KiB (1,024 bytes), MiB, GiB");
      }
    }
  }
  // Subject.
  c.skipBlanks();
  size_t subj_col = c.column();
  size_t subj_pos = c.pos();
  std::string first = asciiLowerCopy(c.word());
  if (scale > 0) {
    out.kind = GateKind::kSize;
    out.threshold = value * scale;
    if (!has_op) out.comparison = Comparison::kLessEqual;
    out.label = std::string(c.from(subj_pos));
    return true;
  }
  if (first == "coverage" || first == "line" || first == "lines" || first == "branch" ||
      first == "branches") {
    if (first != "coverage") {
      out.coverage_metric = (first == "branch" || first == "branches") ? CoverageMetric::kBranches
                                                                       : CoverageMetric::kLines;
      c.skipBlanks();
      size_t col = c.column();
      if (!equalsIgnoreCase(c.word(), "coverage"))
        return fail(e, col, "expected \"coverage\" after \"" + first + "\"");
    }
    out.kind = GateKind::kCoverage;
  } else if (first == "pass") {
    c.skipBlanks();
    size_t col = c.column();
    if (!equalsIgnoreCase(c.word(), "rate"))
      return fail(e, col, "expected \"rate\" after \"pass\"");
    out.kind = GateKind::kPassRate;
  } else {
    Severity s;
    if (!parseSeverity(first, s)) {
      return fail(e, subj_col,
                  first.empty() ? "expected what is measured (coverage, pass rate, "
                                  "SEVERITY vulnerabilities, or a size unit)"
                                : "unknown measure \"" + first +
                                      "\" (expected coverage, pass rate, SEVERITY "
                                      "vulnerabilities, or a size unit such as KB)");
    }
    out.severities.push_back(s);
    while (true) {
      c.skipBlanks();
      size_t col = c.column();
      if (c.peek() == '/' || c.peek() == ',') {
        c.advance();
      } else {
        Cursor probe = c;
        std::string w = asciiLowerCopy(probe.word());
        if (w == "or" || w == "and") {
          c = probe;
        } else if (w == "vulnerabilities" || w == "vulnerability" || w == "issues" ||
                   w == "issue" || w == "findings" || w == "finding") {
          c = probe;
          break;
        } else {
          return fail(e, col, w.empty() ? "expected \"vulnerabilities\" after the severities"
                                        : "expected a severity or \"vulnerabilities\", not \"" +
                                              w + "\"");
        }
      }
      c.skipBlanks();
      col = c.column();
      std::string_view sw = c.word();
      if (!parseSeverity(sw, s))
        return fail(e, col, "expected a severity (low, medium, high, critical)");
      out.severities.push_back(s);
    }
    std::sort(out.severities.begin(), out.severities.end());
    out.severities.erase(std::unique(out.severities.begin(), out.severities.end()),
                         out.severities.end());
    if (percent) return fail(e, unit_col, "a vulnerability count takes no unit");
    if (frac > 0 || num.find('.') != std::string::npos)
      return fail(e, num_col, "a vulnerability count is a whole number");
    out.kind = GateKind::kVulnerabilities;
    out.threshold = value;
    if (!has_op) out.comparison = Comparison::kLessEqual;
    if (!c.atEnd()) return fail(e, c.column(), "unexpected text after the measure");
    return true;
  }
  // Coverage or pass rate: a percentage.
  if (!percent) return fail(e, unit_col, "a " + std::string(out.kind == GateKind::kCoverage
                                                                 ? "coverage"
                                                                 : "pass rate") +
                                             " needs a percentage (e.g. 80%)");
  if (value > 100) return fail(e, num_col, "a percentage lies between 0 and 100");
  out.threshold = value;
  if (!has_op) out.comparison = Comparison::kGreaterEqual;
  if (!c.atEnd()) return fail(e, c.column(), "unexpected text after the measure");
  return true;
}

std::string formatNumber(double v) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.6f", v);
  std::string s(buf);
  while (!s.empty() && s.back() == '0') s.pop_back();
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

bool parseGateWording(std::string_view text, GateWording& out, WordingError& error) {
  out = GateWording{};
  out.text = std::string(text);
  if (text.size() > kMaxWordingLength)
    return fail(error, kMaxWordingLength + 1, "wording longer than 200 characters");
  for (size_t i = 0; i < text.size(); ++i) {
    auto ch = static_cast<unsigned char>(text[i]);
    if (ch < 0x20 && ch != '\t') return fail(error, i + 1, "control character in the wording");
  }
  Cursor c(text);
  if (c.atEnd()) return fail(error, 1, "empty gate wording");
  Cursor probe = c;
  std::string first = asciiLowerCopy(probe.word());
  if (first == "wcag") {
    out.kind = GateKind::kAccessibility;
    return parseWcag(probe, out, error);
  }
  if (first == "required") {
    out.kind = GateKind::kApproval;
    return parseApproval(probe, out, error);
  }
  if (!parseMeasured(c, out, error)) return false;
  if (out.kind == GateKind::kSize) {
    // The label as written (case kept), without trailing blanks.
    std::string& l = out.label;
    while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.pop_back();
  }
  return true;
}

std::string describe(const GateWording& w) {
  switch (w.kind) {
    case GateKind::kAccessibility: {
      const char* lv = w.wcag_level == WcagLevel::kA ? "A" : w.wcag_level == WcagLevel::kAA ? "AA" : "AAA";
      return "WCAG 2." + std::to_string(w.wcag_minor) + " " + lv + " compliance";
    }
    case GateKind::kApproval:
      return w.environment.empty() ? "Required" : "Required for " + w.environment;
    case GateKind::kCoverage:
      return std::string(comparisonSymbol(w.comparison)) + " " + formatNumber(w.threshold) + "% " +
             (w.coverage_metric == CoverageMetric::kBranches ? "branch coverage" : "line coverage");
    case GateKind::kPassRate:
      return std::string(comparisonSymbol(w.comparison)) + " " + formatNumber(w.threshold) +
             "% pass rate";
    case GateKind::kVulnerabilities: {
      std::string s = std::string(comparisonSymbol(w.comparison)) + " " + formatNumber(w.threshold) + " ";
      for (size_t i = 0; i < w.severities.size(); ++i) {
        if (i) s += "/";
        s += severityName(w.severities[i]);
      }
      return s + " vulnerabilities";
    }
    case GateKind::kSize: {
      std::string s = std::string(comparisonSymbol(w.comparison)) + " " + formatNumber(w.threshold) + "B";
      if (!w.label.empty()) s += " " + w.label;
      return s;
    }
  }
  return "";
}

const char* severityName(Severity s) {
  switch (s) {
    case Severity::kUnknown: return "unknown";
    case Severity::kLow: return "low";
    case Severity::kMedium: return "medium";
    case Severity::kHigh: return "high";
    case Severity::kCritical: return "critical";
  }
  return "unknown";
}

const char* comparisonSymbol(Comparison c) {
  switch (c) {
    case Comparison::kGreater: return ">";
    case Comparison::kGreaterEqual: return ">=";
    case Comparison::kLess: return "<";
    case Comparison::kLessEqual: return "<=";
    case Comparison::kEqual: return "=";
  }
  return "=";
}

bool compare(double measured, Comparison c, double threshold) {
  switch (c) {
    case Comparison::kGreater: return measured > threshold;
    case Comparison::kGreaterEqual: return measured >= threshold;
    case Comparison::kLess: return measured < threshold;
    case Comparison::kLessEqual: return measured <= threshold;
    case Comparison::kEqual: return measured == threshold;
  }
  return false;
}

std::vector<std::string> wcagFailingTags(int wcag_minor, WcagLevel level) {
  std::vector<std::string> tags;
  const char* levels[] = {"a", "aa", "aaa"};
  int max_level = static_cast<int>(level);
  for (int minor = 0; minor <= wcag_minor; ++minor) {
    std::string prefix = minor == 0 ? "wcag2" : "wcag2" + std::to_string(minor);
    for (int l = 0; l <= max_level; ++l) tags.push_back(prefix + levels[l]);
  }
  return tags;
}

}  // namespace shipgate::gates
