// skip_probe: a gtest binary whose outcome is chosen by $SKIP_PROBE, for ctest_skip_test. One
// test always passes; with "skip" in $SKIP_PROBE another calls GTEST_SKIP, with "fail" a third
// fails.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace {

bool wants(const char* word) {
  const char* mode = std::getenv("SKIP_PROBE");
  return mode && std::string(mode).find(word) != std::string::npos;
}

TEST(Probe, Passes) { SUCCEED(); }
TEST(Probe, Skips) {
  if (wants("skip")) GTEST_SKIP() << "asked to skip";
}
TEST(Probe, Fails) {
  if (wants("fail")) FAIL() << "asked to fail";
}

}  // namespace
