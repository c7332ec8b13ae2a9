// The `matches` prefilter: which literal every match must contain, and (the property that
// matters) that filtering on it never changes a verdict RE2 would give.
#include <re2/re2.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "waf/regex_prefilter.h"

namespace shipgate::waf {
namespace {

TEST(RegexPrefilter, FindsTheLongestCertainLiteral) {
  EXPECT_EQ(requiredLiteral("/api/.*"), "/api/");                    // the seed's rule
  EXPECT_EQ(requiredLiteral("^/wp-admin/.*\\.php$"), "/wp-admin/");
  EXPECT_EQ(requiredLiteral("select\\s+.*from"), "select");
  EXPECT_EQ(requiredLiteral("\\.\\./\\.\\./etc"), "../../etc");       // escaped punctuation
  EXPECT_EQ(requiredLiteral("ab?cdef"), "cdef");                      // b optional: run breaks
  EXPECT_EQ(requiredLiteral("abcx*yz"), "abc");                       // x*: x optional
  EXPECT_EQ(requiredLiteral("abcd+e"), "abcd");                       // d+: one d certain
  EXPECT_EQ(requiredLiteral("xy{0,3}zzzz"), "zzzz");
  EXPECT_EQ(requiredLiteral("wxy{2}z"), "wxy");
  EXPECT_EQ(requiredLiteral("[abc]defg(hi)?jk"), "defg");             // class and group skipped
  EXPECT_EQ(requiredLiteral("\\x41BCDE"), "BCDE");                    // \x41 is not "x41"
  EXPECT_EQ(requiredLiteral("\\101bcd"), "bcd");                      // octal body skipped
  EXPECT_EQ(requiredLiteral("\\p{Greek}abc"), "abc");
}

TEST(RegexPrefilter, GivesUpWhenNotCertain) {
  EXPECT_EQ(requiredLiteral("union|select"), "");   // alternation
  EXPECT_EQ(requiredLiteral("(?i)union"), "");      // case folding
  EXPECT_EQ(requiredLiteral("(?:ab)cd"), "");       // special group
  EXPECT_EQ(requiredLiteral("\\Qa.b\\E"), "");
  EXPECT_EQ(requiredLiteral("a.b.c"), "");          // no run of 2
  EXPECT_EQ(requiredLiteral(".*"), "");
  EXPECT_EQ(requiredLiteral("[unterminated"), "");
}

TEST(RegexPrefilter, WholePatternLiterals) {
  using K = LiteralPattern::Kind;
  auto kind = [](std::string_view p) { return literalPattern(p).kind; };
  EXPECT_EQ(kind("/api/.*"), K::kContains);  // the seed's rule: a substring search
  EXPECT_EQ(literalPattern("/api/.*").literal, "/api/");
  EXPECT_EQ(kind(".*/admin"), K::kContains);
  EXPECT_EQ(kind(".*?x\\.php.*?"), K::kContains);
  EXPECT_EQ(literalPattern(".*?x\\.php.*?").literal, "x.php");
  EXPECT_EQ(kind("^/static/"), K::kPrefix);
  EXPECT_EQ(kind("^/static/.*"), K::kPrefix);
  EXPECT_EQ(kind("/api/.+"), K::kNone);       // needs one more character
  EXPECT_EQ(kind("/api/$"), K::kNone);        // anchored at the end
  EXPECT_EQ(kind("a\\.*"), K::kNone);          // a then any number of dots
  EXPECT_EQ(kind("a\\\\.*"), K::kNone);        // conservative about escaped backslashes
  EXPECT_EQ(kind("a.b"), K::kNone);
  EXPECT_EQ(kind("ab*"), K::kNone);
  EXPECT_EQ(kind("a|b"), K::kNone);
  EXPECT_EQ(kind("\\d+"), K::kNone);
  EXPECT_EQ(kind(".*"), K::kNone);
  EXPECT_EQ(kind("^"), K::kNone);
}

TEST(RegexPrefilter, NeverChangesAVerdict) {
  const std::vector<std::string> patterns = {
      "/api/.*", "^/wp-admin/.*\\.php$", "select\\s+.*from", "\\.\\./", "ab?cdef", "abcd+e",
      "xy{0,3}zzzz", "[abc]defg(hi)?jk", "\\x41BCDE", "\\101bcd", "a\\.b", "foo[]]bar",
      "(a(b)c)+def", "\\d{3}-\\d{4}", "^$", "a{0}bc", "bc{1,}d", "q\\+\\+", ".*/api/",
      "^/api/", "^/api/.*", "/api/.*?", "a\\.*", "a\\..*"};
  const std::vector<std::string> inputs = {
      "", "/", "/api/x", "/API/x", "/v1/api/", "/wp-admin/a.php", "/wp-admin/a.phpx",
      "select  a from", "select from", "../..", "acdef", "abcdef", "abcdddde", "abce", "zzzz",
      "xyyyzzzz", "adefgjk", "adefghijk", "ABCDE", "Abcd", "a.b", "foo]bar", "abcabcdef",
      "555-1234", "bccd", "bd", "bcd", "q++", "xbcx", "/api/\n", "x\n/api/", "a...", "a.x"};
  for (const auto& p : patterns) {
    RE2 re(p);
    ASSERT_TRUE(re.ok()) << p;
    std::string lit = requiredLiteral(p);
    for (const auto& in : inputs) {
      bool full = RE2::PartialMatch(in, re);
      bool filtered = (lit.empty() || in.find(lit) != std::string::npos) && full;
      EXPECT_EQ(filtered, full) << "pattern " << p << " literal \"" << lit << "\" input " << in;
      if (full && !lit.empty()) {
        EXPECT_NE(in.find(lit), std::string::npos) << p << " " << in;
      }
      LiteralPattern whole = literalPattern(p);
      if (whole.kind == LiteralPattern::Kind::kContains) {
        EXPECT_EQ(in.find(whole.literal) != std::string::npos, full) << p << " " << in;
      } else if (whole.kind == LiteralPattern::Kind::kPrefix) {
        EXPECT_EQ(in.rfind(whole.literal, 0) == 0, full) << p << " " << in;
      }
    }
  }
}

}  // namespace
}  // namespace shipgate::waf
