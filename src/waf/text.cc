// String helpers and the opt-in normalisers.
#include "text.h"

#include <array>
#include <vector>

#include "shipgate/http/percent.h"
#include "shipgate/waf/filter.h"

namespace shipgate::waf {

namespace {

using http::hexValue;

void appendUtf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

constexpr uint8_t kEscapeByte = 1, kSlashByte = 2, kUpperByte = 4, kSpaceByte = 8;
constexpr std::array<uint8_t, 256> makeByteFlags() {
  std::array<uint8_t, 256> t{};
  t['%'] = t['+'] = kEscapeByte;
  t['/'] = kSlashByte;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = kUpperByte;
  for (char c : {' ', '\t', '\n', '\r', '\v', '\f'}) t[static_cast<unsigned char>(c)] = kSpaceByte;
  return t;
}
constexpr std::array<uint8_t, 256> kByteFlags = makeByteFlags();

}  // namespace

void urlDecodeOnce(std::string_view in, bool plus_as_space, bool unicode, std::string& out) {
  if (!unicode) {
    (void)http::percentDecode(in, out, plus_as_space ? http::kPlusAsSpace : http::kDecodeLenient);
    return;
  }
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+' && plus_as_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < in.size() && hexValue(in[i + 1]) >= 0 &&
               hexValue(in[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2])));
      i += 2;
    } else if (c == '%' && unicode && i + 5 < in.size() && (in[i + 1] == 'u' || in[i + 1] == 'U') &&
               hexValue(in[i + 2]) >= 0 && hexValue(in[i + 3]) >= 0 && hexValue(in[i + 4]) >= 0 &&
               hexValue(in[i + 5]) >= 0) {
      uint32_t cp = 0;
      for (int k = 2; k <= 5; ++k) cp = cp * 16 + static_cast<uint32_t>(hexValue(in[i + k]));
      appendUtf8(cp, out);
      i += 5;
    } else {
      out.push_back(c);
    }
  }
}

void urlDecodeRecursive(std::string_view in, bool plus_as_space, bool unicode, std::string& out) {
  urlDecodeOnce(in, plus_as_space, unicode, out);
  std::string next;
  for (int pass = 1; pass < 8; ++pass) {
    if (out.find('%') == std::string::npos) return;
    urlDecodeOnce(out, false, unicode, next);
    if (next == out) return;
    out.swap(next);
  }
}

std::optional<Normalizer> parseNormalizer(std::string_view name) {
  if (name == "url_decode") return Normalizer::kUrlDecode;
  if (name == "strip_comments") return Normalizer::kStripComments;
  if (name == "compress_whitespace") return Normalizer::kCompressWhitespace;
  if (name == "lower") return Normalizer::kLower;
  return std::nullopt;
}

std::string_view normalizerName(Normalizer n) {
  switch (n) {
    case Normalizer::kUrlDecode:
      return "url_decode";
    case Normalizer::kStripComments:
      return "strip_comments";
    case Normalizer::kCompressWhitespace:
      return "compress_whitespace";
    case Normalizer::kLower:
      return "lower";
  }
  return "?";
}

uint32_t normalizerMask(const std::vector<Normalizer>& list) {
  uint32_t mask = 0;
  for (Normalizer n : list) mask |= static_cast<uint32_t>(n);
  return mask;
}

std::string_view normalizeText(std::string_view in, uint32_t mask, std::string& scratch) {
  // One branch-free classification pass, so that the common case (nothing to change) costs
  // one table lookup per byte; the rarer pair checks ("/*", whitespace runs) run only when
  // their first byte occurs.
  uint8_t seen = 0;
  for (char c : in) seen |= kByteFlags[static_cast<unsigned char>(c)];
  const bool has_escape = seen & kEscapeByte;
  const bool has_upper = seen & kUpperByte;
  const bool has_comment = (seen & kSlashByte) && in.find("/*") != std::string_view::npos;
  bool has_space_run = false;
  if (seen & kSpaceByte) {
    for (size_t i = 0; i < in.size() && !has_space_run; ++i) {
      has_space_run = isSpace(in[i]) && (in[i] != ' ' || (i + 1 < in.size() && isSpace(in[i + 1])));
    }
  }
  const bool decode = (mask & static_cast<uint32_t>(Normalizer::kUrlDecode)) && has_escape;
  const bool strip = mask & static_cast<uint32_t>(Normalizer::kStripComments);
  const bool compress = mask & static_cast<uint32_t>(Normalizer::kCompressWhitespace);
  const bool lower = mask & static_cast<uint32_t>(Normalizer::kLower);
  // Decoding can create comments, spaces and capitals, so after it every later step runs.
  if (!decode && !(strip && has_comment) && !(compress && has_space_run) && !(lower && has_upper)) {
    return in;
  }
  std::string_view cur = in;
  std::string tmp;
  if (decode) {
    urlDecodeRecursive(cur, true, true, tmp);
    scratch.swap(tmp);
    cur = scratch;
  }
  if (strip && (decode || has_comment) && cur.find("/*") != std::string_view::npos) {
    tmp.clear();
    for (size_t i = 0; i < cur.size(); ++i) {
      if (cur[i] == '/' && i + 1 < cur.size() && cur[i + 1] == '*') {
        size_t end = cur.find("*/", i + 2);
        tmp.push_back(' ');
        if (end == std::string_view::npos) break;  // unterminated: drop the rest
        i = end + 1;
      } else {
        tmp.push_back(cur[i]);
      }
    }
    scratch.swap(tmp);
    cur = scratch;
  }
  if (compress && (decode || strip || has_space_run)) {
    tmp.clear();
    bool changed = false;
    for (char c : cur) {
      if (isSpace(c)) {
        if (tmp.empty() || tmp.back() != ' ') {
          changed |= c != ' ';
          tmp.push_back(' ');
        } else {
          changed = true;
        }
      } else {
        tmp.push_back(c);
      }
    }
    if (changed) {
      scratch.swap(tmp);
      cur = scratch;
    }
  }
  if (lower && (decode || has_upper)) {
    if (cur.data() != scratch.data()) scratch.assign(cur);
    for (char& c : scratch) c = asciiLower(c);
    cur = scratch;
  }
  return cur;
}

}  // namespace shipgate::waf
