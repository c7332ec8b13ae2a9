// The container_security checks on the fixture Dockerfiles (tests/policy/) and OCI image configs:
// exact findings (line, rule, severity) and their hadolint-style rendering.
#include "shipgate/policy/container_policy.h"

#include <gtest/gtest.h>

#include "support/paths.h"

namespace shipgate::policy {
namespace {

std::string fixture(const std::string& name) {
  return testsupport::readFile(testsupport::sourceDir() + "/tests/policy/" + name);
}

Dockerfile parsed(const std::string& text) {
  Result<Dockerfile> df = parseDockerfile(text);
  EXPECT_TRUE(df.isOk()) << df.status().toString();
  return df.isOk() ? std::move(df).value() : Dockerfile{};
}

std::vector<std::string> rendered(const std::vector<Finding>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.toString());
  return out;
}

TEST(ContainerPolicy, GoodDockerfileIsClean) {
  Dockerfile df = parsed(fixture("good.Dockerfile"));
  EXPECT_EQ(rendered(checkDockerfile(df, "good.Dockerfile", PolicySettings{})),
            std::vector<std::string>{});
}

TEST(ContainerPolicy, BadDockerfileFindings) {
  Dockerfile df = parsed(fixture("bad.Dockerfile"));
  std::vector<Finding> f = checkDockerfile(df, "bad.Dockerfile", PolicySettings{});
  EXPECT_EQ(rendered(f),
            (std::vector<std::string>{
                "bad.Dockerfile:1 SG3002 warning base image ubuntu:22.04 is not pinned by digest "
                "(ubuntu:22.04@sha256:...)",
                "bad.Dockerfile:2 SG3004 error apt-get install without --no-install-recommends "
                "(container_security.minimal_packages)",
                "bad.Dockerfile:6 SG3002 warning base image node:18-alpine is not pinned by digest "
                "(node:18-alpine@sha256:...)",
                "bad.Dockerfile:8 SG3005 error apk add without --no-cache "
                "(container_security.minimal_packages)",
                "bad.Dockerfile:10 SG3003 error final stage runs as root (USER root) "
                "(container_security.non_root_user)",
            }));
}

TEST(ContainerPolicy, WrongBaseImageAndUidZero) {
  Dockerfile df = parsed(fixture("backtick.Dockerfile"));
  std::vector<Finding> f = checkDockerfile(df, "b", PolicySettings{});
  ASSERT_EQ(f.size(), 4u) << ::testing::PrintToString(rendered(f));
  EXPECT_EQ(f[0].toString(),
            "b:2 SG3001 error final stage is built on node:16-alpine, "
            "container_security.base_image is node:18-alpine");
  EXPECT_EQ(f[1].rule, kRuleDigestPin);
  EXPECT_EQ(f[2].rule, kRuleApkMinimal);
  EXPECT_EQ(f[2].line, 3u);
  EXPECT_EQ(f[3].rule, kRuleRootUser);
  EXPECT_EQ(f[3].line, 5u);
}

TEST(ContainerPolicy, NoUserFinalStageInheritsFromStage) {
  // The final stage builds on an earlier stage: its USER and base image carry over.
  Dockerfile df = parsed(
      "FROM docker.io/library/node:18-alpine@sha256:aa AS base\nUSER 1000\n"
      "FROM base\nRUN echo hi\n");
  EXPECT_TRUE(checkDockerfile(df, "f", PolicySettings{}).empty());
  Dockerfile no_user = parsed("FROM node:18-alpine@sha256:aa\nRUN echo hi\n");
  std::vector<Finding> f = checkDockerfile(no_user, "f", PolicySettings{});
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].toString(),
            "f:1 SG3003 error final stage sets no USER, so the container runs as root "
            "(container_security.non_root_user)");
}

TEST(ContainerPolicy, SettingsTurnChecksOff) {
  Result<PolicySettings> s = settingsFromSeed(
      {{"base_image", ""}, {"non_root_user", "false"}, {"minimal_packages", "false"},
       {"security_scanning", "true"}});
  ASSERT_TRUE(s.isOk());
  Dockerfile df = parsed(fixture("bad.Dockerfile"));
  std::vector<Finding> f = checkDockerfile(df, "bad", *s);
  ASSERT_EQ(f.size(), 2u);  // only the digest warnings remain
  EXPECT_EQ(f[0].rule, kRuleDigestPin);
  EXPECT_EQ(f[1].rule, kRuleDigestPin);

  Result<PolicySettings> bad = settingsFromSeed({{"non_root_user", "yes please"}});
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().message(),
            "container_security.non_root_user: expected true or false, got \"yes please\"");
}

TEST(ContainerPolicy, AptAndApkVariants) {
  Dockerfile df = parsed(
      "FROM node:18-alpine@sha256:aa\n"
      "RUN apt-get -y install --no-install-recommends curl\n"   // ok
      "RUN /usr/bin/apt-get -qq install curl || true\n"         // 3: finding
      "RUN apk --no-cache add curl; apk update\n"               // ok
      "RUN [\"apk\", \"add\", \"curl\"]\n"                      // 5: finding
      "RUN apt install -y vim\n"                                // 6: finding
      "RUN echo apk add is fine in a message\n"                 // 7: finding (conservative)
      "USER node\n");
  std::vector<Finding> f = checkDockerfile(df, "f", PolicySettings{});
  std::vector<std::pair<size_t, std::string>> got;
  for (const auto& x : f) got.emplace_back(x.line, x.rule);
  EXPECT_EQ(got, (std::vector<std::pair<size_t, std::string>>{
                     {3, kRuleAptMinimal}, {5, kRuleApkMinimal}, {6, kRuleAptMinimal},
                     {7, kRuleApkMinimal}}));
}

TEST(ContainerPolicy, ImageConfigAgreesOrNot) {
  Dockerfile df = parsed(fixture("good.Dockerfile"));
  auto ok = checkImageConfig(fixture("image_node.json"), "img.json", &df, "Dockerfile",
                             PolicySettings{});
  ASSERT_TRUE(ok.isOk()) << ok.status().toString();
  EXPECT_TRUE(ok->empty());

  auto root = checkImageConfig(fixture("image_root.json"), "img.json", &df, "Dockerfile",
                               PolicySettings{});
  ASSERT_TRUE(root.isOk());
  EXPECT_EQ(rendered(*root),
            (std::vector<std::string>{
                "img.json:1 SG3006 error config.User is not set, so the image runs as root "
                "(container_security.non_root_user)",
                "Dockerfile:15 SG3007 error USER node disagrees with img.json config.User \"\" (is "
                "the image built from this Dockerfile?)"}));

  auto zero = checkImageConfig("{\n\"config\": {\n  \"User\": \"0:0\"}}", "i", nullptr, "",
                               PolicySettings{});
  ASSERT_TRUE(zero.isOk());
  ASSERT_EQ(zero->size(), 1u);
  EXPECT_EQ((*zero)[0].line, 3u);
  EXPECT_EQ((*zero)[0].rule, kRuleImageUser);
}

TEST(ContainerPolicy, ImageConfigRefusesWhatIsNotOne) {
  EXPECT_EQ(checkImageConfig("not json", "i", nullptr, "", {}).status().message(),
            "i: not valid JSON");
  EXPECT_EQ(checkImageConfig("[1]", "i", nullptr, "", {}).status().message(),
            "i: expected a JSON object (OCI image config)");
  EXPECT_EQ(checkImageConfig("{\"config\": {\"User\": 5}}", "i", nullptr, "", {})
                .status()
                .message(),
            "i: config.User is not a string");
}

}  // namespace
}  // namespace shipgate::policy
