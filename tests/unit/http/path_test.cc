// splitTarget() and normalizePath(): the policy in shipgate/http/path.h, case by case.
#include "shipgate/http/path.h"

#include <gtest/gtest.h>

#include <string>

namespace shipgate::http {
namespace {

std::string norm(std::string_view in) {
  std::string scratch;
  NormalizedPath n = normalizePath(in, scratch);
  EXPECT_TRUE(n.ok()) << in << ": " << pathErrorText(n.error);
  return std::string(n.path);
}

PathError err(std::string_view in) {
  std::string scratch;
  return normalizePath(in, scratch).error;
}

TEST(SplitTargetTest, OriginAbsoluteAsteriskAuthority) {
  TargetParts a = splitTarget("/a/b?x=1&y");
  EXPECT_EQ(a.path, "/a/b");
  EXPECT_EQ(a.query, "x=1&y");
  EXPECT_TRUE(a.has_query);
  TargetParts b = splitTarget("/p?");
  EXPECT_TRUE(b.has_query);
  EXPECT_EQ(b.query, "");
  EXPECT_FALSE(splitTarget("/p").has_query);
  EXPECT_EQ(splitTarget("/p#frag").path, "/p");
  EXPECT_EQ(splitTarget("/p?q#frag").query, "q");
  EXPECT_EQ(splitTarget("http://h.example/p/q?z=1").path, "/p/q");
  EXPECT_EQ(splitTarget("http://h.example/p/q?z=1").query, "z=1");
  EXPECT_EQ(splitTarget("http://h.example?z=1").path, "");
  EXPECT_EQ(splitTarget("http://h.example?z=1").query, "z=1");
  EXPECT_EQ(splitTarget("https://h.example").path, "");
  EXPECT_EQ(norm(""), "/");
  EXPECT_EQ(splitTarget("*").path, "*");
  EXPECT_EQ(splitTarget("h.example:443").path, "h.example:443");
}

TEST(NormalizePathTest, UnchangedPathsAreReturnedAsIs) {
  std::string scratch;
  std::string_view in = "/api/v1/items;v=2/x.json";
  NormalizedPath n = normalizePath(in, scratch);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.path.data(), in.data());
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/a/"), "/a/");
  EXPECT_EQ(norm("*"), "*");
  EXPECT_EQ(norm("h:443"), "h:443");
}

TEST(NormalizePathTest, DotSegmentsPlainAndEncoded) {
  EXPECT_EQ(norm("/a/./b/../c"), "/a/c");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/a/b/."), "/a/b/");
  EXPECT_EQ(norm("/a/.."), "/");
  EXPECT_EQ(norm("/."), "/");
  EXPECT_EQ(norm("/a/%2e%2E/b"), "/b");
  EXPECT_EQ(norm("/a/.%2e/b"), "/b");
  EXPECT_EQ(norm("/a/%2E/b"), "/a/b");
  EXPECT_EQ(norm("/.well-known/x"), "/.well-known/x");
  EXPECT_EQ(norm("/a/...b/..."), "/a/...b/...");
  EXPECT_EQ(norm("/a/b/c/../../d"), "/a/d");
}

TEST(NormalizePathTest, ClimbingAboveTheRootIsAnError) {
  EXPECT_EQ(err("/.."), PathError::kAboveRoot);
  EXPECT_EQ(err("/../../etc/passwd"), PathError::kAboveRoot);
  EXPECT_EQ(err("/%2e%2e/%2e%2e/etc/passwd"), PathError::kAboveRoot);
  EXPECT_EQ(err("/a/../../b"), PathError::kAboveRoot);
  EXPECT_EQ(err("/a/%2E%2E/%2E%2E"), PathError::kAboveRoot);
  EXPECT_EQ(err("\\..\\..\\x"), PathError::kNone);  // not a path: no leading '/'
  EXPECT_EQ(err("/..\\..\\x"), PathError::kAboveRoot);
}

TEST(NormalizePathTest, SlashesAndBackslashes) {
  EXPECT_EQ(norm("//a///b//"), "/a/b/");
  EXPECT_EQ(norm("/a\\b\\..\\c"), "/a/c");
  EXPECT_EQ(norm("/\\a"), "/a");
  EXPECT_EQ(err("/a%2Fb"), PathError::kEncodedSlash);
  EXPECT_EQ(err("/a%2fb"), PathError::kEncodedSlash);
  EXPECT_EQ(err("/..%2f..%2fetc"), PathError::kEncodedSlash);
  EXPECT_EQ(err("/a%5Cb"), PathError::kEncodedSlash);
}

TEST(NormalizePathTest, EscapesDecodedOnlyWhenUnreserved) {
  EXPECT_EQ(norm("/%7Euser/%41%62%2D%5f"), "/~user/Ab-_");
  EXPECT_EQ(norm("/a%20b/%3b/%c3%a9"), "/a%20b/%3B/%C3%A9");
  // Decoded once: the double-encoded dot is a name, not a dot segment.
  EXPECT_EQ(norm("/%252e%252e/x"), "/%252e%252e/x");
  EXPECT_EQ(norm("/%25"), "/%25");
}

TEST(NormalizePathTest, BadEscapesNulAndOverlongUtf8AreErrors) {
  EXPECT_EQ(err("/a%"), PathError::kBadEscape);
  EXPECT_EQ(err("/a%4"), PathError::kBadEscape);
  EXPECT_EQ(err("/a%zz"), PathError::kBadEscape);
  EXPECT_EQ(err("/a%00b"), PathError::kNul);
  EXPECT_EQ(err(std::string_view("/a\0b", 4)), PathError::kNul);
  EXPECT_EQ(err("/%c0%ae%c0%ae/x"), PathError::kOverlongUtf8);  // overlong '.'
  EXPECT_EQ(err("/a%C0%AFb"), PathError::kOverlongUtf8);         // overlong '/'
  EXPECT_EQ(err("/%E0%80%AE"), PathError::kOverlongUtf8);
  EXPECT_EQ(err("/%F0%80%80%AE"), PathError::kOverlongUtf8);
  EXPECT_EQ(err("/a\xC0\xAE"), PathError::kOverlongUtf8);
  EXPECT_EQ(norm("/%E2%82%AC"), "/%E2%82%AC");  // a well-formed 3-byte sequence
  EXPECT_EQ(norm("/\xE2\x82\xAC"), "/\xE2\x82\xAC");
}

TEST(NormalizePathTest, SemicolonParameters) {
  EXPECT_EQ(norm("/a;v=1/b"), "/a;v=1/b");
  EXPECT_EQ(norm("/a/b;jsessionid=x"), "/a/b;jsessionid=x");
  EXPECT_EQ(norm("/a/x;p/../b"), "/a/b");
  EXPECT_EQ(err("/a/..;/admin"), PathError::kDotParameter);
  EXPECT_EQ(err("/a/.;x/admin"), PathError::kDotParameter);
  EXPECT_EQ(err("/;x/admin"), PathError::kDotParameter);
  EXPECT_EQ(err("/a/%2e%2e;/admin"), PathError::kDotParameter);
  EXPECT_EQ(norm("/a/..%3B/b"), "/a/..%3B/b");  // an encoded ';' is data, not a parameter
}

TEST(NormalizePathTest, Idempotent) {
  for (const char* p : {"/a/./b/../c//d%7Euser/%2e%2E/e", "/a\\b", "/x%3b/%c3%a9/", "/a/.."}) {
    std::string once = norm(p);
    EXPECT_EQ(norm(once), once) << p;
  }
}

}  // namespace
}  // namespace shipgate::http
