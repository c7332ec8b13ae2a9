// Private string helpers of the rules engine: the url_decode function's decoding (with %uXXXX),
// ASCII case mapping. Paths, cookies and query arguments come from the http text toolkit.
#pragma once

#include <string>
#include <string_view>

#include "shipgate/common/strings.h"

namespace shipgate::waf {

using shipgate::asciiLower;
using shipgate::equalsIgnoreCase;
inline char asciiUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

// One pass of percent-decoding into `out` (replaced). '+' becomes a space when `plus_as_space`;
// `%uXXXX` becomes UTF-8 when `unicode`. Malformed escapes are kept as they are.
void urlDecodeOnce(std::string_view in, bool plus_as_space, bool unicode, std::string& out);
// Decodes until the text stops changing (at most 8 passes).
void urlDecodeRecursive(std::string_view in, bool plus_as_space, bool unicode, std::string& out);

}  // namespace shipgate::waf
