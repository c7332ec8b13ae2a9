// `shipgate policy check` through the real binary: the findings in hadolint's style, exit codes
// 0 (clean or warnings only) / 1 (a finding at error level) / 2 (usage, unreadable or unparsable
// input), the --config policy and the OCI image config.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/paths.h"
#include "support/process.h"

namespace {

using testsupport::buildDir;
using testsupport::sourceDir;

testsupport::RunResult shipgate(std::vector<std::string> args) {
  args.insert(args.begin(), buildDir() + "/shipgate");
  return testsupport::runToEnd(std::move(args), std::chrono::seconds(30));
}

std::string fixture(const std::string& name) { return sourceDir() + "/tests/policy/" + name; }

TEST(PolicyCli, GoodDockerfileAndImageConfigPass) {
  auto r = shipgate({"policy", "check", "--dockerfile", fixture("good.Dockerfile"),
                     "--image-config", fixture("image_node.json"), "--config",
                     sourceDir() + "/examples/coinestate/shipgate.yaml"});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("0 finding(s), 0 at error level"), std::string::npos) << r.err;
}

TEST(PolicyCli, BadDockerfileFindingsExitOne) {
  std::string df = fixture("bad.Dockerfile");
  auto r = shipgate({"policy", "check", "--dockerfile", df});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_EQ(r.out,
            df + ":1 SG3002 warning base image ubuntu:22.04 is not pinned by digest "
                 "(ubuntu:22.04@sha256:...)\n" +
            df + ":2 SG3004 error apt-get install without --no-install-recommends "
                 "(container_security.minimal_packages)\n" +
            df + ":6 SG3002 warning base image node:18-alpine is not pinned by digest "
                 "(node:18-alpine@sha256:...)\n" +
            df + ":8 SG3005 error apk add without --no-cache "
                 "(container_security.minimal_packages)\n" +
            df + ":10 SG3003 error final stage runs as root (USER root) "
                 "(container_security.non_root_user)\n");
  EXPECT_NE(r.err.find("5 finding(s), 3 at error level"), std::string::npos) << r.err;

  auto json = shipgate({"policy", "check", "--dockerfile", df, "--json"});
  EXPECT_EQ(json.code, 1);
  EXPECT_NE(json.out.find("\"code\": \"SG3005\""), std::string::npos) << json.out;
}

TEST(PolicyCli, WarningsOnlyExitZero) {
  testsupport::TempDir dir;
  std::string df = dir.writeFile("Dockerfile", "FROM node:18-alpine\nUSER node\n");
  auto r = shipgate({"policy", "check", "--dockerfile", df});
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, df + ":1 SG3002 warning base image node:18-alpine is not pinned by digest "
                        "(node:18-alpine@sha256:...)\n");
}

TEST(PolicyCli, ImageConfigRunningAsRoot) {
  auto r = shipgate({"policy", "check", "--dockerfile", fixture("good.Dockerfile"),
                     "--image-config", fixture("image_root.json")});
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.out.find(fixture("image_root.json") + ":1 SG3006 error config.User is not set"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find(fixture("good.Dockerfile") + ":15 SG3007 error USER node disagrees"),
            std::string::npos)
      << r.out;
}

TEST(PolicyCli, ConfigBlockIsThePolicy) {
  // The config's container_security: turns the user and package checks off and asks for another
  // base image: only the base image and the digest pins remain.
  testsupport::TempDir dir;
  std::string cfg = dir.writeFile(
      "shipgate.yaml",
      "container_security:\n  base_image: \"ubuntu:22.04\"\n  non_root_user: false\n"
      "  minimal_packages: false\n");
  std::string df = fixture("bad.Dockerfile");
  auto r = shipgate({"policy", "check", "--dockerfile", df, "--config", cfg});
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(df + ":6 SG3001 error final stage is built on node:18-alpine, "
                            "container_security.base_image is ubuntu:22.04"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("3 finding(s), 1 at error level"), std::string::npos) << r.err;

  std::string bad_cfg =
      dir.writeFile("bad.yaml", "container_security:\n  non_root_user: maybe\n");
  auto b = shipgate({"policy", "check", "--dockerfile", df, "--config", bad_cfg});
  EXPECT_EQ(b.code, 2) << b.out << b.err;
}

TEST(PolicyCli, UnreadableOrUnparsableInputExitTwo) {
  auto missing = shipgate({"policy", "check", "--dockerfile", "/nonexistent/Dockerfile"});
  EXPECT_EQ(missing.code, 2);
  EXPECT_NE(missing.err.find("/nonexistent/Dockerfile: cannot open"), std::string::npos)
      << missing.err;

  std::string heredoc = fixture("heredoc.Dockerfile");
  auto h = shipgate({"policy", "check", "--dockerfile", heredoc});
  EXPECT_EQ(h.code, 2);
  EXPECT_NE(h.err.find(heredoc + ":2: error: RUN uses a heredoc"), std::string::npos) << h.err;

  testsupport::TempDir dir;
  std::string bad_json = dir.writeFile("config.json", "{not json");
  auto j = shipgate({"policy", "check", "--dockerfile", fixture("good.Dockerfile"),
                     "--image-config", bad_json});
  EXPECT_EQ(j.code, 2);
  EXPECT_NE(j.err.find(bad_json + ": not valid JSON"), std::string::npos) << j.err;

  auto usage = shipgate({"policy", "check"});
  EXPECT_EQ(usage.code, 2);
  EXPECT_NE(usage.err.find("--dockerfile is required"), std::string::npos) << usage.err;
}

}  // namespace
