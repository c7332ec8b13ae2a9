// The error log under load: threads logging at once never wait for a stuck sink or for each
// other, every line arrives whole and counted, and pending lines are written by flush().
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "shipgate/common/log.h"
#include "support/threads.h"

namespace shipgate::log {
namespace {

// Reads fd until EOF into out.
void readAll(int fd, std::string* out) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n <= 0) return;
    out->append(buf, static_cast<size_t>(n));
  }
}

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

TEST(ErrorLogTest, WarningsDoNotWaitForAStuckSinkAndAllArriveWhole) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  // Fill the pipe: a sink nobody reads, as a stuck terminal or a full disk would be.
  int flags = fcntl(p[1], F_GETFL);
  fcntl(p[1], F_SETFL, flags | O_NONBLOCK);
  std::string fill(65536, 'x');
  size_t filled = 0;
  for (;;) {
    ssize_t n = ::write(p[1], fill.data(), fill.size());
    if (n <= 0) break;
    filled += static_cast<size_t>(n);
  }
  ASSERT_TRUE(openErrorLog("/proc/self/fd/" + std::to_string(p[1])));

  constexpr int kThreads = 4;
  constexpr int kLines = 2000;
  // The workers finish although nothing can be written (the old writer blocked in fflush here).
  auto done = std::async(std::launch::async, [] {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        for (int i = 0; i < kLines; ++i) {
          warn("waf: blocked request thread=" + std::to_string(t) + " n=" + std::to_string(i) +
               " end");
        }
      });
    }
    for (auto& th : threads) th.join();
  });
  ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready);

  std::string got;
  std::thread reader([&] { readAll(p[0], &got); });
  flush();
  ASSERT_TRUE(openErrorLog(""));  // back to stderr: closes the pipe's log descriptor
  close(p[1]);
  reader.join();
  close(p[0]);
  std::string lines = got.substr(filled);
  EXPECT_EQ(count(lines, "[warn] waf: blocked request thread="), size_t{kThreads * kLines});
  EXPECT_EQ(count(lines, " end\n"), size_t{kThreads * kLines});
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(count(lines, "thread=" + std::to_string(t) + " n=" + std::to_string(kLines - 1) +
                               " end\n"),
              1u);
  }
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// An idle process is not woken by its log: once a pass finds nothing to write, the writer sleeps
// until a line arrives (before, it woke every 20 ms, 25 times in this half second), and the first
// line after that is written without anyone calling flush().
TEST(ErrorLogTest, AnIdleWriterSleepsUntilALineArrives) {
  char path[] = "/tmp/sg-error-log-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  ASSERT_TRUE(openErrorLog(path));
  warn("before the quiet");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // written, then a pass with none
  const long before = testsupport::voluntarySwitches("sg-log");
  ASSERT_GE(before, 0) << "no thread named sg-log";
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const long woken = testsupport::voluntarySwitches("sg-log") - before;
  EXPECT_LE(woken, 2) << "the log writer woke " << woken
                      << " times in 500 ms with nothing to write";

  warn("after the quiet");
  bool arrived = false;
  for (int i = 0; i < 500 && !arrived; ++i) {
    arrived = readFile(path).find("after the quiet") != std::string::npos;
    if (!arrived) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(arrived) << "the first line after the quiet was not written within 5 s:\n"
                       << readFile(path);
  EXPECT_NE(readFile(path).find("before the quiet"), std::string::npos);
  ASSERT_TRUE(openErrorLog(""));
  ::unlink(path);
}

}  // namespace
}  // namespace shipgate::log
