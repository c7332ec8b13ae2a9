#include "staticsite/request_path.h"

#include <vector>

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
  // become a separator (it is rejected outright anyway).
  std::vector<std::string> segments;
  std::string last;
  bool trailing_slash = false;
  size_t pos = 1;
  while (true) {
    size_t end = raw.find('/', pos);
    std::string_view seg = raw.substr(pos, end == std::string_view::npos ? raw.size() - pos
                                                                         : end - pos);
    std::string decoded;
    decoded.reserve(seg.size());
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
    bool is_last = end == std::string_view::npos;
    if (decoded.empty() || decoded == ".") {
      if (is_last) trailing_slash = true;
    } else if (decoded == "..") {
      if (segments.empty()) return fail(PathVerdict::kNotFound);
      segments.pop_back();
      if (is_last) trailing_slash = true;
    } else if (decoded.front() == '.' && decoded != ".well-known") {
      return fail(PathVerdict::kNotFound);
    } else {
      segments.push_back(std::move(decoded));
      trailing_slash = false;
    }
    if (is_last) break;
    pos = end + 1;
  }

  NormalizedPath out;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i) out.relative.push_back('/');
    out.relative += segments[i];
  }
  out.trailing_slash = trailing_slash;
  out.last_segment = segments.empty() ? std::string() : segments.back();
  return out;
}

}  // namespace shipgate::staticsite
