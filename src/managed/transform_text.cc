// Whitespace, comment, command-line and path transforms of the `t:` action.
#include <array>
#include <cstring>

#include "transform_impl.h"

namespace shipgate::managed::detail {
namespace {

using uchar = unsigned char;

}  // namespace

// cmdLine (the CRS's command-line normaliser): deletes \ " ' ^; replaces each run of space, tab,
// CR, LF, ',' and ';' with one space; deletes that space when it comes right before '/' or '(';
// lowercases ASCII letters. "C^md.exe /c  \"dir\"" -> "cmd.exe/c dir".
bool cmdLine(std::string_view in, std::string& out) {
  // Bytes cmdLine keeps as they are (not deleted, not a separator, '/', '(' or an upper-case
  // letter): a run of them is copied at once.
  static const std::array<bool, 256> kPlain = [] {
    std::array<bool, 256> plain{};
    for (size_t c = 0; c < 256; ++c) plain[c] = !(c >= 'A' && c <= 'Z');
    for (unsigned char c : std::string_view("\"'\\^ ,;\t\r\n/(")) plain[c] = false;
    return plain;
  }();
  const size_t n = in.size();
  size_t run = 0;
  while (run < n && kPlain[static_cast<uchar>(in[run])]) ++run;
  if (run == n) return unchanged();
  out.resize(n);
  char* d = out.data();
  char* const start = d;
  std::memcpy(d, in.data(), run);
  d += run;
  bool space = false;
  for (char c : in.substr(run)) {
    switch (c) {
      case '"':
      case '\'':
      case '\\':
      case '^':
        break;
      case ' ':
      case ',':
      case ';':
      case '\t':
      case '\r':
      case '\n':
        if (!space) {
          *d++ = ' ';
          space = true;
        }
        break;
      case '/':
      case '(':
        if (space && d > start) --d;
        space = false;
        *d++ = c;
        break;
      default:
        *d++ = asciiLower(c);
        space = false;
        break;
    }
  }
  out.resize(static_cast<size_t>(d - start));
  return std::string_view(out) != in;
}

// compressWhitespace: each run of C-locale whitespace (space \t \n \v \f \r) becomes one space.
bool compressWhitespace(std::string_view in, std::string& out) {
  // The first byte that changes: whitespace other than a space, or a space before whitespace.
  // The bytes before it are copied at once (they end in no whitespace).
  const size_t n = in.size();
  size_t first = 0;
  for (; first < n; ++first) {
    const auto c = static_cast<uchar>(in[first]);
    if (isSpace(c) && (c != ' ' || (first + 1 < n && isSpace(static_cast<uchar>(in[first + 1])))))
      break;
  }
  if (first == n) return unchanged();
  out.resize(n);
  std::memcpy(out.data(), in.data(), first);
  char* d = out.data() + first;
  bool inSpace = false;
  for (char c : in.substr(first)) {
    if (isSpace(static_cast<uchar>(c))) {
      if (!inSpace) *d++ = ' ';
      inSpace = true;
    } else {
      *d++ = c;
      inSpace = false;
    }
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return std::string_view(out) != in;
}

// removeWhitespace: deletes C-locale whitespace and, as libmodsecurity 3 does, the bytes 0xA0 and
// 0xC2 (a no-break space in Latin-1 and UTF-8).
bool removeWhitespace(std::string_view in, std::string& out) {
  out.resize(in.size());
  char* d = out.data();
  for (char c : in) {
    auto u = static_cast<uchar>(c);
    if (!isSpace(u) && u != 0xA0 && u != 0xC2) *d++ = c;
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return out.size() != in.size();
}

// replaceComments: each C comment /* ... */ becomes one space; an unterminated one runs to the
// end of the value and also becomes one space. A lone "*/" is kept.
bool replaceComments(std::string_view in, std::string& out) {
  size_t open = in.find("/*");
  if (open == std::string_view::npos) return unchanged();
  out.resize(in.size());
  char* d = out.data();
  std::memcpy(d, in.data(), open);
  d += open;
  size_t i = open;
  const size_t n = in.size();
  while (i < n) {
    if (in[i] == '/' && i + 1 < n && in[i + 1] == '*') {
      size_t close = in.find("*/", i + 2);
      *d++ = ' ';
      if (close == std::string_view::npos) break;
      i = close + 2;
    } else {
      *d++ = in[i++];
    }
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return true;
}

// removeComments: deletes C comments /* ... */ and HTML comments <!-- ... --> (either closer ends
// either kind, as in libmodsecurity 3); an unterminated comment runs to the end and leaves one
// space. "--" and "#" start a comment to the end of the value, which is dropped with them
// ("1 or 1=1-- x" -> "1 or 1=1").
bool removeComments(std::string_view in, std::string& out) {
  if (!containsAnyOf(in, "/<-#")) return unchanged();
  const size_t n = in.size();
  out.resize(n);
  char* d = out.data();
  bool inComment = false;
  size_t i = 0;
  while (i < n) {
    char c = in[i];
    if (!inComment) {
      if (c == '/' && i + 1 < n && in[i + 1] == '*') {
        inComment = true;
        i += 2;
      } else if (c == '<' && i + 3 < n && in[i + 1] == '!' && in[i + 2] == '-' &&
                 in[i + 3] == '-') {
        inComment = true;
        i += 4;
      } else if ((c == '-' && i + 1 < n && in[i + 1] == '-') || c == '#') {
        break;
      } else {
        *d++ = c;
        ++i;
      }
    } else if (c == '*' && i + 1 < n && in[i + 1] == '/') {
      inComment = false;
      i += 2;
    } else if (c == '-' && i + 2 < n && in[i + 1] == '-' && in[i + 2] == '>') {
      inComment = false;
      i += 3;
    } else {
      ++i;
    }
  }
  if (inComment) *d++ = ' ';
  out.resize(static_cast<size_t>(d - out.data()));
  return std::string_view(out) != in;
}

// removeCommentsChar: deletes the comment markers themselves — "/*", "*/", "<!--", "-->", "--"
// and "#" — keeping what is between them.
bool removeCommentsChar(std::string_view in, std::string& out) {
  if (!containsAnyOf(in, "/*<-#")) return unchanged();
  const size_t n = in.size();
  out.resize(n);
  char* d = out.data();
  size_t i = 0;
  while (i < n) {
    char c = in[i];
    char c1 = i + 1 < n ? in[i + 1] : '\0';
    if ((c == '/' && c1 == '*') || (c == '*' && c1 == '/')) {
      i += 2;
    } else if (c == '<' && c1 == '!' && i + 3 < n && in[i + 2] == '-' && in[i + 3] == '-') {
      i += 4;
    } else if (c == '-' && c1 == '-') {
      i += (i + 2 < n && in[i + 2] == '>') ? 3 : 2;
    } else if (c == '#') {
      i += 1;
    } else {
      *d++ = c;
      ++i;
    }
  }
  out.resize(static_cast<size_t>(d - out.data()));
  return out.size() != n;
}

namespace {

// Whether normalisePath would return `in` unchanged: no '\\' (Windows), no empty segment but a
// leading or trailing one (the root, a trailing '/'), no "." or ".." segment. "/api/v1/users"
// and "index.html" are; most request paths are.
bool alreadyNormal(std::string_view in, bool windows) {
  const size_t n = in.size();
  size_t start = 0;
  for (size_t i = 0; i <= n; ++i) {
    if (i < n && in[i] != '/') {
      if (windows && in[i] == '\\') return false;
      continue;
    }
    const size_t len = i - start;
    if (len == 0 && start != 0 && i != n) return false;  // "//"
    if (len == 1 && in[start] == '.') return false;
    if (len == 2 && in[start] == '.' && in[start + 1] == '.') return false;
    if (len == 0 && start == 0 && n == 1) return true;  // "/"
    start = i + 1;
  }
  return true;
}

}  // namespace

// normalisePath: collapses runs of '/', drops "." segments, and lets ".." remove the segment
// before it. An absolute path never climbs above its root ("/../a" -> "/a"); a relative one keeps
// the ".." it cannot resolve ("a/../../b" -> "../b"). A trailing '/' is kept only when the input
// had one. normalisePathWin first reads every '\' as '/' (the output uses '/').
// (libmodsecurity 3 also treats a segment merely ending in ".." as a back-reference; we do not.)
bool normalisePath(std::string_view in, std::string& out, bool windows) {
  auto isSep = [windows](char c) { return c == '/' || (windows && c == '\\'); };
  const size_t n = in.size();
  out.clear();
  if (n == 0) return false;
  if (alreadyNormal(in, windows)) return unchanged();
  out.reserve(n);
  const bool absolute = isSep(in[0]);
  const bool trailing = isSep(in[n - 1]);
  if (absolute) out.push_back('/');
  size_t base = out.size();  // out[0, base) is never removed: the root or leading ".." segments
  size_t depth = 0;          // segments after base that a ".." may remove
  size_t i = 0;
  while (i < n) {
    while (i < n && isSep(in[i])) ++i;
    size_t j = i;
    while (j < n && !isSep(in[j])) ++j;
    std::string_view seg = in.substr(i, j - i);
    i = j;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (depth > 0) {
        size_t slash = out.rfind('/');
        out.resize(slash == std::string::npos || slash < base ? base : slash);
        --depth;
      } else if (!absolute) {
        if (!out.empty()) out.push_back('/');
        out.append("..");
        base = out.size();
      }
      continue;
    }
    if (!out.empty() && out.back() != '/') out.push_back('/');
    out.append(seg);
    ++depth;
  }
  if (trailing && !out.empty() && out.back() != '/') out.push_back('/');
  return std::string_view(out) != in;
}

}  // namespace shipgate::managed::detail
