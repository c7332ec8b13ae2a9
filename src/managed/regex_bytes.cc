// Regex::requiredBytes: sets of bytes every match of a pattern holds a byte of each of.
//
// The engine's weak prefilter (engine_load.cc, ChainGroup::WeakSet) scans every value with a
// Hyperscan database of the patterns that have no literal for RE2's filter. Most values a
// benign request carries (a number, a word, a header) hold none of the punctuation those
// patterns need: `(?:^|=)\s*(?:{|\s*\(\s*|\w+=...)` cannot match a text without `{`, `(` or
// `=`, and `^\(\s*\)\s+{` none without both `(` and `{`. PCRE2's own pattern information gives
// the first bytes and one last literal; this reads the pattern itself: a sequence needs what
// each of its parts needs, an alternation the unions of its branches' needs. It reads the
// syntax the CRS uses (groups, alternation, quantifiers, classes, escapes, inline flags);
// anything else (comments, \Q...\E quoting, calls of other groups, POSIX classes, \p) makes it
// answer "unknown", never a set too small. A fuzz target (tests/fuzz/managed_regex) checks it
// against PCRE2's matches.
#include <algorithm>
#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "shipgate/managed/operators.h"

namespace shipgate::managed {
namespace {

using Bits = std::array<uint64_t, 4>;

void add(Bits& b, unsigned c) { b[c >> 6] |= uint64_t{1} << (c & 63); }
void addRange(Bits& b, unsigned lo, unsigned hi) {
  for (unsigned c = lo; c <= hi; ++c) add(b, c);
}
// Adds byte c, and its other ASCII case when `caseless`.
void addFolded(Bits& b, unsigned c, bool caseless) {
  add(b, c);
  if (caseless && c >= 'a' && c <= 'z') add(b, c - 32);
  if (caseless && c >= 'A' && c <= 'Z') add(b, c + 32);
}
Bits complement(const Bits& b) { return {~b[0], ~b[1], ~b[2], ~b[3]}; }
void unite(Bits& a, const Bits& b) {
  for (size_t i = 0; i < a.size(); ++i) a[i] |= b[i];
}
Bits all() { return {~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}, ~uint64_t{0}}; }

// How often a benign text holds the set's bytes (a lower score filters more): letters, digits
// and space are everywhere; punctuation is rarer; control bytes and high bytes rarer still.
double score(const Bits& b) {
  double s = 0;
  for (unsigned c = 0; c < 256; ++c) {
    if (((b[c >> 6] >> (c & 63)) & 1) == 0) continue;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ')
      s += 10;
    else if (c >= 0x21 && c < 0x7f)
      s += 2;
    else
      s += 0.2;
  }
  return s;
}

// The classes at their narrowest (for what a negation leaves out) and at their widest (for
// what they may consume: the bytes a locale's tables could add are included).
Bits digitsMin() {
  Bits b{};
  addRange(b, '0', '9');
  return b;
}
Bits wordMin() {
  Bits b = digitsMin();
  addRange(b, 'a', 'z');
  addRange(b, 'A', 'Z');
  add(b, '_');
  return b;
}
Bits spaceMin() {
  Bits b{};
  addRange(b, '\t', '\r');
  add(b, ' ');
  return b;
}
Bits horizontalSpaceMin() {
  Bits b{};
  add(b, '\t');
  add(b, ' ');
  return b;
}
Bits verticalSpaceMin() {
  Bits b{};
  addRange(b, '\n', '\r');
  return b;
}
// Whether `b` holds exactly one byte (then *byte is it).
bool onlyByte(const Bits& b, unsigned* byte) {
  int count = 0;
  for (unsigned c = 0; c < 256; ++c)
    if ((b[c >> 6] >> (c & 63)) & 1) {
      *byte = c;
      ++count;
    }
  return count == 1;
}
Bits highBytes() {
  Bits b{};
  addRange(b, 0x80, 0xff);
  return b;
}
Bits widen(Bits b) {
  unite(b, highBytes());
  return b;
}

// What a node of the pattern is known to need: every match of it holds a byte of each set of
// `all` (the rarest first, at most kKeep). Empty: nothing is known.
constexpr size_t kKeep = 4;
struct Need {
  std::vector<Bits> all;
  bool known() const { return !all.empty(); }
};

// The sets in order of score, without repeats, at most kKeep.
void normalise(std::vector<Bits>& sets) {
  std::vector<Bits> distinct;
  for (const Bits& b : sets)
    if (std::find(distinct.begin(), distinct.end(), b) == distinct.end()) distinct.push_back(b);
  std::stable_sort(distinct.begin(), distinct.end(),
                   [](const Bits& a, const Bits& b) { return score(a) < score(b); });
  if (distinct.size() > kKeep) distinct.resize(kKeep);
  sets = std::move(distinct);
}

class Reader {
 public:
  explicit Reader(std::string_view p) : p_(p) {}

