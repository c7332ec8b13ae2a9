// The Dockerfile parser: instructions and their lines, continuations (\ and `# escape=`), comments,
// JSON and shell forms, stages, ARG before FROM, and located refusals (heredocs, unknown
// instructions, instructions before FROM, oversized input).
#include "shipgate/policy/dockerfile.h"

#include <gtest/gtest.h>

#include "support/paths.h"

namespace shipgate::policy {
namespace {

std::string fixture(const std::string& name) {
  return testsupport::readFile(testsupport::sourceDir() + "/tests/policy/" + name);
}

TEST(Dockerfile, MultiStageWithGlobalArgAndContinuations) {
  Result<Dockerfile> df = parseDockerfile(fixture("good.Dockerfile"));
  ASSERT_TRUE(df.isOk()) << df.status().toString();
  ASSERT_EQ(df->global_args.size(), 1u);
  EXPECT_EQ(df->global_args[0].line, 3u);
  EXPECT_EQ(df->global_args[0].raw, "NODE_TAG=18-alpine");
  ASSERT_EQ(df->stages.size(), 2u);
  EXPECT_EQ(df->stages[0].from.image, "node");
  EXPECT_EQ(df->stages[0].from.tag, "${NODE_TAG}");
  EXPECT_EQ(df->stages[0].from.stage_name, "build");
  EXPECT_EQ(df->stages[0].from_line, 4u);
  EXPECT_EQ(df->stages[0].from.digest,
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
  ASSERT_EQ(df->stages[0].instructions.size(), 5u);
  const Instruction& run = df->stages[0].instructions[2];
  EXPECT_EQ(run.keyword, "RUN");
  EXPECT_EQ(run.line, 7u);
  EXPECT_EQ(run.raw, "apk add --no-cache python3 make g++ && npm ci");
  EXPECT_FALSE(run.json_form);
  EXPECT_EQ(df->stages[0].instructions[4].line, 10u);
  ASSERT_EQ(df->stages[1].instructions.size(), 4u);
  EXPECT_EQ(df->stages[1].from_line, 12u);
  const Instruction& cmd = df->stages[1].instructions[3];
  EXPECT_EQ(cmd.keyword, "CMD");
  EXPECT_TRUE(cmd.json_form);
  EXPECT_EQ(cmd.args, (std::vector<std::string>{"node", "dist/server.js"}));
  EXPECT_EQ(df->stages[1].instructions[2].keyword, "USER");
  EXPECT_EQ(df->stages[1].instructions[2].line, 15u);
}

TEST(Dockerfile, EscapeDirectiveBacktick) {
  Result<Dockerfile> df = parseDockerfile(fixture("backtick.Dockerfile"));
  ASSERT_TRUE(df.isOk()) << df.status().toString();
  EXPECT_EQ(df->escape, '`');
  ASSERT_EQ(df->stages.size(), 1u);
  ASSERT_EQ(df->stages[0].instructions.size(), 2u);
  EXPECT_EQ(df->stages[0].instructions[0].raw, "apk add curl");
  EXPECT_EQ(df->stages[0].instructions[0].line, 3u);
  EXPECT_EQ(df->stages[0].instructions[1].line, 5u);
  EXPECT_EQ(df->stages[0].instructions[1].args, (std::vector<std::string>{"0:0"}));
}

TEST(Dockerfile, CommentsInsideContinuationsAndLowercaseKeywords) {
  Result<Dockerfile> df = parseDockerfile(
      "from alpine:3.19 as base\r\nrun apk add \\\n# a comment\n  --no-cache curl\n\nuser app\n");
  ASSERT_TRUE(df.isOk()) << df.status().toString();
  EXPECT_EQ(df->stages[0].from.stage_name, "base");
  ASSERT_EQ(df->stages[0].instructions.size(), 2u);
  EXPECT_EQ(df->stages[0].instructions[0].raw, "apk add --no-cache curl");
  EXPECT_EQ(df->stages[0].instructions[1].keyword, "USER");
  EXPECT_EQ(df->stages[0].instructions[1].line, 6u);
}

TEST(Dockerfile, InvalidJsonFallsBackToShellForm) {
  Result<Dockerfile> df = parseDockerfile("FROM a\nCMD [\"node\", 1]\n");
  ASSERT_TRUE(df.isOk());
  EXPECT_FALSE(df->stages[0].instructions[0].json_form);
  EXPECT_EQ(df->stages[0].instructions[0].args.size(), 2u);
}

TEST(Dockerfile, FromArgs) {
  Result<ImageRef> r = parseFromArgs("--platform=linux/amd64 registry:5000/team/app:1.2@sha256:ab AS Final");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->image, "registry:5000/team/app");
  EXPECT_EQ(r->tag, "1.2");
  EXPECT_EQ(r->digest, "sha256:ab");
  EXPECT_EQ(r->stage_name, "final");
  Result<ImageRef> port_only = parseFromArgs("registry:5000/app");
  ASSERT_TRUE(port_only.isOk());
  EXPECT_EQ(port_only->image, "registry:5000/app");
  EXPECT_EQ(port_only->tag, "");
  EXPECT_FALSE(parseFromArgs("node AS").isOk());
  EXPECT_FALSE(parseFromArgs("node:").isOk());
  EXPECT_FALSE(parseFromArgs("").isOk());
}

TEST(Dockerfile, RefusalsNameTheLine) {
  Result<Dockerfile> heredoc = parseDockerfile(fixture("heredoc.Dockerfile"));
  ASSERT_FALSE(heredoc.isOk());
  EXPECT_EQ(heredoc.status().message().rfind("line 2: RUN uses a heredoc", 0), 0u)
      << heredoc.status().message();

  Result<Dockerfile> unknown = parseDockerfile("FROM a\n\nRUNN echo\n");
  ASSERT_FALSE(unknown.isOk());
  EXPECT_EQ(unknown.status().message(), "line 3: unknown instruction \"RUNN\"");

  Result<Dockerfile> early = parseDockerfile("# hi\nRUN echo\nFROM a\n");
  ASSERT_FALSE(early.isOk());
  EXPECT_EQ(early.status().message(), "line 2: RUN before the first FROM (only ARG may come first)");

  Result<Dockerfile> none = parseDockerfile("ARG X=1\n# only comments\n");
  ASSERT_FALSE(none.isOk());
  EXPECT_EQ(none.status().message(), "no FROM instruction");

  Result<Dockerfile> escape = parseDockerfile("# escape=x\nFROM a\n");
  ASSERT_FALSE(escape.isOk());
  EXPECT_EQ(escape.status().message().rfind("line 1: escape directive", 0), 0u);

  // Shell arithmetic is not a heredoc.
  EXPECT_TRUE(parseDockerfile("FROM a\nRUN echo $((1<<2))\n").isOk());
}

TEST(Dockerfile, Bounded) {
  std::string big = "FROM a\n" + std::string(kMaxDockerfileBytes, '#');
  Result<Dockerfile> r = parseDockerfile(big);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("larger than"), std::string::npos);
  std::string many = "FROM a\n";
  for (size_t i = 0; i <= kMaxInstructions; ++i) many += "ENV A=1\n";
  Result<Dockerfile> m = parseDockerfile(many);
  ASSERT_FALSE(m.isOk());
  EXPECT_NE(m.status().message().find("more than 10000 instructions"), std::string::npos);
  EXPECT_FALSE(parseDockerfile(std::string_view("FROM a\0", 7)).isOk());
}

}  // namespace
}  // namespace shipgate::policy
