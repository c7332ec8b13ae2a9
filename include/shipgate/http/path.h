// Request paths: splitting a request-target and normalising its path. This is the one place
// shipgate decides what a request's path is; the router, the WAF fields, the firewall's rate-limit
// keys, static sites and the request line sent upstream all use the result (see README "Paths").
//
// normalizePath() policy, in the spirit of Envoy's normalize_path + merge_slashes +
// path_with_escaped_slashes_action=REJECT_REQUEST:
//   - percent-escapes of unreserved characters (ALPHA DIGIT - . _ ~) are decoded ("%7E" -> "~",
//     "%2e" -> "."); every other escape is kept, its hex digits upper-cased ("%3b" -> "%3B").
//     Decoding is done once: "%252e" stays "%252e".
//   - '\' is a separator, like '/' (as Windows servers and browsers treat it); "//" runs merge.
//   - dot segments are removed per RFC 3986 section 5.2.4, plain or encoded ("/a/%2E%2E/b" ->
//     "/b"); a ".." that would climb above the root is an error (kAboveRoot), not clamped.
//   - a path that ends in a dot segment or a separator keeps one trailing '/'.
//   - errors (the gateway answers 400): %2F or %5C (kEncodedSlash), %00 or a NUL byte (kNul),
//     '%' without two hex digits (kBadEscape), an overlong UTF-8 sequence, raw or encoded
//     (C0/C1 leads, E0 80-9F, F0 80-8F: "%C0%AE" is an overlong '.') (kOverlongUtf8), and a
//     segment that is ".", ".." or empty before a ';' parameter (".;x", "..;x", ";x"), which
//     servers disagree about (Tomcat reads "..;x" as "..") (kDotParameter). Other ';' parameters
//     are kept as they are: "/a;v=1/b" is routed, inspected and forwarded as "/a;v=1/b".
//   - the query is not part of the path and is never changed.
// The result is idempotent: normalizePath(normalizePath(p)) == normalizePath(p).
//
// Hand-written rather than uriparser's uriNormalizeSyntax: it runs on every request, returns a
// view of its input when nothing changes (the common case, one scan and no allocation), reuses
// the caller's buffer otherwise, and needs the error cases above, which RFC 3986 does not reject.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shipgate::http {

// A request-target split into its parts (views into the target). Origin-form "/p?q" gives
// path "/p"; absolute-form "http://h/p?q" gives path "/p" (or "" when it has none);
// asterisk-form "*" and authority-form "host:443" are their own path. A fragment is dropped.
struct TargetParts {
  std::string_view path;
  std::string_view query;   // without the '?'
  bool has_query = false;   // "/p?" has an empty query
};
TargetParts splitTarget(std::string_view target);

enum class PathError : uint8_t {
  kNone,
  kAboveRoot,
  kEncodedSlash,
  kNul,
  kBadEscape,
  kOverlongUtf8,
  kDotParameter,
};
// A short phrase for logs and 400 bodies ("path climbs above the root", ...); "" for kNone.
std::string_view pathErrorText(PathError e);

struct NormalizedPath {
  PathError error = PathError::kNone;
  // On success: `path` itself when it needed no change, else a view of the caller's scratch.
  std::string_view path;
  bool ok() const { return error == PathError::kNone; }
};

// Normalises a path that starts with '/' (see the policy above). The empty path (absolute-form
// "http://h?q") is "/"; any other path that does not start with '/' ("*", "host:443") is
// returned unchanged. `scratch` is overwritten when a change is
// needed; the result may point into it, so it must outlive the result.
NormalizedPath normalizePath(std::string_view path, std::string& scratch);

}  // namespace shipgate::http
