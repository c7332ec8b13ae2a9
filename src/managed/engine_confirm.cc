// Match confirmation for FP-prone CRS rules (see engine_confirm.h for the list and the logic).
#include "engine_confirm.h"

#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "shipgate/common/strings.h"

namespace shipgate::managed::confirm {
namespace {

bool isAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isWordChar(unsigned char c) { return isAlpha(c) || isDigit(c) || c == '_'; }

template <size_t N>
bool inList(std::string_view word, const std::array<std::string_view, N>& list) {
  for (std::string_view w : list)
    if (equalsIgnoreCase(word, w)) return true;
  return false;
}

// The statement keywords of 942360's leading-keyword branch (the first word of each).
constexpr std::array<std::string_view, 11> kLeadingKeywords = {
    "alter",  "union",  "update", "truncate", "rename", "insert",
    "select", "delete", "desc",   "load",     "create"};

// Words that, after a leading statement keyword, make the value read as SQL, not as prose.
constexpr std::array<std::string_view, 43> kSqlWords = {
    "select",       "union",     "insert",
    "update",       "delete",    "from",
    "where",        "into",      "values",
    "table",        "database",  "schema",
    "null",         "distinct",  "all",
    "concat",       "char",      "chr",
    "group_concat", "load_file", "information_schema",
    "sleep",        "benchmark", "limit",
    "having",       "join",      "version",
    "exec",         "execute",   "declare",
    "waitfor",      "drop",      "top",
    "like",         "regexp",    "xor",
    "case",         "when",      "outfile",
    "dumpfile",     "infile",    "set",
    "identified"};

// Characters that have a meaning in SQL and seldom appear in a street address or a sentence.
bool sqlPunctuation(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    switch (c) {
      case '\'':
      case '"':
      case '`':
      case ';':
      case '(':
      case ')':
      case '=':
      case '*':
      case '@':
      case '#':
      case '<':
      case '>':
      case '|':
      case '&':
      case '\\':
        return true;
      case '-':
        if (i + 1 < s.size() && s[i + 1] == '-') return true;
        break;
      case '/':
        if (i + 1 < s.size() && s[i + 1] == '*') return true;
        break;
      default:
        break;
    }
  }
  return false;
}

// The word (letters, digits, '_') starting at i.
std::string_view wordAt(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && isWordChar(static_cast<unsigned char>(s[j]))) ++j;
  return s.substr(i, j - i);
}

// Whether `tail` (what follows a shell command word) reads as English prose: three or more
// whitespace-separated words and nothing a shell would treat as syntax or a typical argument
// (path, option, dotted name, variable, redirection, glob, quote, grouping).
bool proseTail(std::string_view tail) {
  int words = 0;
  size_t i = 0;
  while (i < tail.size()) {
    while (i < tail.size() && isAsciiSpace(tail[i])) ++i;
    if (i >= tail.size()) break;
    size_t j = i;
    while (j < tail.size() && !isAsciiSpace(tail[j])) ++j;
    std::string_view tok = tail.substr(i, j - i);
    if (tok[0] == '-' || tok[0] == '+') return false;  // an option
    for (size_t k = 0; k < tok.size(); ++k) {
      unsigned char c = static_cast<unsigned char>(tok[k]);
      switch (c) {
        case '/':
        case '\\':
        case '|':
        case ';':
        case '&':
        case '$':
        case '<':
        case '>':
        case '`':
        case '*':
        case '=':
        case '~':
        case '{':
        case '}':
        case '(':
        case ')':
        case '\'':
        case '"':
        case '[':
        case ']':
        case '%':
        case '^':
        case '!':
        case '#':
        case '@':
          return false;
        case '.':
          // host.tld, file.ext, ../: a dot with a word character after it.
          if (k + 1 < tok.size() && tok[k + 1] != '.' &&
              (isWordChar(static_cast<unsigned char>(tok[k + 1])) || tok[k + 1] == '/'))
            return false;
          if (k + 1 < tok.size() && tok[k + 1] == '.') return false;
          break;
        default:
          if (c < 0x20 || c >= 0x7f) return false;  // control bytes, non-ASCII
          break;
      }
    }
    ++words;
    i = j;
  }
  return words >= 3;
}

}  // namespace

