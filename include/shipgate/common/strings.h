// Small ASCII string helpers shared by every layer. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace shipgate {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
// isspace() in the C locale: space, \t, \n, \v, \f and \r.
inline bool isAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// `s` without the spaces and tabs at either end: HTTP's optional whitespace (RFC 9110, OWS).
std::string_view trimOws(std::string_view s);
// `s` without the isAsciiSpace bytes at either end.
std::string_view trimAsciiSpace(std::string_view s);
// The words of `s` separated by runs of isAsciiSpace bytes (none for a blank `s`).
std::vector<std::string> splitAsciiSpace(std::string_view s);

namespace strings_internal {
// Eight bytes lower-cased at once: 0x20 is set in every byte in 'A'..'Z' (bytes >= 0x80 are
// left as they are, as asciiLower leaves them). No carry crosses a byte: each sum stays < 0x100.
[[gnu::always_inline]] inline uint64_t asciiLowerWord(uint64_t x) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  const uint64_t h = x & kLow7;
  const uint64_t at_least_a = h + (0x80 - 'A') * kOnes;  // high bit set where h >= 'A'
  const uint64_t above_z = h + (0x7f - 'Z') * kOnes;     // high bit set where h > 'Z'
  const uint64_t upper = at_least_a & ~above_z & ~x & kHighs;
  return x | (upper >> 2);
}
// The n < 8 bytes at p as one word, each byte in a fixed place (two overlapping loads when
// n >= 2, so no call to memcpy): equal words mean equal bytes for strings of the same n.
[[gnu::always_inline]] inline uint64_t loadShort(const char* p, size_t n) {
  if (n >= 4) {
    uint32_t lo, hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + n - 4, 4);
    return lo | (static_cast<uint64_t>(hi) << 32);
  }
  if (n >= 2) {
    uint16_t lo, hi;
    std::memcpy(&lo, p, 2);
    std::memcpy(&hi, p + n - 2, 2);
    return lo | (static_cast<uint64_t>(hi) << 16);
  }
  return n == 1 ? static_cast<unsigned char>(p[0]) : 0;
}
}  // namespace strings_internal

// Appends `s` to `out` with 'A'..'Z' lower-cased (as asciiLower), eight bytes at a time.
inline void appendAsciiLower(std::string& out, std::string_view s) {
  const size_t base = out.size(), n = s.size();
  out.resize(base + n);
  char* d = out.data() + base;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    w = strings_internal::asciiLowerWord(w);
    std::memcpy(d + i, &w, 8);
  }
  for (; i < n; ++i) d[i] = asciiLower(s[i]);
}
inline std::string asciiLowerCopy(std::string_view s) {
  std::string out;
  appendAsciiLower(out, s);
  return out;
}

// ASCII case-insensitive equality (HTTP names, header values, hosts, file extensions). Inline:
// the per-request header scans call it for every header against every name they look for, so it
// compares eight bytes at a time (the byte loop cost about 7 instructions a byte, 9% of a proxied
// request's user-space instructions).
[[gnu::always_inline]] inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  using strings_internal::asciiLowerWord;
  const size_t n = a.size();
  if (n != b.size()) return false;
  const char* p = a.data();
  const char* q = b.data();
  if (n < 8) {
    const uint64_t x = strings_internal::loadShort(p, n);
    const uint64_t y = strings_internal::loadShort(q, n);
    return x == y || asciiLowerWord(x) == asciiLowerWord(y);
  }
  // Whole words, then the last eight bytes (overlapping the last word read).
  for (size_t i = 0;; i += 8) {
    if (i + 8 > n) i = n - 8;
    uint64_t x, y;
    std::memcpy(&x, p + i, 8);
    std::memcpy(&y, q + i, 8);
    if (x != y && asciiLowerWord(x) != asciiLowerWord(y)) return false;
    if (i + 8 == n) return true;
  }
}
inline bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}
// Whether `needle` occurs in `haystack` (bytes, case-sensitive; an empty needle always does).
// Looks for the needle's second and last bytes at their distance, 16 places at a time, and
// compares the whole needle where both are. On the CRS's @within lookups ("/user-agent/" in
// "/proxy/ /if/ ...", ".js/" in ".asa/ .asax/ ...") that is half the instructions of glibc's
// memmem, which builds a shift table per call; string_view::find stops at every first byte.
// Needles past 64 bytes go to memmem, which stays linear on any input.
bool containsBytes(std::string_view haystack, std::string_view needle);
// ASCII case-insensitive substring search; `needle` must already be lower case.
bool containsLowerNeedle(std::string_view haystack, std::string_view lower_needle);

}  // namespace shipgate
