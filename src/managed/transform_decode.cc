// The escape decoders of the `t:` action. Each decodes one level, never grows the value, and
// keeps an escape it cannot decode as written (byte for byte) unless its comment says otherwise.
// Decoded bytes are raw: %00 becomes a NUL byte, %FF the byte 0xFF.
#include <climits>
#include <cstdint>
#include <cstring>

#include "transform_impl.h"

namespace shipgate::managed::detail {
namespace {

using uchar = unsigned char;

constexpr uint64_t kLongMax = static_cast<uint64_t>(LONG_MAX);

// Decoders write into a buffer the size of the input and shrink it at the end.
struct Writer {
  explicit Writer(std::string& out, size_t n) : out_(out) {
    out_.resize(n);
    d_ = out_.data();
  }
  void put(char c) { *d_++ = c; }
  void put(uchar c) { *d_++ = static_cast<char>(c); }
  void finish() { out_.resize(static_cast<size_t>(d_ - out_.data())); }
  std::string& out_;
  char* d_;
};

// The low byte of a 4-hex-digit code unit at p (p[0..3] are hex digits), with the full-width
// ASCII forms U+FF01..U+FF5E mapped to their ASCII letters (U+FF21 'Ａ' -> 'A') as ModSecurity
// does; any other code unit keeps only its low byte.
uchar lowByteWithFullWidth(const uchar* p) {
  uchar b = hexByte(p[2], p[3]);
  if (b > 0x00 && b < 0x5f && (p[0] | 0x20) == 'f' && (p[1] | 0x20) == 'f') b += 0x20;
  return b;
}

bool isAlnum(uchar c) { return ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

// urlDecode: %HH to the byte, '+' to a space. A '%' without two hex digits after it (invalid or
// cut short) is kept with what follows.
bool urlDecode(std::string_view in, std::string& out) {
  if (!containsAnyOf(in, "%+")) return unchanged();
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  Writer w(out, n);
  for (size_t i = 0; i < n;) {
    uchar c = s[i];
    if (c == '%' && i + 2 < n && isHex(s[i + 1]) && isHex(s[i + 2])) {
      w.put(hexByte(s[i + 1], s[i + 2]));
      i += 3;
    } else {
      w.put(c == '+' ? uchar(' ') : c);
      ++i;
    }
  }
  w.finish();
  return std::string_view(out) != in;
}

// urlDecodeUni: urlDecode plus IIS's %uHHHH (either case of 'u'): the code unit's low byte, with
// the full-width range U+FF01..U+FF5E mapped to ASCII. An invalid or cut-short %u keeps "%u" and
// goes on after it.
bool urlDecodeUni(std::string_view in, std::string& out) {
  if (!containsAnyOf(in, "%+")) return unchanged();
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  Writer w(out, n);
  for (size_t i = 0; i < n;) {
    uchar c = s[i];
    if (c == '%') {
      if (i + 1 < n && (s[i + 1] | 0x20) == 'u') {
        if (i + 5 < n && isHex(s[i + 2]) && isHex(s[i + 3]) && isHex(s[i + 4]) && isHex(s[i + 5])) {
          w.put(lowByteWithFullWidth(s + i + 2));
          i += 6;
        } else {
          w.put(s[i]);
          w.put(s[i + 1]);
          i += 2;
        }
      } else if (i + 2 < n && isHex(s[i + 1]) && isHex(s[i + 2])) {
        w.put(hexByte(s[i + 1], s[i + 2]));
        i += 3;
      } else {
        w.put(c);
        ++i;
      }
    } else {
      w.put(c == '+' ? uchar(' ') : c);
      ++i;
    }
  }
  w.finish();
  return std::string_view(out) != in;
}

// htmlEntityDecode: &#xH.. and &#D.. (any number of digits, as libmodsecurity 3.0.9 reads them:
// the low byte of strtol's value, which saturates at LONG_MAX, so an overlong run gives 0xFF),
// &quot; &amp; &lt; &gt; &nbsp; (case-insensitive; nbsp is the byte 0xA0), each with or without
// the ';'. A name is the whole run of letters and digits after '&' ("&ltx;" is no entity).
// Anything else starting with '&' is kept as written.
bool htmlEntityDecode(std::string_view in, std::string& out) {
  if (std::memchr(in.data(), '&', in.size()) == nullptr) return unchanged();
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  Writer w(out, n);
  size_t i = 0;
  auto skipSemicolon = [&](size_t j) { return (j < n && s[j] == ';') ? j + 1 : j; };
  while (i < n) {
    if (s[i] != '&' || i + 1 >= n) {
      w.put(s[i++]);
      continue;
    }
    size_t j = i + 1;
    if (s[j] == '#') {
      ++j;
      const bool hexadecimal = j < n && (s[j] | 0x20) == 'x';
      if (hexadecimal) ++j;
      const unsigned base = hexadecimal ? 16 : 10;
      size_t k = j;
      uint64_t v = 0;
      while (j < n && (hexadecimal ? isHex(s[j]) : (s[j] >= '0' && s[j] <= '9'))) {
        // strtol's value: saturates at LONG_MAX, whose low byte is 0xFF.
        const uint64_t digit = hexVal(s[j]);
        v = v > (kLongMax - digit) / base ? kLongMax : v * base + digit;
        ++j;
      }
      if (j > k) {
        w.put(static_cast<uchar>(v & 0xff));
        i = skipSemicolon(j);
        continue;
      }
      w.put(s[i++]);  // "&#" or "&#x" without digits: kept, the loop copies the rest
      continue;
    }
    size_t k = j;
    while (j < n && isAlnum(s[j])) ++j;
    std::string_view name(in.data() + k, j - k);
    auto is = [&](std::string_view entity) { return equalsIgnoreCase(name, entity); };
    int decoded = -1;
    if (is("quot"))
      decoded = '"';
    else if (is("amp"))
      decoded = '&';
    else if (is("lt"))
      decoded = '<';
    else if (is("gt"))
      decoded = '>';
    else if (is("nbsp"))
      decoded = 0xa0;
    if (decoded < 0) {
      w.put(s[i++]);
      continue;
    }
    w.put(static_cast<uchar>(decoded));
    i = skipSemicolon(j);
  }
  w.finish();
  return std::string_view(out) != in;
}

// jsDecode: \uHHHH (low byte, full-width ASCII mapped), \xHH, \OOO (1-3 octal digits, at most
// one byte: a three-digit run starting above '3' uses two), \a \b \f \n \r \t \v, and any other
// \c to c ("\u12" -> "u12", "\\" -> "\"). A trailing lone backslash is kept.
bool jsDecode(std::string_view in, std::string& out) {
  if (std::memchr(in.data(), '\\', in.size()) == nullptr) return unchanged();
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  Writer w(out, n);
  size_t i = 0;
  while (i < n) {
    if (s[i] != '\\' || i + 1 >= n) {
      w.put(s[i++]);
      continue;
    }
    uchar c = s[i + 1];
    if (c == 'u' && i + 5 < n && isHex(s[i + 2]) && isHex(s[i + 3]) && isHex(s[i + 4]) &&
        isHex(s[i + 5])) {
      w.put(lowByteWithFullWidth(s + i + 2));
      i += 6;
    } else if (c == 'x' && i + 3 < n && isHex(s[i + 2]) && isHex(s[i + 3])) {
      w.put(hexByte(s[i + 2], s[i + 3]));
      i += 4;
    } else if (isOctal(c)) {
      size_t j = i + 1;
      size_t max = (c > '3') ? 2 : 3;
      unsigned v = 0;
      while (j < n && j - (i + 1) < max && isOctal(s[j])) v = v * 8 + (s[j++] - '0');
      w.put(static_cast<uchar>(v));
      i = j;
    } else {
      switch (c) {
        case 'a':
          c = '\a';
          break;
        case 'b':
          c = '\b';
          break;
        case 'f':
          c = '\f';
          break;
        case 'n':
          c = '\n';
          break;
        case 'r':
          c = '\r';
          break;
        case 't':
          c = '\t';
          break;
        case 'v':
          c = '\v';
          break;
        default:
          break;
      }
      w.put(c);
      i += 2;
    }
  }
  w.finish();
  return std::string_view(out) != in;
}

// cssDecode (CSS 2.1 section 4.1.3): a backslash and 1-6 hex digits is a code point, of which the
// last byte is kept (for a 4-digit FFxx, or 5/6 digits with leading zeros, the full-width ASCII
// range maps to ASCII); one whitespace byte after it is part of the escape. A backslash before a
// newline is removed with it; before any other byte it is removed and the byte kept; a trailing
// lone backslash is removed.
bool cssDecode(std::string_view in, std::string& out) {
  if (std::memchr(in.data(), '\\', in.size()) == nullptr) return unchanged();
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  Writer w(out, n);
  size_t i = 0;
  while (i < n) {
    if (s[i] != '\\') {
      w.put(s[i++]);
      continue;
    }
    ++i;  // the backslash itself is never kept
    if (i >= n) break;
    size_t j = 0;
    while (j < 6 && i + j < n && isHex(s[i + j])) ++j;
    if (j == 0) {
      if (s[i] == '\n') {
        ++i;
      } else {
        w.put(s[i++]);
      }
      continue;
    }
    const uchar* h = s + i;
    uchar b = (j == 1) ? static_cast<uchar>(hexVal(h[0])) : hexByte(h[j - 2], h[j - 1]);
    bool fullCheck = j == 4 || (j == 5 && h[0] == '0') || (j == 6 && h[0] == '0' && h[1] == '0');
    if (fullCheck && b > 0x00 && b < 0x5f && (h[j - 3] | 0x20) == 'f' && (h[j - 4] | 0x20) == 'f')
      b += 0x20;
    w.put(b);
    if (i + j < n && isSpace(s[i + j])) ++j;
    i += j;
  }
  w.finish();
  return true;  // at least one backslash was removed
}

// escapeSeqDecode: ANSI C escapes \a \b \f \n \r \t \v \\ \? \' \", \xHH (either case of x), and
// \O to \OOO octal (the value's low byte). As in libmodsecurity 3, an escape it does not know
// loses its backslash ("\z" -> "z", "\xZZ" -> "xZZ"); a trailing lone backslash is kept.
bool escapeSeqDecode(std::string_view in, std::string& out) {
  if (std::memchr(in.data(), '\\', in.size()) == nullptr) return unchanged();
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  Writer w(out, n);
  size_t i = 0;
  while (i < n) {
    if (s[i] != '\\' || i + 1 >= n) {
      w.put(s[i++]);
      continue;
    }
    uchar c = s[i + 1];
    int v = -1;
    switch (c) {
      case 'a':
        v = '\a';
        break;
      case 'b':
        v = '\b';
        break;
      case 'f':
        v = '\f';
        break;
      case 'n':
        v = '\n';
        break;
      case 'r':
        v = '\r';
        break;
      case 't':
        v = '\t';
        break;
      case 'v':
        v = '\v';
        break;
      case '\\':
      case '?':
      case '\'':
      case '"':
        v = c;
        break;
      default:
        break;
    }
    if (v >= 0) {
      w.put(static_cast<uchar>(v));
      i += 2;
    } else if ((c | 0x20) == 'x' && i + 3 < n && isHex(s[i + 2]) && isHex(s[i + 3])) {
      w.put(hexByte(s[i + 2], s[i + 3]));
      i += 4;
    } else if (isOctal(c)) {
      size_t j = i + 1;
      unsigned o = 0;
      while (j < n && j - (i + 1) < 3 && isOctal(s[j])) o = o * 8 + (s[j++] - '0');
      w.put(static_cast<uchar>(o & 0xff));
      i = j;
    } else {
      w.put(c);
      i += 2;
    }
  }
  w.finish();
  return std::string_view(out) != in;
}

// sqlHexDecode: a "0x" (either case of x) followed by at least one pair of hex digits becomes the
// bytes of those pairs ("0x414243" -> "ABC"); an odd last digit stays as written.
bool sqlHexDecode(std::string_view in, std::string& out) {
  const auto* s = reinterpret_cast<const uchar*>(in.data());
  const size_t n = in.size();
  size_t first = 0;
  for (; first + 3 < n; ++first) {
    if (s[first] == '0' && (s[first + 1] | 0x20) == 'x' && isHex(s[first + 2]) &&
        isHex(s[first + 3]))
      break;
  }
  if (first + 3 >= n) return unchanged();
  Writer w(out, n);
  size_t i = 0;
  while (i < n) {
    if (i + 3 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x' && isHex(s[i + 2]) &&
        isHex(s[i + 3])) {
      i += 2;
      do {
        w.put(hexByte(s[i], s[i + 1]));
        i += 2;
      } while (i + 1 < n && isHex(s[i]) && isHex(s[i + 1]));
    } else {
      w.put(s[i++]);
    }
  }
  w.finish();
  return true;
}

}  // namespace shipgate::managed::detail
