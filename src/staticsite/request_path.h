// Request-path normalisation for static sites: turns a raw, percent-encoded request path into a
// relative path below the site root, or says why it cannot be served. Pure string work, no I/O;
// the file system side (symlinks) is FileResolver's job. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

namespace shipgate::staticsite {

enum class PathVerdict {
  kOk,
  kBadRequest,  // 400: malformed percent-encoding, NUL, encoded '/' or '\', literal '\'
  kNotFound,    // 404: climbs above the root, hidden (dot) segment, too long
};

struct NormalizedPath {
  PathVerdict verdict = PathVerdict::kOk;
  // Segments joined with '/', no leading or trailing '/', never "." or ".." segments, never a
  // segment starting with '.' other than ".well-known"; "" means the root directory.
  std::string relative;
  bool trailing_slash = false;  // the request named a directory ("/docs/")
  // The last segment of the decoded path ("" for the root); used for relative redirects.
  std::string last_segment;
};

inline constexpr size_t kMaxRequestPathBytes = 4096;

// Decodes %XX exactly once, drops "" and "." segments, resolves ".." that stays inside the root and
// rejects ".." that would climb above it. The raw path must start with '/'; anything after a '?'
// or '#' is ignored.
NormalizedPath normalizeRequestPath(std::string_view raw);

}  // namespace shipgate::staticsite