  std::vector<Bits> read() {
    Need n = alternation(false);
    if (failed_ || i_ != p_.size()) return {};
    return n.all;
  }

 private:
  std::string_view p_;
  size_t i_ = 0;
  bool failed_ = false;

  bool more() const { return i_ < p_.size(); }
  char peek() const { return p_[i_]; }
  void fail() {
    failed_ = true;
    i_ = p_.size();
  }

  // Branches separated by '|', up to ')' or the end. `caseless` is the flag at its start; an
  // inline (?i) changes it for the rest of its branch and the branches after it (as PCRE2).
  // A match of the whole is a match of one branch: with branch A needing a1 and a2, and B
  // needing b1 and b2, it needs a1 | b1 and a2 | b2.
  Need alternation(bool caseless) {
    Need all_branches;
    bool first = true, known = true;
    while (true) {
      Need b = branch(caseless);
      if (failed_) return {};
      if (first) {
        all_branches = std::move(b);
        first = false;
      } else if (!b.known()) {
        known = false;
      } else if (known) {
        std::vector<Bits>& u = all_branches.all;
        if (u.size() > b.all.size()) u.resize(b.all.size());
        for (size_t k = 0; k < u.size(); ++k) unite(u[k], b.all[k]);
        normalise(u);
      }
      known = known && all_branches.known();
      if (more() && peek() == '|') {
        ++i_;
        continue;
      }
      if (!known) return {};
      return all_branches;
    }
  }

  // A sequence: what each of its parts needs (each part's match is part of the whole's).
  Need branch(bool& caseless) {
    Need all_parts;
    while (more() && peek() != '|' && peek() != ')') {
      Need a = quantified(caseless);
      if (failed_) return {};
      all_parts.all.insert(all_parts.all.end(), a.all.begin(), a.all.end());
    }
    normalise(all_parts.all);
    return all_parts;
  }

  // An atom and its quantifier: a part that may repeat zero times needs nothing.
  Need quantified(bool& caseless) {
    Need a = atom(caseless);
    if (failed_ || !more()) return a;
    size_t min_repeat = 1;
    const char q = peek();
    if (q == '*' || q == '?') {
      min_repeat = 0;
      ++i_;
    } else if (q == '+') {
      ++i_;
    } else if (q == '{') {
      const size_t save = i_;
      size_t n = 0, digits = 0;
      ++i_;
      while (more() && peek() >= '0' && peek() <= '9') {
        n = n * 10 + static_cast<size_t>(peek() - '0');
        ++digits;
        ++i_;
      }
      if (digits > 0 && more() && peek() == ',') {
        ++i_;
        while (more() && peek() >= '0' && peek() <= '9') ++i_;
      }
      if (digits == 0 || !more() || peek() != '}') {
        i_ = save;  // a literal '{' (PCRE2 reads one that starts no quantifier as itself)
        return a;
      }
      ++i_;
      min_repeat = n;
    } else {
      return a;
    }
    if (more() && (peek() == '?' || peek() == '+')) ++i_;  // lazy or possessive
    if (min_repeat == 0) return {};
    return a;
  }

  Need bytes(Bits b) {
    Need n;
    n.all.push_back(b);
    return n;
  }
  Need literal(unsigned c, bool caseless) {
    Bits b{};
    addFolded(b, c, caseless);
    return bytes(b);
  }

  Need atom(bool& caseless) {
    const char c = peek();
    switch (c) {
      case '(':
        return group(caseless);
      case '[':
        return charClass(caseless);
      case '.':
        ++i_;
        return bytes(all());
      case '^':
      case '$':
        ++i_;
        return {};
      case '\\':
        return escape(caseless, false, nullptr);
      case '*':
      case '+':
      case '?':
        fail();  // a quantifier with nothing to repeat
        return {};
      default:
        ++i_;
        return literal(static_cast<unsigned char>(c), caseless);
    }
  }

