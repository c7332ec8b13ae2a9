// Request paths to file names for static sites: http::normalizePath (the gateway's one path
// normalisation: the static site serves the path the router routed and the WAF inspected), then
// each segment percent-decoded once into a relative path below the site root, or why it cannot
// be served. Pure string work, no I/O;
// the file system side (symlinks) is FileResolver's job. Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>

namespace shipgate::staticsite {

enum class PathVerdict {
  kOk,
  kBadRequest,  // 400: any path http::normalizePath refuses (bad escape, NUL, encoded '/' or '\',
                //      overlong UTF-8, dot segment with ';' parameters), except...
  kNotFound,    // 404: ...climbing above the root; hidden (dot) segment; too long
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

// Normalises (http/path.h: '\' is a separator, "" and "." segments dropped, ".." resolved inside
// the root), then decodes %XX exactly once per segment. The path must start with '/'; anything
// after a '?' or '#' is ignored.
NormalizedPath normalizeRequestPath(std::string_view raw);

}  // namespace shipgate::staticsite
