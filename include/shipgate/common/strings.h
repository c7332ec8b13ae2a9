// Small ASCII string helpers shared by every layer. Thread-safe (pure functions).
#pragma once

#include <cstddef>
#include <string_view>

namespace shipgate {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

// ASCII case-insensitive equality (HTTP names, header values, hosts, file extensions). Inline:
// the per-request header scans call it for every header against every name they look for.
inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}
inline bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equalsIgnoreCase(s.substr(0, prefix.size()), prefix);
}
// ASCII case-insensitive substring search; `needle` must already be lower case.
bool containsLowerNeedle(std::string_view haystack, std::string_view lower_needle);

}  // namespace shipgate
