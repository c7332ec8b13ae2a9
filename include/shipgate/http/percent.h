// Percent-decoding (RFC 3986 section 2.1) for every part of the HTTP text toolkit: paths, query
// arguments, cookie names and the WAF's url_decode. Pure functions, no state, thread-safe.
//
// A decode either succeeds or reports the first problem it met; the caller picks what counts as
// a problem with DecodeFlags:
//   kPlusAsSpace   '+' decodes to ' ' (application/x-www-form-urlencoded query components).
//   kStrict        a '%' not followed by two hex digits is an error (kBadEscape); without it the
//                  '%' and what follows are kept as they are (lenient, what browsers do).
//   kRejectSlash   %2F and %5C ('/' and '\') are errors (kEncodedSlash): in a path they would
//                  turn into separators for a server that decodes before splitting.
//   kRejectNul     %00 is an error (kNul).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace shipgate::http {

enum DecodeFlags : uint32_t {
  kDecodeLenient = 0,
  kPlusAsSpace = 1u << 0,
  kStrict = 1u << 1,
  kRejectSlash = 1u << 2,
  kRejectNul = 1u << 3,
};

enum class DecodeError : uint8_t { kNone, kBadEscape, kEncodedSlash, kNul };
// "bad percent-escape", "encoded slash", "encoded NUL" ("" for kNone).
std::string_view decodeErrorText(DecodeError e);

// 0..15 for a hex digit, -1 otherwise.
inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 unreserved: ALPHA / DIGIT / "-" / "." / "_" / "~".
inline bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Decodes `in` once into `out` (replaced). On an error `out` holds the text decoded so far.
DecodeError percentDecode(std::string_view in, std::string& out, uint32_t flags = kDecodeLenient);

// Whether percentDecode(in, ., flags) would change anything (a '%', or a '+' with kPlusAsSpace).
bool needsDecoding(std::string_view in, uint32_t flags = kDecodeLenient);

// `in` decoded (lenient; only kPlusAsSpace of `flags` applies) when it holds escapes, else `in` itself; the decoded text lives in
// `scratch`. For lookups that should not allocate in the common case.
std::string_view decodedView(std::string_view in, std::string& scratch,
                             uint32_t flags = kDecodeLenient);

}  // namespace shipgate::http
