// The engine's target selectors: a /regex/ selector that is a plain literal (optionally anchored)
// is matched by comparison, not PCRE; it must select exactly the names the regex selects.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "managed/engine_impl.h"

namespace shipgate::managed::engine_internal {
namespace {

TEST(ManagedSelector, LiteralSelectorsSelectWhatTheirRegexSelects) {
  const std::vector<std::string> patterns = {
      "__utm", "_pk_ref", "^header_name_", "suf$", "^exact$", "A-b", "x:y",
      // A trailing atom* (or a leading .*) of an unanchored end matches nothing as well.
      "paramcounter_.*", "MULTIPART_HEADERS_CONTENT_TYPES_*", ".*abc", "ab*", "a\\.*", "abc.*$",
      "^ab*", "a\\**", "(ab)*", "[ab]*", "ab*c*",
      // Not literals: PCRE decides.
      "S?DW[a-f0-9]+", "^a.c$", "a\\.b", "^", "$", "a|b", "a b"};
  const std::vector<std::string> names = {
      "", "__utma", "x__UTMz", "__ut", "_PK_REF.1", "header_name_host", "HEADER_NAME_x",
      "xheader_name_", "asuf", "aSUF", "suf\n", "suf\n\n", "sufx", "exact", "EXACT", "exact\n",
      "exactly", "\nexact", "a-B", "X:Y", "sdw0f", "abc", "a.b", "axb", "a b", "a\xc3\xa9",
      "paramcounter_ARGS:a", "tx.PARAMCOUNTER_", "paramcounter", "MULTIPART_HEADERS_CONTENT_TYPES",
      "multipart_headers_content_types_x", "xab", "a", "a.", "a\\", "a*", "zabc\n", "b", "ba"};
  for (const std::string& p : patterns) {
    CTarget fast;
    ASSERT_TRUE(compileSelectorRegex(p, fast).isOk()) << p;
    auto reference = Regex::compile("(?i)" + p);
    ASSERT_TRUE(reference.isOk()) << p;
    for (const std::string& n : names)
      EXPECT_EQ(selectorMatches(fast, n), (*reference)->match(n))
          << "/" << p << "/ on \"" << n << "\"";
  }
}

TEST(ManagedSelector, PlainLiteralsSkipPcreAndBadPatternsFail) {
  CTarget t;
  ASSERT_TRUE(compileSelectorRegex("^header_name_", t).isOk());
  EXPECT_EQ(t.literal, CTarget::Literal::kPrefix);
  EXPECT_EQ(t.re, nullptr);
  EXPECT_TRUE(t.isRegex());
  EXPECT_EQ(t.re_text, "^header_name_");
  ASSERT_TRUE(compileSelectorRegex("__utm", t).isOk());
  EXPECT_EQ(t.literal, CTarget::Literal::kContains);
  ASSERT_TRUE(compileSelectorRegex("MULTIPART_HEADERS_CONTENT_TYPES_*", t).isOk());
  EXPECT_EQ(t.literal, CTarget::Literal::kContains);
  EXPECT_EQ(t.literal_text, "multipart_headers_content_types");
  ASSERT_TRUE(compileSelectorRegex("S?SESS[a-f0-9]+", t).isOk());
  EXPECT_EQ(t.literal, CTarget::Literal::kNone);
  EXPECT_NE(t.re, nullptr);
  Status bad = compileSelectorRegex("a(b", t);
  EXPECT_FALSE(bad.isOk());
  EXPECT_NE(bad.message().find("/a(b/"), std::string::npos) << bad.message();
}

}  // namespace
}  // namespace shipgate::managed::engine_internal
