// libFuzzer entry point for the `matches` prefilter (src/waf/regex_prefilter.h).
// Input: a regex, a NUL byte, then a subject. Traps when RE2 finds a match in a subject that does
// not contain the literal the prefilter says every match must contain (the prefilter would turn
// that match into a miss), or when the literal is not a substring of the pattern's own text.
#include <re2/re2.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "waf/regex_prefilter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nul = input.find('\0');
  std::string pattern(input.substr(0, nul));
  std::string subject(nul == std::string_view::npos ? "" : input.substr(nul + 1));
  if (pattern.size() > 512) return 0;
  std::string literal = shipgate::waf::requiredLiteral(pattern);
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_never_capture(true);
  RE2 re(pattern, opts);
  if (!re.ok() || literal.empty()) return 0;
  if (RE2::PartialMatch(subject, re) && subject.find(literal) == std::string::npos) abort();
  // A match of the pattern on its own literal text is not required, but the literal must come
  // from the pattern's characters (escapes removed), never be invented.
  for (char c : literal) {
    if (pattern.find(c) == std::string::npos) abort();
  }
  return 0;
}
