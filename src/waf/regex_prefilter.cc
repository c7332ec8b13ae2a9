// Literal prefilter for regexes. See regex_prefilter.h.
#include "regex_prefilter.h"

#include <algorithm>

namespace shipgate::waf {
namespace {

bool isQuantifier(char c) { return c == '*' || c == '?' || c == '+' || c == '{'; }

bool isAsciiPunct(char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

// Index just past the character class starting at pattern[i] == '['; npos when unterminated.
size_t skipClass(std::string_view p, size_t i) {
  ++i;
  if (i < p.size() && p[i] == '^') ++i;
  if (i < p.size() && p[i] == ']') ++i;  // a leading ']' is literal
  while (i < p.size()) {
    if (p[i] == '\\') {
      i += 2;
      continue;
    }
    if (p[i] == '[' && i + 1 < p.size() && p[i + 1] == ':') {  // [:alpha:]
      size_t end = p.find(":]", i + 2);
      if (end == std::string_view::npos) return std::string_view::npos;
      i = end + 2;
      continue;
    }
    if (p[i] == ']') return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// Index just past the group starting at pattern[i] == '('; npos when unbalanced.
size_t skipGroup(std::string_view p, size_t i) {
  int depth = 0;
  while (i < p.size()) {
    char c = p[i];
    if (c == '\\') {
      i += 2;
      continue;
    }
    if (c == '[') {
      i = skipClass(p, i);
      if (i == std::string_view::npos) return i;
      continue;
    }
    if (c == '(') ++depth;
    if (c == ')' && --depth == 0) return i + 1;
    ++i;
  }
  return std::string_view::npos;
}

// Index just past the quantifier starting at pattern[i] (and a lazy '?' after it).
size_t skipQuantifier(std::string_view p, size_t i) {
  if (p[i] == '{') {
    size_t end = p.find('}', i);
    i = end == std::string_view::npos ? p.size() : end + 1;
  } else {
    ++i;
  }
  if (i < p.size() && p[i] == '?') ++i;
  return i;
}

// Does the quantifier at pattern[i] allow zero repetitions?
bool allowsZero(std::string_view p, size_t i) {
  if (p[i] == '*' || p[i] == '?') return true;
  if (p[i] == '+') return false;
  // {n}, {n,}, {n,m}: zero allowed when n is 0 (or unreadable: be safe).
  size_t j = i + 1;
  while (j < p.size() && p[j] == ' ') ++j;
  if (j >= p.size() || p[j] < '0' || p[j] > '9') return true;
  size_t n = 0;
  while (j < p.size() && p[j] >= '0' && p[j] <= '9' && n < 100000) n = n * 10 + (p[j++] - '0');
  return n == 0;
}

}  // namespace

std::string requiredLiteral(std::string_view p) {
  if (p.find('|') != std::string_view::npos || p.find("(?") != std::string_view::npos ||
      p.find("\\Q") != std::string_view::npos) {
    return "";
  }
  std::string best, run;
  auto endRun = [&] {
    if (run.size() > best.size()) best = run;
    run.clear();
  };
  size_t i = 0;
  while (i < p.size()) {
    char c = p[i];
    // One "atom": a literal character (possibly escaped), or something that is not literal.
    bool literal = false;
    char ch = 0;
    size_t next = i + 1;
    if (c == '\\') {
      if (i + 1 >= p.size()) return "";
      char e = p[i + 1];
      next = i + 2;
      if (isAsciiPunct(e)) {
        literal = true;
        ch = e;
      }
      // \d \w \b \x41 \pN \123 ... : not literal here (the bodies of \x.., \p{..} and octal
      // escapes are skipped, so their digits are not read as literals).
      if (!literal && e >= '0' && e <= '7') {
        while (next < p.size() && next < i + 4 && p[next] >= '0' && p[next] <= '7') ++next;
      } else if (!literal && (e == 'x' || e == 'p' || e == 'P')) {
        if (next < p.size() && p[next] == '{') {
          size_t end = p.find('}', next);
          if (end == std::string_view::npos) return "";
          next = end + 1;
        } else if (e == 'x') {
          next = std::min(p.size(), next + 2);
        } else {
          next = std::min(p.size(), next + 1);
        }
      }
    } else if (c == '[') {
      next = skipClass(p, i);
      if (next == std::string_view::npos) return "";
    } else if (c == '(') {
      next = skipGroup(p, i);
      if (next == std::string_view::npos) return "";
    } else if (c == '.' || c == '^' || c == '$' || c == ')' || isQuantifier(c)) {
      // not literal ('.', anchors; a stray ')' or quantifier is a syntax error RE2 reports)
    } else if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
      literal = true;
      ch = c;
    }
    bool quantified = next < p.size() && isQuantifier(p[next]);
    if (literal && !quantified) {
      run.push_back(ch);
    } else if (literal && !allowsZero(p, next)) {
      run.push_back(ch);  // x+ / x{2,}: one x is certain, then the run ends
      endRun();
    } else {
      endRun();
    }
    i = quantified ? skipQuantifier(p, next) : next;
  }
  endRun();
  return best.size() >= 2 ? best : "";
}

LiteralPattern literalPattern(std::string_view p) {
  LiteralPattern out;
  bool prefix = false;
  if (p.substr(0, 1) == "^") {
    prefix = true;
    p.remove_prefix(1);
  } else if (p.substr(0, 2) == ".*") {
    p.remove_prefix(p.substr(0, 3) == ".*?" ? 3 : 2);
  }
  if (p.size() >= 3 && p.substr(p.size() - 3) == ".*?") {
    p.remove_suffix(3);
  } else if (p.size() >= 2 && p.substr(p.size() - 2) == ".*") {
    p.remove_suffix(2);
  }
  // The dot of that ".*" was escaped (a\.* is "a" then any number of "."): not a literal.
  if (!p.empty() && p.back() == '\\') return out;
  std::string lit;
  for (size_t i = 0; i < p.size(); ++i) {
    char c = p[i];
    if (c == '\\') {
      if (i + 1 >= p.size() || !isAsciiPunct(p[i + 1])) return out;
      lit.push_back(p[++i]);
    } else if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f &&
               std::string_view(".^$|()[]{}*+?").find(c) == std::string_view::npos) {
      lit.push_back(c);
    } else {
      return out;
    }
  }
  if (lit.empty()) return out;
  out.kind = prefix ? LiteralPattern::Kind::kPrefix : LiteralPattern::Kind::kContains;
  out.literal = std::move(lit);
  return out;
}

}  // namespace shipgate::waf
