// SecRule transformations (the `t:` action): the value a rule's operator sees is its variable's
// value passed through the rule's transformation chain, in order. Semantics follow ModSecurity
// v3's reference manual and libmodsecurity 3.0.9's behaviour (Debian's, against which
// tests/unit/managed/transform_modsec_diff_test.cc compares them); each transform's comment in
// src/managed/transform*.cc says what it does to edge cases and where it departs from 3.0.9 on
// purpose (3.0.9 cuts some results at a decoded NUL byte; we never do). Invalid escapes are kept
// as written unless that comment says otherwise.
//
// Cost: one pass over the input, no allocation beyond `out`'s buffer (reuse one `out` per chain
// step and it stops allocating), and a plain copy when the transform cannot change the value
// (urlDecode of a value without '%' or '+', lowercase of one without A-Z, ...).
// Pure functions, no state, thread-safe. The engine caches one transformed value per
// (value, chain), so a chain runs once per value per request however many rules share it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shipgate::managed {

enum class Transform : uint8_t {
  kNone,  // t:none: clears the chain inherited so far (SecDefaultAction's); never applied
  kLowercase,
  kUppercase,
  kUrlDecode,
  kUrlDecodeUni,
  kHtmlEntityDecode,
  kJsDecode,
  kCssDecode,
  kCmdLine,
  kCompressWhitespace,
  kRemoveWhitespace,
  kRemoveNulls,
  kReplaceNulls,
  kReplaceComments,
  kRemoveComments,
  kRemoveCommentsChar,
  kNormalisePath,     // also spelled normalizePath
  kNormalisePathWin,  // also spelled normalizePathWin
  kUtf8ToUnicode,
  kBase64Decode,
  kBase64DecodeExt,
  kBase64Encode,
  kHexDecode,
  kHexEncode,
  kSqlHexDecode,
  kEscapeSeqDecode,
  kUrlEncode,
  kTrim,
  kTrimLeft,
  kTrimRight,
  kLength,
  kMd5,
  kSha1,
  kParityEven7bit,
  kParityOdd7bit,
  kParityZero7bit,
};

// The transform for a `t:` name as the rule files spell it ("urlDecodeUni", "normalizePath"...).
// nullopt for an unknown name (the reader reports it at file:line).
std::optional<Transform> parseTransform(std::string_view name);
// The canonical spelling ("urlDecodeUni").
std::string_view transformName(Transform t);

// Applies `t` to `in`, writing the result to `out` (cleared first; `out` must not alias `in`).
// Returns true when the result differs from the input. kNone copies.
bool applyTransform(Transform t, std::string_view in, std::string& out);

// As applyTransform, without the copy when nothing changes: returns false with `out` holding
// anything (the result is `in`), true with the result in `out`. For callers that keep `in`.
bool transformChanged(Transform t, std::string_view in, std::string& out);

// The kinds of byte a text holds, one bit per kind (upper- and lower-case letters, '%', '+', '&',
// '\\', space, other whitespace, NUL, '/', '.', the comment characters, bytes >= 0x80, quotes...):
// read in one pass, so that a text that several transforms see is walked once, not once each.
uint32_t textTraits(std::string_view text);

// False when `t` leaves every text with these traits as it is (transformChanged returns false):
// each transform changes a text only where it holds one of its kinds of byte ("%" or "+" for
// urlDecodeUni, an upper-case letter for lowercase...). True when it may change it.
bool mayChange(Transform t, uint32_t traits);

// The kinds of byte without which `t` cannot turn a text that does not hold `literal` into one
// that does (lowercase makes "ab" only of a text with an upper-case letter; cmdLine makes ".." of
// ".^." by deleting the caret). ~0U: any text may become one that holds it (a decoder).
uint32_t creatingTraits(Transform t, std::string_view literal);
inline bool mayCreate(uint32_t creating, uint32_t traits) {
  return creating == ~0U || (traits & creating) != 0;
}

// The kinds of byte `t`'s output may hold, for an input whose textTraits are within `traits`: a
// superset of textTraits(output).
uint32_t outputTraits(Transform t, uint32_t traits);

}  // namespace shipgate::managed
