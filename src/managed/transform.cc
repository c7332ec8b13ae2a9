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

namespace {

// The kinds of textTraits, one bit each.
enum : uint32_t {
  kUpper = 1U << 0,
  kLower = 1U << 1,
  kPercent = 1U << 2,
  kPlus = 1U << 3,
  kAmp = 1U << 4,
  kBackslash = 1U << 5,
  kSpace = 1U << 6,       // ' '
  kOtherSpace = 1U << 7,  // \t \n \v \f \r
  kNul = 1U << 8,
  kSlash = 1U << 9,
  kDot = 1U << 10,
  kStar = 1U << 11,
  kDash = 1U << 12,
  kHash = 1U << 13,
  kLess = 1U << 14,
  kHigh = 1U << 15,   // >= 0x80
  kQuote = 1U << 16,  // " '
  kCaret = 1U << 17,
  kComma = 1U << 18,
  kSemicolon = 1U << 19,
  kAllTraits = ~0U,
};

constexpr std::array<uint32_t, 256> kTraitOf = [] {
  std::array<uint32_t, 256> t{};
  for (unsigned c = 'A'; c <= 'Z'; ++c) t[c] = kUpper;
  for (unsigned c = 'a'; c <= 'z'; ++c) t[c] = kLower;
  for (unsigned c = 0x80; c < 0x100; ++c) t[c] = kHigh;
  t['%'] = kPercent;
  t['+'] = kPlus;
  t['&'] = kAmp;
  t['\\'] = kBackslash;
  t[' '] = kSpace;
  for (unsigned char c : {'\t', '\n', '\v', '\f', '\r'}) t[c] = kOtherSpace;
  t[0] = kNul;
  t['/'] = kSlash;
  t['.'] = kDot;
  t['*'] = kStar;
  t['-'] = kDash;
  t['#'] = kHash;
  t['<'] = kLess;
  t['"'] = kQuote;
  t['\''] = kQuote;
  t['^'] = kCaret;
  t[','] = kComma;
  t[';'] = kSemicolon;
  return t;
}();

// The kinds of byte without which `t` changes nothing (each transform's own fast path tests the
// same bytes: see transform_*.cc). kAllTraits: any text may change.
constexpr uint32_t changingTraits(Transform t) {
  switch (t) {
    case Transform::kNone:
      return 0;
    case Transform::kLowercase:
      return kUpper;
    case Transform::kUppercase:
      return kLower;
    case Transform::kUrlDecode:
    case Transform::kUrlDecodeUni:
      return kPercent | kPlus;
    case Transform::kHtmlEntityDecode:
      return kAmp;
    case Transform::kJsDecode:
    case Transform::kCssDecode:
      return kBackslash;
    case Transform::kCmdLine:  // '/' and '(' change only after whitespace, ',' or ';'
      return kUpper | kQuote | kBackslash | kCaret | kSpace | kOtherSpace | kComma | kSemicolon;
    case Transform::kCompressWhitespace:
    case Transform::kTrim:
    case Transform::kTrimLeft:
    case Transform::kTrimRight:
      return kSpace | kOtherSpace;
    case Transform::kRemoveWhitespace:  // also 0xA0 and 0xC2
      return kSpace | kOtherSpace | kHigh;
    case Transform::kRemoveNulls:
    case Transform::kReplaceNulls:
      return kNul;
    case Transform::kReplaceComments:
      return kSlash;
    case Transform::kRemoveComments:
      return kSlash | kLess | kDash | kHash;
    case Transform::kRemoveCommentsChar:
      return kSlash | kStar | kLess | kDash | kHash;
    case Transform::kNormalisePath:  // a "." or ".." segment, or an empty one
      return kSlash | kDot;
    case Transform::kNormalisePathWin:
      return kSlash | kDot | kBackslash;
    case Transform::kUtf8ToUnicode:
      return kHigh;
    default:
      return kAllTraits;
  }
}

}  // namespace

