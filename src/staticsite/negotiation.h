// Parsers for the request headers a static response negotiates on: If-None-Match / If-Range entity
// tags, a single byte Range, and Accept-Encoding with q-values. They take untrusted header values
// and never fail loudly: malformed input means "header absent" where RFC 9110 allows it.
// Pure functions, thread-safe.
#pragma once

#include <sys/types.h>

#include <string_view>

namespace shipgate::staticsite {

// True when the If-None-Match value ("*" or a comma list of entity tags) matches etag using the
// weak comparison (W/ prefixes ignored). etag is a quoted strong tag such as "\"abc\"".
bool ifNoneMatchMatches(std::string_view if_none_match, std::string_view etag);

// True when an If-Range entity tag strongly matches etag (a weak tag never matches).
bool ifRangeEtagMatches(std::string_view if_range, std::string_view etag);

struct ByteRange {
  enum class Kind {
    kNone,           // no usable Range header (absent, not "bytes=", malformed, or several ranges)
    kSatisfiable,    // serve [first, first + length)
    kUnsatisfiable,  // 416 with "Content-Range: bytes */size"
  };
  Kind kind = Kind::kNone;
  off_t first = 0;
  off_t length = 0;
};

// Parses "bytes=a-b", "bytes=a-" or "bytes=-n" against a representation of `size` bytes.
ByteRange parseRange(std::string_view range, off_t size);

enum class Encoding { kIdentity, kGzip, kBrotli };

// Picks the representation to send among those available: the highest q-value wins, ties prefer
// br, then gzip, then identity. An absent or empty header means identity. Identity is the answer
// when nothing acceptable is available (identity;q=0 is not enforced with a 406).
Encoding chooseEncoding(std::string_view accept_encoding, bool have_br, bool have_gzip);

}  // namespace shipgate::staticsite
