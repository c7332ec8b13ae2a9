// libFuzzer entry point for the `matches` prefilter (src/waf/regex_prefilter.h).
// Input: a regex, a NUL byte, then a subject. Traps when RE2 finds a match in a subject that does
// not contain the literal the prefilter says every match must contain (the prefilter would turn
// that match into a miss), when a whole-literal pattern's substring / prefix test disagrees with
// RE2, or when the literal holds a character the pattern does not.
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
  shipgate::waf::LiteralPattern whole = shipgate::waf::literalPattern(pattern);
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_never_capture(true);
  RE2 re(pattern, opts);
  if (!re.ok()) return 0;
  const bool full = RE2::PartialMatch(subject, re);
  // A whole-literal pattern's substring or prefix test must give RE2's verdict.
  using Kind = shipgate::waf::LiteralPattern::Kind;
  if (whole.kind == Kind::kContains && (subject.find(whole.literal) != std::string::npos) != full) {
    abort();
  }
  if (whole.kind == Kind::kPrefix && (subject.rfind(whole.literal, 0) == 0) != full) abort();
  if (literal.empty()) return 0;
  if (full && subject.find(literal) == std::string::npos) abort();
  // A match of the pattern on its own literal text is not required, but the literal must come
  // from the pattern's characters (escapes removed), never be invented.
  for (char c : literal) {
    if (pattern.find(c) == std::string::npos) abort();
  }
  return 0;
}