  // "(?flags)" or "(?flags:" at i_ (after "(?"): applies the i flag; fails on x (whitespace and
  // comments would change what the pattern's bytes mean). Returns whether it was a flag group
  // with a body (':').
  bool flags(bool& caseless, bool* has_body) {
    bool on = true;
    while (more()) {
      const char f = peek();
      ++i_;
      if (f == ')') {
        *has_body = false;
        return true;
      }
      if (f == ':') {
        *has_body = true;
        return true;
      }
      if (f == '-') {
        on = false;
      } else if (f == 'i') {
        caseless = on;
      } else if (f == 'x' || f == 'n' || f == 'U' || f == 'J' || f == '^') {
        fail();
        return false;
      } else if (f != 's' && f != 'm') {
        fail();
        return false;
      }
    }
    fail();
    return false;
  }

  Need group(bool& caseless) {
    ++i_;  // '('
    bool inner_caseless = caseless;
    bool zero_width = false;
    if (more() && peek() == '?') {
      ++i_;
      if (!more()) {
        fail();
        return {};
      }
      const char k = peek();
      if (k == ':' || k == '>' || k == '|') {
        ++i_;
      } else if (k == '=' || k == '!') {
        ++i_;
        zero_width = true;
      } else if (k == '<' && i_ + 1 < p_.size() && (p_[i_ + 1] == '=' || p_[i_ + 1] == '!')) {
        i_ += 2;
        zero_width = true;
      } else if (k == '<' || (k == 'P' && i_ + 1 < p_.size() && p_[i_ + 1] == '<') || k == '\'') {
        // a named group: (?<name>...), (?P<name>...), (?'name'...); not (?P>name) or (?P=name),
        // which match what another group matches
        if (k == 'P') ++i_;
        if (!more()) {
          fail();
          return {};
        }
        const char close = peek() == '\'' ? '\'' : '>';
        while (more() && peek() != close) ++i_;
        if (!more()) {
          fail();
          return {};
        }
        ++i_;
      } else if (k == '-' || (k >= 'a' && k <= 'z') || (k >= 'A' && k <= 'Z') || k == '^') {
        bool has_body = false;
        if (!flags(inner_caseless, &has_body)) return {};
        if (!has_body) {
          caseless = inner_caseless;  // (?i): for the rest of the enclosing group
          return {};
        }
      } else {
        fail();  // conditionals, recursion, callouts, comments: not read here
        return {};
      }
    }
    Need n = alternation(inner_caseless);
    if (failed_ || !more() || peek() != ')') {
      fail();
      return {};
    }
    ++i_;
    if (zero_width) return {};
    return n;
  }

  // Reads a hexadecimal or octal number of at most `max` digits; fails above 0xff.
  bool number(int base, size_t max, unsigned* out) {
    unsigned v = 0;
    size_t n = 0;
    while (more() && n < max) {
      const char d = peek();
      int x = -1;
      if (d >= '0' && d <= '9') x = d - '0';
      if (base == 16 && d >= 'a' && d <= 'f') x = d - 'a' + 10;
      if (base == 16 && d >= 'A' && d <= 'F') x = d - 'A' + 10;
      if (x < 0 || x >= base) break;
      v = v * static_cast<unsigned>(base) + static_cast<unsigned>(x);
      ++n;
      ++i_;
    }
    if (n == 0 || v > 0xff) return false;
    *out = v;
    return true;
  }

