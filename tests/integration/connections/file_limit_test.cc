// `shipgate check` and `shipgate serve` under a low open-file limit (set with `ulimit -n` in a
// shell that then execs the binary): a max_connections that cannot fit is a located warning in
// `check` and a warning at start; one that fits is not; and out of descriptors, a new client is
// still answered.
#include <sys/stat.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace conncap {
namespace {

using namespace std::chrono_literals;

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

// `shipgate ARGS` with the soft and hard open-file limits at `files`.
CliRun underFileLimit(int files, const std::string& args) {
  testsupport::Process p(testsupport::command(
      {"/bin/sh", "-c",
       "ulimit -n " + std::to_string(files) + " && exec \"" + testsupport::buildDir() +
           "/shipgate\" " + args}));
  CliRun r;
  if (!p.start()) return r;
  auto code = p.wait(60s);
  r.exit_code = code ? *code : -1;
  r.out = p.stdoutText();
  r.err = p.stderrText();
  return r;
}

std::string config(int max_connections) {
  return "server:\n  workers: 1\n  limits:\n    max_connections: " +
         std::to_string(max_connections) +
         "\nlisteners: [{name: http, address: \"127.0.0.1:0\"}]\n";
}

TEST(FileLimit, CheckWarnsAtMaxConnectionsWhenTheyCannotFit) {
  testsupport::TempDir dir("sg-nofile");
  std::string over = dir.writeFile("over.yaml", config(1000));
  CliRun r = underFileLimit(256, "check --config " + over);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;  // a warning, not an error
  EXPECT_NE(r.out.find("OK (1 warning(s))"), std::string::npos) << r.out << r.err;
  // Located at the max_connections value (line 4, column 22), naming the limit and the need.
  EXPECT_NE(r.err.find("over.yaml:4:22: warning: server.limits.max_connections: 1000 connections "
                       "need about 1067 open files"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("open-file limit (what `serve` raises its soft limit to) is 256"),
            std::string::npos)
      << r.err;

  std::string fits = dir.writeFile("fits.yaml", config(100));
  CliRun ok = underFileLimit(256, "check --config " + fits);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_NE(ok.out.find("OK (0 warning(s))"), std::string::npos) << ok.out << ok.err;
  EXPECT_EQ(ok.err.find("max_connections"), std::string::npos) << ok.err;
}

TEST(FileLimit, ServeWarnsAtStartWhenMaxConnectionsCannotFit) {
  testsupport::TempDir dir("sg-nofile-serve");
  uint16_t http = testsupport::freePort();
  std::string wrapper = dir.writeFile(
      "shipgate-256", "#!/bin/sh\nulimit -n 256 && exec \"" + testsupport::buildDir() +
                          "/shipgate\" \"$@\"\n");
  ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
  testsupport::GatewayProcess::Options options;
  options.binary = wrapper;
  testsupport::GatewayProcess gw(options);
  ASSERT_TRUE(gw.start("server:\n  workers: 1\n  allow_root: true\n  limits: {max_connections: "
                       "1000}\nlisteners: [{name: http, address: \"127.0.0.1:" +
                           std::to_string(http) + "\"}]\n",
                       {http}));
  EXPECT_TRUE(gw.waitForLog("max_connections: 1000 connections need about 1067 open files", 5s))
      << gw.logs();
  EXPECT_TRUE(gw.waitForLog("the open-file limit is 256", 1s)) << gw.logs();
}

// Out of file descriptors (max_connections far above a limit of 64), a new client is answered:
// the gateway closes its oldest silent connection to accept it, instead of leaving it waiting in
// the kernel's queue. No site matches, so the answer (404) needs no further descriptor.
TEST(FileLimit, OutOfFileDescriptorsASilentConnectionMakesRoom) {
  testsupport::TempDir dir("sg-nofile-emfile");
  uint16_t http = testsupport::freePort();
  std::string wrapper = dir.writeFile(
      "shipgate-64", "#!/bin/sh\nulimit -n 64 && exec \"" + testsupport::buildDir() +
                         "/shipgate\" \"$@\"\n");
  ASSERT_EQ(::chmod(wrapper.c_str(), 0755), 0);
  testsupport::GatewayProcess::Options options;
  options.binary = wrapper;
  testsupport::GatewayProcess gw(options);
  ASSERT_TRUE(gw.start("server:\n  workers: 1\n  allow_root: true\n  limits: {max_connections: "
                       "1000, first_byte_timeout: 60s}\nlisteners: [{name: http, address: "
                       "\"127.0.0.1:" + std::to_string(http) + "\"}]\n",
                       {http}));
  std::vector<std::unique_ptr<testsupport::RawHttpClient>> silent;
  for (int i = 0; i < 100; ++i) {
    silent.push_back(std::make_unique<testsupport::RawHttpClient>());
    ASSERT_TRUE(silent.back()->connect(http));
  }
  auto r = testsupport::httpGet(http, "/", {{"Host", "nosite.test"}}, 5s);
  EXPECT_EQ(r.status, 404) << r.error << "\n" << gw.logs();
  EXPECT_TRUE(silent.front()->waitForClose(5s)) << "the oldest silent connection made room";
}

}  // namespace
}  // namespace conncap
