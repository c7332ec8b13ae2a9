// Private to the transformations (transform*.cc; operators.cc reads its byte classes): one
// function per Transform. Each writes its result into `out` (replaced; never aliases `in`) and
// returns whether the result differs from `in`. Every one is a single pass over `in` and allocates
// nothing beyond `out`'s buffer.
#pragma once

#include <cstring>
#include <string>
#include <string_view>

#include "shipgate/common/strings.h"

namespace shipgate::managed::detail {

// Bytes C's isspace() accepts in the C locale: space, \t, \n, \v, \f, \r.
inline bool isSpace(unsigned char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
inline bool isHex(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}
inline unsigned hexVal(unsigned char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
inline unsigned char hexByte(unsigned char hi, unsigned char lo) {
  return static_cast<unsigned char>((hexVal(hi) << 4) | hexVal(lo));
}
inline bool isOctal(unsigned char c) { return c >= '0' && c <= '7'; }

// Whether `in` holds any of the bytes of `set` (a short literal). Not string_view's
// find_first_of, which calls memchr on the set once per input byte.
template <size_t N>
inline bool containsAnyOf(std::string_view in, const char (&set)[N]) {
  // One memchr per byte of the set: each scans 32 bytes a step, where a loop over the input
  // comparing every byte with every member costs a few instructions a byte.
  if (in.empty()) return false;
  for (size_t k = 0; k + 1 < N; ++k) {
    if (std::memchr(in.data(), set[k], in.size()) != nullptr) return true;
  }
  return false;
}

// The "nothing to do" fast path: returns false without writing `out` (the result is the
// input; applyTransform copies it, transformChanged's caller keeps the input instead).
inline bool unchanged() { return false; }

// transform_decode.cc: the escape decoders.
bool urlDecode(std::string_view in, std::string& out);
bool urlDecodeUni(std::string_view in, std::string& out);
bool htmlEntityDecode(std::string_view in, std::string& out);
bool jsDecode(std::string_view in, std::string& out);
bool cssDecode(std::string_view in, std::string& out);
bool escapeSeqDecode(std::string_view in, std::string& out);
bool sqlHexDecode(std::string_view in, std::string& out);

// transform_codec.cc: encodings, hashes and the bit-level transforms.
bool base64Decode(std::string_view in, std::string& out);
bool base64DecodeExt(std::string_view in, std::string& out);
bool base64Encode(std::string_view in, std::string& out);
bool hexDecode(std::string_view in, std::string& out);
bool hexEncode(std::string_view in, std::string& out);
bool urlEncode(std::string_view in, std::string& out);
bool utf8ToUnicode(std::string_view in, std::string& out);
bool md5(std::string_view in, std::string& out);
bool sha1(std::string_view in, std::string& out);
bool parity7bit(std::string_view in, std::string& out, int mode);  // 0 even, 1 odd, 2 zero

// transform_text.cc: whitespace, comments, command lines and paths.
bool cmdLine(std::string_view in, std::string& out);
bool compressWhitespace(std::string_view in, std::string& out);
bool removeWhitespace(std::string_view in, std::string& out);
bool replaceComments(std::string_view in, std::string& out);
bool removeComments(std::string_view in, std::string& out);
bool removeCommentsChar(std::string_view in, std::string& out);
bool normalisePath(std::string_view in, std::string& out, bool windows);

}  // namespace shipgate::managed::detail