  // An escape at i_ ('\\'). With `narrow`, its bytes at their narrowest also go there (what a
  // negated class leaves out). Outside a class, zero-width escapes and
  // back-references need nothing.
  Need escape(bool caseless, bool in_class, Bits* narrow) {
    ++i_;
    if (!more()) {
      fail();
      return {};
    }
    const char e = peek();
    ++i_;
    auto cls = [&](const Bits& min, bool negated) -> Need {
      Bits wide = negated ? complement(min) : widen(min);
      if (narrow != nullptr) *narrow = negated ? complement(widen(min)) : min;
      return bytes(wide);
    };
    auto one = [&](unsigned b) -> Need {
      Need n = literal(b, caseless);
      if (narrow != nullptr) {
        *narrow = Bits{};
        add(*narrow, b);
      }
      return n;
    };
    switch (e) {
      case 'd':
        return cls(digitsMin(), false);
      case 'D':
        return cls(digitsMin(), true);
      case 'w':
        return cls(wordMin(), false);
      case 'W':
        return cls(wordMin(), true);
      case 's':
        return cls(spaceMin(), false);
      case 'S':
        return cls(spaceMin(), true);
      case 'h':
        return cls(horizontalSpaceMin(), false);
      case 'H':
        return cls(horizontalSpaceMin(), true);
      case 'v':
        return cls(verticalSpaceMin(), false);
      case 'V':
        return cls(verticalSpaceMin(), true);
      case 'n':
        return one('\n');
      case 'r':
        return one('\r');
      case 't':
        return one('\t');
      case 'f':
        return one('\f');
      case 'e':
        return one(0x1b);
      case 'a':
        return one(0x07);
      case 'x': {
        unsigned v = 0;
        if (more() && peek() == '{') {
          ++i_;
          if (!number(16, 8, &v) || !more() || peek() != '}') {
            fail();
            return {};
          }
          ++i_;
        } else if (!more() || !number(16, 2, &v)) {
          v = 0;  // "\x" alone is NUL
        }
        return one(v);
      }
      case '0': {
        unsigned v = 0;
        if (!number(8, 2, &v)) v = 0;
        return one(v);
      }
      default:
        break;
    }
    if (in_class) {
      if (e == 'b') return one(0x08);
      if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '1' && e <= '9')) {
        fail();  // \p, \N, an octal escape...: not read here
        return {};
      }
      return one(static_cast<unsigned char>(e));
    }
    switch (e) {
      case 'b':
      case 'B':
      case 'A':
      case 'z':
      case 'Z':
      case 'G':
        return {};  // zero width
      default:
        break;
    }
    if ((e >= '1' && e <= '9') || e == 'g' || e == 'k') {
      // a back-reference: its bytes are another group's; skip its name or number
      while (more() && peek() != ')' && peek() != '|' &&
             ((peek() >= '0' && peek() <= '9') || peek() == '{' || peek() == '}' || peek() == '<' ||
              peek() == '>' || peek() == '-' || peek() == '\'' ||
              (peek() >= 'a' && peek() <= 'z') || (peek() >= 'A' && peek() <= 'Z') ||
              peek() == '_'))
        ++i_;
      return {};
    }
    if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z')) {
      fail();  // \p{..}, \R, \X, \K...: not read here
      return {};
    }
    return one(static_cast<unsigned char>(e));
  }

  Need charClass(bool caseless) {
    ++i_;  // '['
    bool negated = false;
    if (more() && peek() == '^') {
      negated = true;
      ++i_;
    }
    Bits wide{}, narrow{};
    bool first = true;
    while (true) {
      if (!more()) {
        fail();
        return {};
      }
      char c = peek();
      if (c == ']' && !first) {
        ++i_;
        break;
      }
      first = false;
      if (c == '[' && i_ + 1 < p_.size() &&
          (p_[i_ + 1] == ':' || p_[i_ + 1] == '.' || p_[i_ + 1] == '=')) {
        fail();  // POSIX classes: not read here
        return {};
      }
      unsigned lo = 0;
      bool single = true;
      if (c == '\\') {
        Bits n{};
        Need e = escape(caseless, true, &n);
        if (failed_) return {};
        unite(wide, e.all.front());
        unite(narrow, n);
        // a one-byte escape may start a range
        single = onlyByte(n, &lo);
        if (!single) continue;
      } else {
        ++i_;
        lo = static_cast<unsigned char>(c);
        addFolded(wide, lo, caseless);
        add(narrow, lo);
      }
      if (single && i_ + 1 < p_.size() && peek() == '-' && p_[i_ + 1] != ']') {
        ++i_;
        unsigned hi = 0;
        if (peek() == '\\') {
          Bits n{};
          escape(caseless, true, &n);
          if (failed_) return {};
          if (!onlyByte(n, &hi)) {
            fail();
            return {};
          }
        } else {
          hi = static_cast<unsigned char>(peek());
          ++i_;
        }
        if (hi < lo) {
          fail();
          return {};
        }
        for (unsigned b = lo; b <= hi; ++b) {
          addFolded(wide, b, caseless);
          add(narrow, b);
        }
      }
    }
    // A negated class consumes any byte it does not list; what it lists at its narrowest
    // (without case folding or a locale's extra bytes) is the least it can leave out.
    return bytes(negated ? complement(narrow) : wide);
  }
};

}  // namespace

std::vector<std::array<uint64_t, 4>> Regex::requiredBytes(std::string_view pattern) {
  return Reader(pattern).read();
}

}  // namespace shipgate::managed
