#include "staticsite/request_path.h"

#include <gtest/gtest.h>

namespace shipgate::staticsite {
namespace {

NormalizedPath ok(std::string_view raw) {
  NormalizedPath p = normalizeRequestPath(raw);
  EXPECT_EQ(p.verdict, PathVerdict::kOk) << raw;
  return p;
}

PathVerdict verdict(std::string_view raw) { return normalizeRequestPath(raw).verdict; }

TEST(RequestPathTest, PlainPaths) {
  EXPECT_EQ(ok("/").relative, "");
  EXPECT_TRUE(ok("/").trailing_slash);
  EXPECT_EQ(ok("/index.html").relative, "index.html");
  EXPECT_FALSE(ok("/index.html").trailing_slash);
  EXPECT_EQ(ok("/assets/app.js").relative, "assets/app.js");
  EXPECT_EQ(ok("/assets/app.js").last_segment, "app.js");
  EXPECT_EQ(ok("/docs/").relative, "docs");
  EXPECT_TRUE(ok("/docs/").trailing_slash);
}

TEST(RequestPathTest, CollapsesEmptyAndDotSegments) {
  EXPECT_EQ(ok("//a///b/./c").relative, "a/b/c");
  EXPECT_EQ(ok("/a/.").relative, "a");
  EXPECT_TRUE(ok("/a/.").trailing_slash);
}

TEST(RequestPathTest, DotDotInsideRootResolves) {
  EXPECT_EQ(ok("/a/b/../c").relative, "a/c");
  EXPECT_EQ(ok("/a/%2e%2e/c").relative, "c");
  EXPECT_EQ(ok("/a/%2E./c").relative, "c");
}

TEST(RequestPathTest, DotDotAboveRootIsNotFound) {
  EXPECT_EQ(verdict("/.."), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/../etc/passwd"), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/a/../../etc/passwd"), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/%2e%2e/etc/passwd"), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/%2E%2E/%2e%2e/x"), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/a/./../.././x"), PathVerdict::kNotFound);
}

TEST(RequestPathTest, DecodesOnlyOnce) {
  // %252e%252e decodes to the literal segment "%2e%2e", a harmless (missing) file name.
  NormalizedPath p = ok("/%252e%252e/x");
  EXPECT_EQ(p.relative, "%2e%2e/x");
  EXPECT_EQ(ok("/hello%20world.txt").relative, "hello world.txt");
}

TEST(RequestPathTest, MalformedAndDangerousEncodingsAreBadRequest) {
  EXPECT_EQ(verdict("/a%"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/a%2"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/a%zz"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/a%00.html"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict(std::string_view("/a\0b", 4)), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/..%2fetc/passwd"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/a%2Fb"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/..%5cwin.ini"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("/a%C0%AE%C0%AE/b"), PathVerdict::kBadRequest);  // overlong UTF-8 dots
  EXPECT_EQ(verdict("/a/..;/b"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict("relative"), PathVerdict::kBadRequest);
  EXPECT_EQ(verdict(""), PathVerdict::kBadRequest);
}

TEST(RequestPathTest, BackslashIsASeparatorLikeTheRouterSeesIt) {
  EXPECT_EQ(ok("/a\\..\\b").relative, "b");
  EXPECT_EQ(ok("/a\\b").relative, "a/b");
  EXPECT_EQ(verdict("/a\\..\\..\\b"), PathVerdict::kNotFound);
}

TEST(RequestPathTest, HiddenSegmentsAreNotFoundExceptWellKnown) {
  EXPECT_EQ(verdict("/.env"), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/.git/config"), PathVerdict::kNotFound);
  EXPECT_EQ(verdict("/a/%2egit/config"), PathVerdict::kNotFound);
  EXPECT_EQ(ok("/.well-known/security.txt").relative, ".well-known/security.txt");
}

TEST(RequestPathTest, QueryAndFragmentAreIgnored) {
  EXPECT_EQ(ok("/a.js?v=1/../../x").relative, "a.js");
  EXPECT_EQ(ok("/a.js#frag").relative, "a.js");
}

TEST(RequestPathTest, OverlongPathIsNotFound) {
  std::string longer = "/" + std::string(kMaxRequestPathBytes, 'a');
  EXPECT_EQ(verdict(longer), PathVerdict::kNotFound);
}

}  // namespace
}  // namespace shipgate::staticsite
