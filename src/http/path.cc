// Request-target splitting and path normalisation (policy in path.h).
#include "shipgate/http/path.h"

#include "shipgate/http/percent.h"

namespace shipgate::http {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

// Whether the path can be returned as it is: no escape, backslash, NUL, non-ASCII byte, and no
// separator followed by a separator, a dot or a ';'. One scan, the common case.
bool alreadyNormal(std::string_view p) {
  for (size_t i = 0; i < p.size(); ++i) {
    auto c = static_cast<unsigned char>(p[i]);
    if (c == '%' || c == '\\' || c == 0 || c >= 0x80) return false;
    if (c == '/' && i + 1 < p.size()) {
      char n = p[i + 1];
      if (n == '/' || n == '.' || n == ';' || n == '\\') return false;
    }
  }
  return true;
}

bool overlong(unsigned char prev, unsigned char b) {
  if (b == 0xC0 || b == 0xC1) return true;
  if (prev == 0xE0 && b >= 0x80 && b <= 0x9F) return true;
  return prev == 0xF0 && b >= 0x80 && b <= 0x8F;
}

}  // namespace

TargetParts splitTarget(std::string_view target) {
  if (!target.empty() && target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos && target.find('/') > scheme) {
      size_t start = target.find_first_of("/?#", scheme + 3);
      target = target.substr(start == std::string_view::npos ? target.size() : start);
    }
  }
  if (size_t hash = target.find('#'); hash != std::string_view::npos) {
    target = target.substr(0, hash);
  }
  TargetParts parts;
  size_t q = target.find('?');
  if (q == std::string_view::npos) {
    parts.path = target;
  } else {
    parts.path = target.substr(0, q);
    parts.query = target.substr(q + 1);
    parts.has_query = true;
  }
  return parts;
}

std::string_view pathErrorText(PathError e) {
  switch (e) {
    case PathError::kNone:
      return "";
    case PathError::kAboveRoot:
      return "path climbs above the root";
    case PathError::kEncodedSlash:
      return "encoded slash in path";
    case PathError::kNul:
      return "NUL in path";
    case PathError::kBadEscape:
      return "bad percent-escape in path";
    case PathError::kOverlongUtf8:
      return "overlong UTF-8 in path";
    case PathError::kDotParameter:
      return "dot segment with ';' parameters in path";
  }
  return "?";
}

NormalizedPath normalizePath(std::string_view in, std::string& scratch) {
  if (in.empty()) return {PathError::kNone, "/"};
  if (in[0] != '/' || alreadyNormal(in)) return {PathError::kNone, in};
  std::string& out = scratch;
  out.clear();
  out.reserve(in.size() + 1);
  out.push_back('/');
  // `out` is "/" followed by finished segments, each followed by '/'; the segment being decoded
  // is appended after it and then kept, dropped (".", "") or turned into a pop ("..").
  unsigned char prev = '/';
  size_t i = 1;
  while (true) {
    const size_t seg_start = out.size();
    for (; i < in.size() && in[i] != '/' && in[i] != '\\'; ++i) {
      auto c = static_cast<unsigned char>(in[i]);
      if (c == 0) return {PathError::kNul, {}};
      if (c == '%') {
        int hi = i + 1 < in.size() ? hexValue(in[i + 1]) : -1;
        int lo = i + 2 < in.size() ? hexValue(in[i + 2]) : -1;
        if (hi < 0 || lo < 0) return {PathError::kBadEscape, {}};
        c = static_cast<unsigned char>(hi * 16 + lo);
        if (c == '/' || c == '\\') return {PathError::kEncodedSlash, {}};
        if (c == 0) return {PathError::kNul, {}};
        if (isUnreserved(c)) {
          out.push_back(static_cast<char>(c));
        } else {
          out.push_back('%');
          out.push_back(kUpperHex[c >> 4]);
          out.push_back(kUpperHex[c & 15]);
        }
        i += 2;
      } else {
        out.push_back(static_cast<char>(c));
      }
      if (overlong(prev, c)) return {PathError::kOverlongUtf8, {}};
      prev = c;
    }
    prev = '/';
    const bool last = i >= in.size();
    std::string_view seg(out.data() + seg_start, out.size() - seg_start);
    if (size_t semi = seg.find(';'); semi != std::string_view::npos) {
      std::string_view name = seg.substr(0, semi);
      if (name.empty() || name == "." || name == "..") return {PathError::kDotParameter, {}};
    }
    if (seg == "..") {
      out.resize(seg_start);
      if (out.size() == 1) return {PathError::kAboveRoot, {}};
      out.resize(out.rfind('/', out.size() - 2) + 1);
    } else if (seg.empty() || seg == ".") {
      out.resize(seg_start);
    } else if (!last) {
      out.push_back('/');
    }
    if (last) break;
    ++i;  // the separator
  }
  if (out == in) return {PathError::kNone, in};
  return {PathError::kNone, out};
}

}  // namespace shipgate::http