uint32_t textTraits(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  uint32_t a = 0, b = 0;
  size_t i = 0;
  for (; i + 2 <= n; i += 2) {  // two chains of ORs
    a |= kTraitOf[p[i]];
    b |= kTraitOf[p[i + 1]];
  }
  if (i < n) a |= kTraitOf[p[i]];
  return a | b;
}

bool mayChange(Transform t, uint32_t traits) {
  // kAllTraits holds for any text, an empty one too (length, md5 and base64Encode make something
  // of nothing).
  const uint32_t c = changingTraits(t);
  return c == kAllTraits || (traits & c) != 0;
}

namespace {

// Whether `literal` holds one of `bytes`.
bool holdsAny(std::string_view literal, std::string_view bytes) {
  return literal.find_first_of(bytes) != std::string_view::npos;
}

}  // namespace

uint32_t creatingTraits(Transform t, std::string_view literal) {
  constexpr uint32_t kSeparators = kSpace | kOtherSpace | kComma | kSemicolon;
  const bool lower = holdsAny(literal, "abcdefghijklmnopqrstuvwxyz");
  const bool whitespace = holdsAny(literal, " \t\n\v\f\r");
  switch (t) {
    case Transform::kLowercase:  // maps letters one to one
      return lower ? kUpper : uint32_t{0};
    case Transform::kUppercase:
      return holdsAny(literal, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ? kLower : uint32_t{0};
    case Transform::kUrlDecode:
    case Transform::kUrlDecodeUni:  // "%xx" makes any byte; '+' makes a space
      return kPercent | (whitespace ? kPlus : uint32_t{0});
    case Transform::kCmdLine:
      // Deleting \ " ' ^ joins their neighbours; a run of separators becomes one space, which
      // goes when '/' or '(' follows; letters are lowercased.
      return kQuote | kBackslash | kCaret | (lower ? kUpper : uint32_t{0}) |
             (whitespace || holdsAny(literal, "/(") ? kSeparators : uint32_t{0});
    case Transform::kCompressWhitespace:  // a run of whitespace becomes one space, never none
      return whitespace ? kSpace | kOtherSpace : uint32_t{0};
    case Transform::kReplaceNulls:
      return whitespace ? kNul : uint32_t{0};
    case Transform::kTrim:  // the output is part of the input
    case Transform::kTrimLeft:
    case Transform::kTrimRight:
      return 0;
    default:
      return changingTraits(t);
  }
}

uint32_t outputTraits(Transform t, uint32_t traits) {
  if (!mayChange(t, traits)) return traits;
  constexpr uint32_t kSeparators = kSpace | kOtherSpace | kComma | kSemicolon;
  switch (t) {
    case Transform::kLowercase:
      return (traits & ~kUpper) | kLower;
    case Transform::kUppercase:
      return (traits & ~kLower) | kUpper;
    case Transform::kUrlDecode:
    case Transform::kUrlDecodeUni:
      return (traits & kPercent) != 0 ? kAllTraits : (traits & ~kPlus) | kSpace;
    case Transform::kCmdLine:
      return (traits & ~(kUpper | kQuote | kBackslash | kCaret | kComma | kSemicolon)) |
             ((traits & kUpper) != 0 ? kLower : uint32_t{0}) |
             ((traits & kSeparators) != 0 ? kSpace : uint32_t{0});
    case Transform::kCompressWhitespace:
      return traits | kSpace;
    case Transform::kRemoveWhitespace:
      return traits & ~(kSpace | kOtherSpace);
    case Transform::kRemoveNulls:
      return traits & ~kNul;
    case Transform::kReplaceNulls:
      return (traits & ~kNul) | kSpace;
    case Transform::kTrim:
    case Transform::kTrimLeft:
    case Transform::kTrimRight:
    case Transform::kNormalisePath:  // only removes bytes
      return traits;
    case Transform::kUtf8ToUnicode:  // "%u" and lower-case hex digits
      return traits | kPercent | kLower;
    default:
      return kAllTraits;
  }
}

bool applyTransform(Transform t, std::string_view in, std::string& out) {
  if (transformChanged(t, in, out)) return true;
  out.assign(in.data(), in.size());
  return false;
}

}  // namespace shipgate::managed
