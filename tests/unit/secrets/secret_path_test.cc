// SecretPath: the normalised form, every rule with the segment and reason its error names, the
// limits at and past their bounds, and prefixes.
#include "shipgate/secrets/secret_path.h"

#include <gtest/gtest.h>

namespace shipgate::secrets {
namespace {

std::string error(std::string_view text) {
  Result<SecretPath> p = SecretPath::parse(text);
  EXPECT_FALSE(p.isOk()) << text;
  return p.isOk() ? "" : p.status().message();
}

TEST(SecretPath, AcceptsAHierarchicalPath) {
  Result<SecretPath> p = SecretPath::parse("/coinestate/prod/database/url");
  ASSERT_TRUE(p.isOk()) << p.status().message();
  EXPECT_EQ(p->str(), "/coinestate/prod/database/url");
  EXPECT_EQ(p->depth(), 4u);
  EXPECT_EQ(p->segments(),
            (std::vector<std::string_view>{"coinestate", "prod", "database", "url"}));
  EXPECT_TRUE(SecretPath::parse("/A-b_c.9").isOk());
}

TEST(SecretPath, ErrorsNameTheSegmentAndTheReason) {
  EXPECT_EQ(error(""), "secret path \"\": empty");
  EXPECT_EQ(error("app/x"),
            "secret path \"app/x\": must start with '/' (e.g. /app/prod/database/url)");
  EXPECT_EQ(error("/"), "secret path \"/\": names no secret (a path has at least one segment)");
  EXPECT_EQ(error("/a//b"),
            "secret path \"/a//b\": segment 2 (at byte 4) is empty ('//' is not allowed)");
  EXPECT_EQ(error("/a/b/"),
            "secret path \"/a/b/\": segment 3 (at byte 6) is empty (a path does not end with '/')");
  EXPECT_EQ(error("/a/../b"),
            "secret path \"/a/../b\": segment 2 (at byte 4) is '..': relative segments are not "
            "allowed");
  EXPECT_EQ(
      error("/./b"),
      "secret path \"/./b\": segment 1 (at byte 2) is '.': relative segments are not allowed");
  EXPECT_EQ(error("/a/b c"),
            "secret path \"/a/b c\": segment 2 (at byte 4) has byte 0x20 at byte 5: only letters, "
            "digits and _ - . are allowed");
  EXPECT_EQ(error("/a/b|c"),
            "secret path \"/a/b|c\": segment 2 (at byte 4) has '|' at byte 5: only letters, digits "
            "and _ - . are allowed");
  // A NUL or a control byte is shown escaped, never raw.
  EXPECT_EQ(error(std::string_view("/a\0b", 4)),
            "secret path \"/a\\x00b\": segment 1 (at byte 2) has byte 0x00 at byte 3: only "
            "letters, digits and _ - . are allowed");
}

TEST(SecretPath, LimitsAreInclusive) {
  const std::string seg64(64, 's');
  EXPECT_TRUE(SecretPath::parse("/" + seg64).isOk());
  EXPECT_EQ(error("/x/" + seg64 + "s"),
            "secret path \"/x/" + seg64 +
                "s\": segment 2 (at byte 4) has 65 characters, more than the 64 allowed");
  std::string deep;
  for (int i = 0; i < 15; ++i) deep += "/d";
  EXPECT_TRUE(SecretPath::parse(deep).isOk());
  EXPECT_EQ(error(deep + "/d"), "secret path \"" + deep + "/d\": more than 15 segments");
  std::string longest;
  while (longest.size() + 65 <= 512) longest += "/" + seg64;
  longest += "/" + std::string(512 - longest.size() - 1, 'z');
  ASSERT_EQ(longest.size(), 512u);
  EXPECT_TRUE(SecretPath::parse(longest).isOk());
  const std::string message = error(longest + "z");
  EXPECT_NE(message.find(": 513 characters, more than the 512 allowed"), std::string::npos)
      << message;
  // The message quotes at most 80 characters of the input.
  EXPECT_LT(message.size(), 200u);
}

TEST(SecretPath, PrefixesAllowTheRootAndATrailingSlash) {
  Result<SecretPath> root = SecretPath::parsePrefix("/");
  ASSERT_TRUE(root.isOk());
  EXPECT_TRUE(root->isRoot());
  EXPECT_EQ(root->str(), "/");
  Result<SecretPath> prod = SecretPath::parsePrefix("/coinestate/prod/");
  ASSERT_TRUE(prod.isOk());
  EXPECT_EQ(prod->str(), "/coinestate/prod");
  EXPECT_EQ(*prod, *SecretPath::parsePrefix("/coinestate/prod"));
  EXPECT_FALSE(SecretPath::parsePrefix("/coinestate//").isOk());
  EXPECT_FALSE(SecretPath::parsePrefix("//").isOk());
  EXPECT_FALSE(SecretPath::parsePrefix("/a/..").isOk());
}

TEST(SecretPath, UnderMeansEqualOrBelowBySegment) {
  const SecretPath prod = *SecretPath::parsePrefix("/coinestate/prod/");
  EXPECT_TRUE(SecretPath::parse("/coinestate/prod/db/url")->isUnder(prod));
  EXPECT_TRUE(SecretPath::parse("/coinestate/prod")->isUnder(prod));
  EXPECT_FALSE(SecretPath::parse("/coinestate/production/db")->isUnder(prod));
  EXPECT_FALSE(SecretPath::parse("/coinestate")->isUnder(prod));
  EXPECT_TRUE(SecretPath::parse("/anything")->isUnder(*SecretPath::parsePrefix("/")));
}

}  // namespace
}  // namespace shipgate::secrets
