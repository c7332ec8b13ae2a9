// The engine's target selectors: a /regex/ selector that is a plain literal (optionally anchored)
// is matched by comparison, not PCRE; it must select exactly the names the regex selects. And the
// literal gate of multiMatch patterns (requiredLiterals): a text without any of the literals must
// be a text the pattern does not match.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "managed/engine_impl.h"
#include "shipgate/managed/operators.h"

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

// A named element (REQUEST_HEADERS:User-Agent): the whole name, ASCII case-insensitive; no key
// selects every name. selectorMatches decides a name of another length inline.
TEST(ManagedSelector, KeySelectorsMatchTheWholeNameIgnoringCase) {
  CTarget t;
  t.var = Var::kRequestHeaders;
  for (const char* n : {"", "x", "User-Agent", "\xff"}) EXPECT_TRUE(selectorMatches(t, n)) << n;
  t.key = "user-agent";
  EXPECT_TRUE(selectorMatches(t, "User-Agent"));
  EXPECT_TRUE(selectorMatches(t, "USER-AGENT"));
  EXPECT_TRUE(selectorMatches(t, "user-agent"));
  for (const char* n : {"", "user-agen", "user-agents", "xuser-agent", "user_agent", "User-Agenu"})
    EXPECT_FALSE(selectorMatches(t, n)) << n;
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

TEST(ManagedPrefilter, RequiredLiteralsAreHeldByEveryMatch) {
  // CRS 930110's path traversal: every match holds "..".
  const std::string traversal = R"((?:^|[\\/])\.\.(?:[\\/]|$))";
  EXPECT_EQ(requiredLiterals(traversal), std::vector<std::string>{".."});
  const std::vector<std::string> patterns = {traversal, R"(\$\{|\|\||;;)", R"(<\?|\?>)",
                                             R"(%0[12]\d+)", R"(\.\./|\.\.\\)"};
  const std::vector<std::string> texts = {
      "",    "..",   "/..",  "a/../b", "..\\x", "x..y",       "...",
      "a.b", "${x}", "a||b", ";;",     "<?php", "x ?> y",     "%0112",
      "%02", "%031", "../",  "..\\",   "./.",   "plain text", "/static/app.js"};
  for (const std::string& p : patterns) {
    std::vector<std::string> lits = requiredLiterals(p);
    ASSERT_FALSE(lits.empty()) << p;
    auto re = Regex::compile(p);
    ASSERT_TRUE(re.isOk()) << p;
    for (const std::string& t : texts) {
      bool held = false;
      for (const std::string& l : lits) held = held || t.find(l) != std::string::npos;
      if ((*re)->match(t)) {
        EXPECT_TRUE(held) << "pattern " << p << " matches \"" << t << "\"";
      }
    }
  }
  // No gate: a letter in an atom (RE2 lowercases atoms), a branch without an atom, an optional
  // whole, too short a literal.
  for (const char* p : {"(?i)select", R"(\.\.|\d)", "(?:ab)?", "x", "select|union"})
    EXPECT_TRUE(requiredLiterals(p).empty()) << p;
}

}  // namespace
}  // namespace shipgate::managed::engine_internal