bool sqlStatement(std::string_view value, size_t pos, size_t len) {
  if (pos > value.size()) return true;
  len = std::min(len, value.size() - pos);
  std::string_view m = value.substr(pos, len);
  // The leading-keyword branch: a [\W\d]+ prefix anchored at the value's start, then a keyword.
  size_t k = 0;
  while (k < m.size() && !isAlpha(static_cast<unsigned char>(m[k])) && m[k] != '_') ++k;
  if (k == 0 || k >= m.size()) return true;  // another branch
  std::string_view keyword = wordAt(m, k);
  if (!inList(keyword, kLeadingKeywords)) return true;  // another branch (as ... from, ...)
  // The prefix runs from the value's start: anything else is a match the retry's substring made
  // up (the branch is anchored), not one of the rule's.
  std::string_view prefix = value.substr(0, pos + k);
  for (char c : prefix)
    if (isAlpha(static_cast<unsigned char>(c)) || c == '_') return false;
  if (sqlPunctuation(prefix)) return true;
  std::string_view rest = value.substr(pos + k + keyword.size());
  if (sqlPunctuation(rest)) return true;
  size_t i = 0;
  while (i < rest.size() && isAsciiSpace(rest[i])) ++i;
  if (i >= rest.size()) return true;  // the keyword ends the value: nothing to judge by
  if (isDigit(static_cast<unsigned char>(rest[i]))) return true;  // select 1,2 / union select 1
  // An SQL word anywhere after the keyword.
  while (i < rest.size()) {
    if (isWordChar(static_cast<unsigned char>(rest[i]))) {
      std::string_view w = wordAt(rest, i);
      if (inList(w, kSqlWords)) return true;
      i += w.size();
    } else {
      ++i;
    }
  }
  return false;
}

bool unixCommand(std::string_view value, size_t pos, size_t len) {
  if (pos > value.size()) return true;
  len = std::min(len, value.size() - pos);
  std::string_view m = value.substr(pos, len);
  // The rule is anchored at the value's start or after '='; a match elsewhere is one the retry's
  // substring made up.
  if (pos != 0 && (m.empty() || m[0] != '=')) return false;
  if (m.empty()) return true;
  // Quotes or backslashes inside the command word are shell evasion, not prose.
  for (char c : m)
    if (c == '\'' || c == '"' || c == '\\' || c == '$' || c == '{' || c == '(' || c == '/')
      return true;
  char end = m.back();
  if (end == ';' || end == '|' || end == '&' || end == '<' || end == '>') return true;
  return !proseTail(value.substr(pos + len));
}

bool shellSeparator(std::string_view value, size_t pos, size_t len) {
  (void)len;
  if (pos >= value.size() || value[pos] != '`') return true;
  // An old-style command substitution runs to the next backtick not preceded by a backslash
  // (POSIX: quotes do not end it); without one there is nothing the shell would run.
  size_t close = pos + 1;
  for (; close < value.size(); ++close) {
    if (value[close] == '\\')
      ++close;
    else if (value[close] == '`')
      break;
  }
  if (close >= value.size()) return false;
  // Its content must parse: a quote left open (the TeX-style `...' of a license text) is a
  // syntax error, and nothing runs. A comment (# at a word's start) ends the scan.
  enum { kPlain, kSingle, kDouble } state = kPlain;
  for (size_t i = pos + 1; i < close; ++i) {
    char c = value[i];
    if (state == kSingle) {
      if (c == '\'') state = kPlain;
    } else if (state == kDouble) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        state = kPlain;
    } else if (c == '\\') {
      ++i;
    } else if (c == '\'') {
      state = kSingle;
    } else if (c == '"') {
      state = kDouble;
    } else if (c == '#' && (i == pos + 1 || isAsciiSpace(value[i - 1]))) {
      break;
    }
  }
  return state == kPlain;
}

Fn forRule(int64_t id) {
  switch (id) {
    case 942360:
      return &sqlStatement;
    case 932150:
      return &unixCommand;
    case 932100:
    case 932115:
      return &shellSeparator;
    default:
      return nullptr;
  }
}

}  // namespace shipgate::managed::confirm
