// Static-site file names from request paths, on top of the http toolkit's path normalisation.
#include "staticsite/request_path.h"

#include "shipgate/http/path.h"
#include "shipgate/http/percent.h"

namespace shipgate::staticsite {
namespace {

NormalizedPath fail(PathVerdict v) {
  NormalizedPath out;
  out.verdict = v;
  return out;
}

}  // namespace

NormalizedPath normalizeRequestPath(std::string_view raw) {
  raw = http::splitTarget(raw).path;
  if (raw.empty() || raw.front() != '/') return fail(PathVerdict::kBadRequest);
  if (raw.size() > kMaxRequestPathBytes) return fail(PathVerdict::kNotFound);
  std::string scratch;
  http::NormalizedPath normal = http::normalizePath(raw, scratch);
  if (!normal.ok()) {
    return fail(normal.error == http::PathError::kAboveRoot ? PathVerdict::kNotFound
                                                            : PathVerdict::kBadRequest);
  }
  // `normal.path` is "/" or "/seg/.../seg" with an optional trailing '/', no dot segments and no
  // "//"; each segment still holds the escapes of reserved characters, decoded once here.
  std::string_view path = normal.path.substr(1);
  NormalizedPath out;
  out.trailing_slash = path.empty() || path.back() == '/';
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.relative.reserve(path.size());
  std::string decoded;
  while (!path.empty()) {
    size_t slash = path.find('/');
    std::string_view seg = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (http::percentDecode(seg, decoded, http::kStrict | http::kRejectSlash | http::kRejectNul) !=
        http::DecodeError::kNone) {
      return fail(PathVerdict::kBadRequest);
    }
    if (decoded.front() == '.' && decoded != ".well-known") return fail(PathVerdict::kNotFound);
    if (!out.relative.empty()) out.relative.push_back('/');
    out.relative += decoded;
  }
  size_t slash = out.relative.rfind('/');
  out.last_segment = slash == std::string::npos ? out.relative : out.relative.substr(slash + 1);
  return out;
}

}  // namespace shipgate::staticsite
