#include "staticsite/request_path.h"

namespace shipgate::staticsite {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

NormalizedPath fail(PathVerdict v) {
  NormalizedPath out;
  out.verdict = v;
  return out;
}

}  // namespace

NormalizedPath normalizeRequestPath(std::string_view raw) {
  if (size_t cut = raw.find_first_of("?#"); cut != std::string_view::npos) raw = raw.substr(0, cut);
  if (raw.empty() || raw.front() != '/') return fail(PathVerdict::kBadRequest);
  if (raw.size() > kMaxRequestPathBytes) return fail(PathVerdict::kNotFound);

  // Split on literal '/' first, then decode each segment once, so that an encoded slash can never
  // become a separator (it is rejected outright anyway). Segments are appended to out.relative
  // directly; ".." truncates it back to the previous separator.
  NormalizedPath out;
  out.relative.reserve(raw.size());
  std::string decoded;
  size_t pos = 1;
  while (true) {
    size_t end = raw.find('/', pos);
    const bool is_last = end == std::string_view::npos;
    std::string_view seg = raw.substr(pos, is_last ? raw.size() - pos : end - pos);
    decoded.clear();
    for (size_t i = 0; i < seg.size(); ++i) {
      char c = seg[i];
      if (c == '%') {
        if (i + 2 >= seg.size()) return fail(PathVerdict::kBadRequest);
        int hi = hexValue(seg[i + 1]);
        int lo = hexValue(seg[i + 2]);
        if (hi < 0 || lo < 0) return fail(PathVerdict::kBadRequest);
        c = static_cast<char>(hi * 16 + lo);
        if (c == '/' || c == '\\') return fail(PathVerdict::kBadRequest);
        i += 2;
      } else if (c == '\\') {
        return fail(PathVerdict::kBadRequest);
      }
      if (c == '\0') return fail(PathVerdict::kBadRequest);
      decoded.push_back(c);
    }
    if (decoded.empty() || decoded == ".") {
      if (is_last) out.trailing_slash = true;
    } else if (decoded == "..") {
      if (out.relative.empty()) return fail(PathVerdict::kNotFound);
      size_t slash = out.relative.rfind('/');
      out.relative.resize(slash == std::string::npos ? 0 : slash);
      if (is_last) out.trailing_slash = true;
    } else if (decoded.front() == '.' && decoded != ".well-known") {
      return fail(PathVerdict::kNotFound);
    } else {
      if (!out.relative.empty()) out.relative.push_back('/');
      out.relative += decoded;
      out.trailing_slash = false;
    }
    if (is_last) break;
    pos = end + 1;
  }
  size_t slash = out.relative.rfind('/');
  out.last_segment = slash == std::string::npos ? out.relative : out.relative.substr(slash + 1);
  return out;
}

}  // namespace shipgate::staticsite
