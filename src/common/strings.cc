#include "shipgate/common/strings.h"

namespace shipgate {

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
