// Self-test of GatewayProcess's failure paths (the gateway's own behaviour is covered by the
// e2e tests): a missing binary and a binary that exits before listening fail start() with the
// reason and the process's output.
#include "support/gateway_process.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "support/net.h"

namespace testsupport {
namespace {

TEST(GatewayProcessTest, MissingBinaryFailsStart) {
  GatewayProcess::Options options;
  options.binary = "/nonexistent/shipgate";
  GatewayProcess gw(options);
  auto r = gw.start("server: {workers: 1}\n", {freePort()});
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("/nonexistent/shipgate"), std::string::npos)
      << r.message();
}

TEST(GatewayProcessTest, ExitBeforeListeningFailsStartWithOutputAndConfig) {
  // A stand-in binary that prints its arguments and the config, then exits 3.
  TempDir dir;
  std::string fake = dir.writeFile("fake-shipgate",
                                   "#!/bin/sh\necho \"args: $*\"\ncat \"$3\" >&2\nexit 3\n");
  ASSERT_EQ(::chmod(fake.c_str(), 0755), 0);
  GatewayProcess::Options options;
  options.binary = fake;
  GatewayProcess gw(options);
  auto r = gw.start("listeners: [{name: http, address: \"127.0.0.1:1\"}]\n", {freePort()});
  ASSERT_FALSE(r);
  std::string msg = r.message();
  EXPECT_NE(msg.find("exited with 3"), std::string::npos) << msg;
  EXPECT_NE(msg.find("args: serve --config " + gw.configPath()), std::string::npos) << msg;
  EXPECT_NE(gw.logs().find("listeners: [{name: http"), std::string::npos) << gw.logs();
  EXPECT_EQ(readFile(gw.configPath()), "listeners: [{name: http, address: \"127.0.0.1:1\"}]\n");
}

}  // namespace
}  // namespace testsupport
