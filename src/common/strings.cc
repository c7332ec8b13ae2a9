#include "shipgate/common/strings.h"

#include <cstring>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace shipgate {

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view trimAsciiSpace(std::string_view s) {
  while (!s.empty() && isAsciiSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isAsciiSpace(s.back())) s.remove_suffix(1);
  return s;
}

std::vector<std::string> splitAsciiSpace(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && isAsciiSpace(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !isAsciiSpace(s[i])) ++i;
    if (i > start) out.emplace_back(s.substr(start, i - start));
  }
  return out;
}

bool containsBytes(std::string_view haystack, std::string_view needle) {
  const size_t m = needle.size();
  if (m == 0) return true;
  if (haystack.size() < m) return false;  // also keeps a null data() out of memchr and memmem
  if (m == 1) return std::memchr(haystack.data(), needle[0], haystack.size()) != nullptr;
  // Places are compared in full where the two bytes are: at most 16 * m bytes a block, so a
  // needle longer than kShortNeedle goes to memmem.
  constexpr size_t kShortNeedle = 64;
#if defined(__SSE2__)
  if (m <= kShortNeedle) {
    // The second byte, not the first: the lists the CRS looks values up in (@within) start
    // every entry with the same byte ("/proxy/ /if/", ".asa/ .asax/", "|text/xml| |...").
    const size_t o1 = m >= 3 ? 1 : 0, o2 = m - 1;
    const char* const d = haystack.data();
    const size_t starts = haystack.size() - m + 1;  // the places a match can start
    const __m128i b1 = _mm_set1_epi8(needle[o1]);
    const __m128i b2 = _mm_set1_epi8(needle[o2]);
    size_t i = 0;
    for (; i + 16 <= starts; i += 16) {  // the second load ends at i + 15 + m - 1 < size
      const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i + o1));
      const __m128i y = _mm_loadu_si128(reinterpret_cast<const __m128i*>(d + i + o2));
      auto both = static_cast<uint32_t>(
          _mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(x, b1), _mm_cmpeq_epi8(y, b2))));
      for (; both != 0; both &= both - 1) {
        const size_t at = i + static_cast<size_t>(__builtin_ctz(both));
        if (std::memcmp(d + at, needle.data(), m - 1) == 0) return true;
      }
    }
    for (; i < starts; ++i) {
      if (d[i + o1] == needle[o1] && d[i + o2] == needle[o2] &&
          std::memcmp(d + i, needle.data(), m - 1) == 0)
        return true;
    }
    return false;
  }
#endif
  return memmem(haystack.data(), haystack.size(), needle.data(), m) != nullptr;
}

bool containsLowerNeedle(std::string_view haystack, std::string_view lower_needle) {
  if (lower_needle.empty()) return true;
  for (size_t i = 0; i + lower_needle.size() <= haystack.size(); ++i) {
    size_t j = 0;
    while (j < lower_needle.size() && asciiLower(haystack[i + j]) == lower_needle[j]) ++j;
    if (j == lower_needle.size()) return true;
  }
  return false;
}

}  // namespace shipgate
