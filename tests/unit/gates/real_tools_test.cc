// The report readers on files written by the real tools, run here in the test: lcov over a gcov
// build, coverage.py's Cobertura XML, and jest with jest-junit (tests/js's node_modules). The
// programs below are small enough that the expected counts are worked out by hand in the
// comments; a reader that miscounts, or a tool whose format moved, fails here. A missing tool
// fails the test (scripts/install-deps.sh test installs gcc, lcov, python3-coverage and npm's
// jest); nothing is skipped.
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "shipgate/gates/evaluate.h"
#include "shipgate/gates/reports.h"
#include "support/paths.h"

namespace {

using namespace shipgate::gates;
using testsupport::TempDir;

// Runs `script` with /bin/sh in `dir`; returns its exit status (-1 when it did not exit).
int sh(const std::string& dir, const std::string& script) {
  std::string cmd = "cd '" + dir + "' && { " + script + "; } >tool-output.txt 2>&1";
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// The same small program in C and in Python: classify() with two early returns never taken,
// never() never called, and one `if` in main that is never true.
constexpr const char* kProgramC = R"(#include <stdio.h>
static int classify(int n) {
  if (n < 0) {
    return -1;
  }
  if (n == 0) {
    return 0;
  }
  return 1;
}
static void never(void) {
  puts("never");
  puts("called");
}
int main(int argc, char** argv) {
  (void)argv;
  int s = classify(argc) + classify(5);
  if (argc > 100) never();
  printf("%d\n", s);
  return 0;
}
)";

constexpr const char* kProgramPy = R"(import sys


def classify(n):
    if n < 0:
        return -1
    if n == 0:
        return 0
    return 1


def never():
    print("never")
    print("called")


total = classify(len(sys.argv)) + classify(5)
if len(sys.argv) > 100:
    never()
print(total)
)";

TEST(RealTools, LcovFromAGcovBuild) {
  TempDir dir("gates-lcov");
  ASSERT_TRUE(dir.ok()) << dir.error();
  dir.writeFile("prog.c", kProgramC);
  int rc = sh(dir.path(),
              "gcc --coverage -O0 prog.c -o prog && ./prog && "
              "lcov --quiet --capture --directory . --output-file lcov.info "
              "--rc lcov_branch_coverage=1");
  ASSERT_EQ(rc, 0) << "gcc/lcov failed (install-deps.sh test installs lcov):\n"
                   << testsupport::readFile(dir.file("tool-output.txt"));
  auto r = readReportFile(ReportKind::kLcov, dir.file("lcov.info"));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  const auto& c = std::get<CoverageSummary>(*r);
  EXPECT_EQ(c.files, 1);
  // gcov's executable lines: classify 2,3,4,6,7,9; never 11,12,13,14; main 15,17,18,19,20 = 15.
  // Not run: 4 and 7 (the early returns) and never()'s four lines: 15 - 6 = 9 hit.
  EXPECT_EQ(c.lines_found, 15);
  EXPECT_EQ(c.lines_hit, 9);
  // Three two-way branches (lines 3, 6, 18), each taken one way only.
  EXPECT_EQ(c.branches_found, 6);
  EXPECT_EQ(c.branches_hit, 3);
  EXPECT_DOUBLE_EQ(c.linePercent(), 60.0);
  EXPECT_DOUBLE_EQ(c.branchPercent(), 50.0);
}

TEST(RealTools, CoberturaFromCoveragePy) {
  TempDir dir("gates-cobertura");
  ASSERT_TRUE(dir.ok()) << dir.error();
  dir.writeFile("prog.py", kProgramPy);
  // Debian's interpreter and its python3-coverage, whatever python3 comes first on PATH.
  int rc = sh(dir.path(),
              "/usr/bin/python3 -m coverage run --branch --data-file=.cov prog.py && "
              "/usr/bin/python3 -m coverage xml --data-file=.cov -o coverage.xml");
  ASSERT_EQ(rc, 0) << "coverage.py failed (install-deps.sh test installs python3-coverage):\n"
                   << testsupport::readFile(dir.file("tool-output.txt"));
  auto r = readReportFile(ReportKind::kCobertura, dir.file("coverage.xml"));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  const auto& c = std::get<CoverageSummary>(*r);
  // Statements: import, def classify, if, return, if, return, return, def never, print, print,
  // total =, if, never(), print = 14. Not run: the two early returns, never()'s two prints and
  // the call to never() = 5, so 9 covered.
  EXPECT_EQ(c.lines_found, 14);
  EXPECT_EQ(c.lines_hit, 9);
  // Branch arcs: each of the three `if`s has two exits, one taken.
  EXPECT_EQ(c.branches_found, 6);
  EXPECT_EQ(c.branches_hit, 3);

  // The seed's wording on it: "> 80% coverage" fails at 64.29 %.
  GateWording w;
  WordingError err;
  ASSERT_TRUE(parseGateWording("> 80% coverage", w, err)) << err.message;
  GateVerdict v = evaluateReport("unit_tests", w, *r);
  EXPECT_FALSE(v.pass);
  EXPECT_NEAR(v.measured, 100.0 * 9 / 14, 1e-9);
}

TEST(RealTools, JunitFromJestJunit) {
  TempDir dir("gates-jest");
  ASSERT_TRUE(dir.ok()) << dir.error();
  std::string js = testsupport::sourceDir() + "/tests/js/node_modules";
  dir.writeFile("package.json", "{}\n");
  dir.writeFile("math.test.js", R"(const add = (a, b) => a + b;
describe('add', () => {
  test('adds', () => { expect(add(1, 2)).toBe(3); });
  test('adds negatives', () => { expect(add(-1, -2)).toBe(-3); });
  test('is broken on purpose', () => { expect(add(1, 1)).toBe(3); });
  test.skip('not yet', () => { expect(true).toBe(false); });
});
)");
  int rc = sh(dir.path(), "JEST_JUNIT_OUTPUT_DIR=. JEST_JUNIT_OUTPUT_NAME=junit.xml node '" + js +
                              "/jest/bin/jest.js' --ci --rootDir . --reporters=default "
                              "--reporters='" + js + "/jest-junit'");
  // jest exits 1: one test fails on purpose.
  ASSERT_EQ(rc, 1) << "jest did not run as expected (npm ci in tests/js installs it):\n"
                   << testsupport::readFile(dir.file("tool-output.txt"));
  auto r = readReportFile(ReportKind::kJunit, dir.file("junit.xml"));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  const auto& t = std::get<TestSummary>(*r);
  EXPECT_EQ(t.tests, 4);
  EXPECT_EQ(t.passed, 2);
  EXPECT_EQ(t.failures, 1);
  EXPECT_EQ(t.errors, 0);
  EXPECT_EQ(t.skipped, 1);
  EXPECT_EQ(t.failed, std::vector<std::string>{"add is broken on purpose.add is broken on purpose"});
  // Skipped tests are left out of the pass rate: 2 of the 3 that ran.
  EXPECT_NEAR(t.passRatePercent(), 200.0 / 3, 1e-9);
}

}  // namespace
