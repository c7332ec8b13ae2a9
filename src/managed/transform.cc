// The `t:` transformations: names, dispatch, and the simple byte-wise ones. The escape decoders
// are in transform_decode.cc, the encodings and hashes in transform_codec.cc, whitespace,
// comments and paths in transform_text.cc. Semantics follow libmodsecurity 3; where we differ
// on purpose (a quirk that would corrupt the value), the function's comment says so.
#include "shipgate/managed/transform.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "shipgate/common/strings.h"
#include "transform_impl.h"

namespace shipgate::managed {
namespace {

struct NameEntry {
  std::string_view name;
  Transform t;
};

// Canonical spelling first for each transform: transformName() returns the first match.
constexpr std::array<NameEntry, 39> kNames{{
    {"none", Transform::kNone},
    {"lowercase", Transform::kLowercase},
    {"uppercase", Transform::kUppercase},
    {"urlDecode", Transform::kUrlDecode},
    {"urlDecodeUni", Transform::kUrlDecodeUni},
    {"htmlEntityDecode", Transform::kHtmlEntityDecode},
    {"jsDecode", Transform::kJsDecode},
    {"cssDecode", Transform::kCssDecode},
    {"cmdLine", Transform::kCmdLine},
    {"compressWhitespace", Transform::kCompressWhitespace},
    {"removeWhitespace", Transform::kRemoveWhitespace},
    {"removeNulls", Transform::kRemoveNulls},
    {"replaceNulls", Transform::kReplaceNulls},
    {"replaceComments", Transform::kReplaceComments},
    {"removeComments", Transform::kRemoveComments},
    {"removeCommentsChar", Transform::kRemoveCommentsChar},
    {"normalisePath", Transform::kNormalisePath},
    {"normalisePathWin", Transform::kNormalisePathWin},
    {"utf8toUnicode", Transform::kUtf8ToUnicode},
    {"base64Decode", Transform::kBase64Decode},
    {"base64DecodeExt", Transform::kBase64DecodeExt},
    {"base64Encode", Transform::kBase64Encode},
    {"hexDecode", Transform::kHexDecode},
    {"hexEncode", Transform::kHexEncode},
    {"sqlHexDecode", Transform::kSqlHexDecode},
    {"escapeSeqDecode", Transform::kEscapeSeqDecode},
    {"urlEncode", Transform::kUrlEncode},
    {"trim", Transform::kTrim},
    {"trimLeft", Transform::kTrimLeft},
    {"trimRight", Transform::kTrimRight},
    {"length", Transform::kLength},
    {"md5", Transform::kMd5},
    {"sha1", Transform::kSha1},
    {"parityEven7bit", Transform::kParityEven7bit},
    {"parityOdd7bit", Transform::kParityOdd7bit},
    {"parityZero7bit", Transform::kParityZero7bit},
    // Other spellings the rule files use.
    {"normalizePath", Transform::kNormalisePath},
    {"normalizePathWin", Transform::kNormalisePathWin},
    {"utf8ToUnicode", Transform::kUtf8ToUnicode},
}};

// lowercase / uppercase: ASCII letters only (C locale tolower/toupper); other bytes unchanged.
// Eight bytes at a time: the 0x80 bit of each byte of caseMask(w) says whether that byte of w is
// in [lo, lo + 25]; xor-ing 0x20 into those bytes changes their case.
uint64_t caseMask(uint64_t w, char lo) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t low7 = w & ~kHigh;  // each byte < 0x80
  const uint64_t ge_lo = low7 + kOnes * (0x80 - static_cast<unsigned char>(lo));       // >= lo
  const uint64_t gt_hi = low7 + kOnes * (0x80 - static_cast<unsigned char>(lo) - 26);  // > lo+25
  return ge_lo & ~gt_hi & ~w & kHigh;
}

bool changeCase(std::string_view in, std::string& out, bool upper) {
  const char lo = upper ? 'a' : 'A';
  const size_t n = in.size();
  size_t first = 0;
  for (; first + 8 <= n; first += 8) {
    uint64_t w;
    std::memcpy(&w, in.data() + first, 8);
    if (caseMask(w, lo) != 0) break;
  }
  while (first < n && static_cast<unsigned char>(in[first] - lo) >= 26) ++first;
  if (first == n) return detail::unchanged();
  out.assign(in.data(), n);
  char* d = out.data();
  size_t i = first;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, d + i, 8);
    w ^= caseMask(w, lo) >> 2;  // 0x80 >> 2 == 0x20
    std::memcpy(d + i, &w, 8);
  }
  for (; i < n; ++i)
    if (static_cast<unsigned char>(d[i] - lo) < 26) d[i] = static_cast<char>(d[i] ^ 0x20);
  return true;
}

