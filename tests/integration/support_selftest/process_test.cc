// Self-tests of the process, port and temp-dir fixtures against real child processes and sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"

namespace testsupport {
namespace {

using std::chrono::milliseconds;

bool pidAlive(pid_t pid) { return ::kill(pid, 0) == 0; }

TEST(ProcessTest, CapturesOutputAndExitCodeToFiles) {
  Process p(command({"/bin/sh", "-c", "echo out-line; echo err-line >&2; exit 3"}));
  ASSERT_TRUE(p.start());
  EXPECT_EQ(p.wait(milliseconds(10000)), 3);
  EXPECT_FALSE(p.isRunning());
  EXPECT_EQ(p.stdoutText(), "out-line\n");
  EXPECT_EQ(p.stderrText(), "err-line\n");
}

TEST(ProcessTest, CapturesOutputToPipes) {
  ProcessOptions o;
  o.argv = {"sh", "-c", "printf 'a%.0s' $(seq 1 100000); echo E >&2"};
  o.stdout_capture = Capture::kPipe;
  o.stderr_capture = Capture::kPipe;
  Process p(o);
  ASSERT_TRUE(p.start());
  EXPECT_EQ(p.wait(milliseconds(20000)), 0);
  EXPECT_EQ(p.stdoutText(), std::string(100000, 'a'));
  EXPECT_EQ(p.stderrText(), "E\n");
}

TEST(ProcessTest, PassesEnvironmentAndWorkingDirectory) {
  TempDir dir;
  ASSERT_TRUE(dir.ok()) << dir.error();
  ProcessOptions o;
  o.argv = {"/bin/sh", "-c", "echo \"$SG_VALUE\"; pwd; echo \"${HOME-unset}\""};
  o.env = {{"SG_VALUE", "hello there"}};
  o.unset_env = {"HOME"};
  o.cwd = dir.path();
  Process p(o);
  ASSERT_TRUE(p.start());
  ASSERT_EQ(p.wait(milliseconds(10000)), 0);
  EXPECT_EQ(p.stdoutText(),
            "hello there\n" + std::filesystem::canonical(dir.path()).string() + "\nunset\n");
}

TEST(ProcessTest, MissingBinaryFailsStartWithReason) {
  Process p(command({"/nonexistent/shipgate-no-such-binary"}));
  auto r = p.start();
  EXPECT_FALSE(r);
  EXPECT_NE(std::string(r.message()).find("No such file"), std::string::npos) << r.message();
  Process q(command({"shipgate-no-such-binary-in-path"}));
  auto r2 = q.start();
  EXPECT_FALSE(r2);
  EXPECT_NE(std::string(r2.message()).find("not found in PATH"), std::string::npos);
}

TEST(ProcessTest, TerminateStopsALongRunningChild) {
  Process p(command({"sleep", "300"}));
  ASSERT_TRUE(p.start());
  EXPECT_TRUE(p.isRunning());
  EXPECT_FALSE(p.wait(milliseconds(50)).has_value());
  p.terminate();
  EXPECT_EQ(p.wait(milliseconds(10000)), 128 + SIGTERM);
  EXPECT_FALSE(p.isRunning());
}

TEST(ProcessTest, KillHitsAChildThatIgnoresSigterm) {
  Process p(command({"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}));
  ASSERT_TRUE(p.start());
  ASSERT_TRUE(p.waitForOutput("ready", milliseconds(10000))) << p.describe();
  p.terminate();
  EXPECT_FALSE(p.wait(milliseconds(300)).has_value());
  p.kill();
  EXPECT_EQ(p.wait(milliseconds(10000)), 128 + SIGKILL);
}

TEST(ProcessTest, DestructorStopsTheWholeProcessGroup) {
  pid_t leader = -1;
  pid_t grandchild = -1;
  {
    Process p(command({"/bin/sh", "-c", "sleep 300 & echo $!; wait"}));
    ASSERT_TRUE(p.start());
    leader = p.pid();
    ASSERT_TRUE(p.waitForOutput("\n", milliseconds(10000))) << p.describe();
    grandchild = std::stoi(p.stdoutText());
    ASSERT_TRUE(pidAlive(grandchild));
  }
  // The grandchild was reparented (not our child), so poll until it is gone.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pidAlive(grandchild) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_FALSE(pidAlive(leader));
  EXPECT_FALSE(pidAlive(grandchild));
}

TEST(PortTest, FreePortIsBindableAndWaitForPortSeesAListener) {
  uint16_t port = freePort();
  ASSERT_NE(port, 0);
  EXPECT_FALSE(portAccepts(port));
  EXPECT_FALSE(waitForPort(port, milliseconds(100)));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  EXPECT_TRUE(waitForPort(port, milliseconds(1000)));
  ::close(fd);
}

TEST(TempDirTest, CreatedAndRemovedWithContents) {
  std::string path;
  {
    TempDir dir("sg-selftest");
    ASSERT_TRUE(dir.ok()) << dir.error();
    path = dir.path();
    EXPECT_TRUE(std::filesystem::is_directory(path));
    std::string f = dir.writeFile("a/b/c.txt", "content");
    ASSERT_FALSE(f.empty());
    EXPECT_EQ(readFile(f), "content");
    TempDir moved = std::move(dir);
    EXPECT_EQ(moved.path(), path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(PathsTest, SourceAndBuildDirsPointAtTheTrees) {
  EXPECT_TRUE(std::filesystem::exists(sourceDir() + "/CMakeLists.txt")) << sourceDir();
  EXPECT_TRUE(std::filesystem::exists(buildDir() + "/CMakeCache.txt")) << buildDir();
}

}  // namespace
}  // namespace testsupport
