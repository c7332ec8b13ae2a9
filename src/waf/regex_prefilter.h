// Private: a literal prefilter for `matches`. On benign traffic nearly every regex evaluation is
// a miss (Coraza's rx prefilter measured 95%+); when every match of a pattern must contain some
// literal text, a substring search for it rejects most inputs without running RE2.
#pragma once

#include <string>
#include <string_view>

namespace shipgate::waf {

// The longest run of literal ASCII characters that every match of `pattern` (RE2 syntax,
// default options: case-sensitive, unanchored search) must contain; "" when no such run of at
// least 2 bytes can be proven. Conservative: patterns with alternation ('|'), flags or special
// groups ("(?"), \Q..\E quoting or a backslash-letter escape inside the run are handled by only
// trusting what is certainly literal, and give "" when in doubt.
std::string requiredLiteral(std::string_view pattern);

// Patterns that are nothing but a literal: "LIT", "LIT.*", ".*LIT", ".*LIT.*" (an unanchored
// search for them is a substring search) and "^LIT", "^LIT.*" (a prefix test). LIT is plain
// ASCII text and escaped punctuation, with no quantifier. `literal` is the unescaped text.
struct LiteralPattern {
  enum class Kind { kNone, kContains, kPrefix };
  Kind kind = Kind::kNone;
  std::string literal;
};
LiteralPattern literalPattern(std::string_view pattern);

}  // namespace shipgate::waf