// removeNulls: every NUL byte dropped.
bool removeNulls(std::string_view in, std::string& out) {
  if (std::memchr(in.data(), 0, in.size()) == nullptr) return detail::unchanged();
  out.clear();
  out.reserve(in.size());
  for (char c : in) {
    if (c != '\0') out.push_back(c);
  }
  return true;
}

// replaceNulls: every NUL byte becomes a space.
bool replaceNulls(std::string_view in, std::string& out) {
  if (std::memchr(in.data(), 0, in.size()) == nullptr) return detail::unchanged();
  out.assign(in.data(), in.size());
  for (char& c : out) {
    if (c == '\0') c = ' ';
  }
  return true;
}

// trim / trimLeft / trimRight: C-locale whitespace (space \t \n \v \f \r) off the ends.
bool trim(std::string_view in, std::string& out, bool left, bool right) {
  size_t b = 0, e = in.size();
  if (left) {
    while (b < e && detail::isSpace(static_cast<unsigned char>(in[b]))) ++b;
  }
  if (right) {
    while (e > b && detail::isSpace(static_cast<unsigned char>(in[e - 1]))) --e;
  }
  out.assign(in.data() + b, e - b);
  return e - b != in.size();
}

// length: the byte length of the value, in decimal.
bool length(std::string_view in, std::string& out) {
  char buf[24];
  size_t n = in.size();
  int pos = sizeof(buf);
  do {
    buf[--pos] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n != 0);
  out.assign(buf + pos, sizeof(buf) - pos);
  return std::string_view(out) != in;
}

}  // namespace

std::optional<Transform> parseTransform(std::string_view name) {
  for (const NameEntry& e : kNames) {
    if (equalsIgnoreCase(e.name, name)) return e.t;
  }
  return std::nullopt;
}

std::string_view transformName(Transform t) {
  for (const NameEntry& e : kNames) {
    if (e.t == t) return e.name;
  }
  return "unknown";
}

bool transformChanged(Transform t, std::string_view in, std::string& out) {
  using namespace detail;
  switch (t) {
    case Transform::kNone:
      return unchanged();
    case Transform::kLowercase:
      return changeCase(in, out, false);
    case Transform::kUppercase:
      return changeCase(in, out, true);
    case Transform::kUrlDecode:
      return urlDecode(in, out);
    case Transform::kUrlDecodeUni:
      return urlDecodeUni(in, out);
    case Transform::kHtmlEntityDecode:
      return htmlEntityDecode(in, out);
    case Transform::kJsDecode:
      return jsDecode(in, out);
    case Transform::kCssDecode:
      return cssDecode(in, out);
    case Transform::kCmdLine:
      return cmdLine(in, out);
    case Transform::kCompressWhitespace:
      return compressWhitespace(in, out);
    case Transform::kRemoveWhitespace:
      return removeWhitespace(in, out);
    case Transform::kRemoveNulls:
      return removeNulls(in, out);
    case Transform::kReplaceNulls:
      return replaceNulls(in, out);
    case Transform::kReplaceComments:
      return replaceComments(in, out);
    case Transform::kRemoveComments:
      return removeComments(in, out);
    case Transform::kRemoveCommentsChar:
      return removeCommentsChar(in, out);
    case Transform::kNormalisePath:
      return normalisePath(in, out, false);
    case Transform::kNormalisePathWin:
      return normalisePath(in, out, true);
    case Transform::kUtf8ToUnicode:
      return utf8ToUnicode(in, out);
    case Transform::kBase64Decode:
      return base64Decode(in, out);
    case Transform::kBase64DecodeExt:
      return base64DecodeExt(in, out);
    case Transform::kBase64Encode:
      return base64Encode(in, out);
    case Transform::kHexDecode:
      return hexDecode(in, out);
    case Transform::kHexEncode:
      return hexEncode(in, out);
    case Transform::kSqlHexDecode:
      return sqlHexDecode(in, out);
    case Transform::kEscapeSeqDecode:
      return escapeSeqDecode(in, out);
    case Transform::kUrlEncode:
      return urlEncode(in, out);
    case Transform::kTrim:
      return trim(in, out, true, true);
    case Transform::kTrimLeft:
      return trim(in, out, true, false);
    case Transform::kTrimRight:
      return trim(in, out, false, true);
    case Transform::kLength:
      return length(in, out);
    case Transform::kMd5:
      return md5(in, out);
    case Transform::kSha1:
      return sha1(in, out);
    case Transform::kParityEven7bit:
      return parity7bit(in, out, 0);
    case Transform::kParityOdd7bit:
      return parity7bit(in, out, 1);
    case Transform::kParityZero7bit:
      return parity7bit(in, out, 2);
  }
  return unchanged();
}

bool applyTransform(Transform t, std::string_view in, std::string& out) {
  if (transformChanged(t, in, out)) return true;
  out.assign(in.data(), in.size());
  return false;
}

}  // namespace shipgate::managed
