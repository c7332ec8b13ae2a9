// RotatingLog on real files.
#include "shipgate/runtime/rotating_log.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "support/paths.h"

namespace shipgate::runtime {
namespace {

namespace fs = std::filesystem;
using testsupport::readFile;

TEST(RotatingLogTest, NeverExceedsMaxBytesAndKeepsKeepFiles) {
  testsupport::TempDir dir("rotating-log");
  std::string path = dir.file("r.log");
  RotatingLog log(path, 100, 2);
  ASSERT_TRUE(log.open().isOk());
  std::string all;
  for (int i = 0; i < 40; ++i) {
    std::string line = "line " + std::to_string(i) + " " + std::string(20, 'x') + "\n";
    log.write(line);
    all += line;
  }
  for (const std::string& p : {path, path + ".1", path + ".2"}) {
    ASSERT_TRUE(fs::exists(p)) << p;
    EXPECT_LE(fs::file_size(p), 100u) << p;
  }
  EXPECT_FALSE(fs::exists(path + ".3"));
  // The three files are the newest, contiguous suffix of what was written.
  std::string kept = readFile(path + ".2") + readFile(path + ".1") + readFile(path);
  ASSERT_LE(kept.size(), all.size());
  EXPECT_EQ(all.substr(all.size() - kept.size()), kept);
  EXPECT_EQ(log.tail(2), "line 38 " + std::string(20, 'x') + "\nline 39 " +
                             std::string(20, 'x'));
}

TEST(RotatingLogTest, ALineLongerThanTheLimitIsSplitAndReopeningAppends) {
  testsupport::TempDir dir("rotating-log");
  std::string path = dir.file("r.log");
  {
    RotatingLog log(path, 64, 2);
    ASSERT_TRUE(log.open().isOk());
    log.write("short\n");
    log.write(std::string(100, 'y'));
    // "short" alone (the long line starts a fresh file), then 64 + 36 bytes of the long line.
    EXPECT_EQ(readFile(path + ".2"), "short\n");
    EXPECT_EQ(readFile(path + ".1"), std::string(64, 'y'));
    EXPECT_EQ(readFile(path), std::string(36, 'y'));
  }
  std::string before = readFile(path);
  RotatingLog again(path, 64, 2);
  ASSERT_TRUE(again.open().isOk());
  again.write("z");
  EXPECT_EQ(readFile(path), before + "z");
}

TEST(RotatingLogTest, KeepZeroKeepsOnlyTheCurrentFile) {
  testsupport::TempDir dir("rotating-log");
  std::string path = dir.file("r.log");
  RotatingLog log(path, 50, 0);
  ASSERT_TRUE(log.open().isOk());
  for (int i = 0; i < 20; ++i) log.write("0123456789\n");
  EXPECT_FALSE(fs::exists(path + ".1"));
  EXPECT_LE(fs::file_size(path), 50u);
  EXPECT_GT(fs::file_size(path), 0u);
}

}  // namespace
}  // namespace shipgate::runtime
