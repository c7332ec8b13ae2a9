// ctest reports a gtest run that skipped tests as skipped, not passed, and a run that skipped
// and failed as failed: every gtest ctest registers carries the same SKIP_REGULAR_EXPRESSION
// (read from this build with `ctest --show-only=json-v1`), and that expression, set on a scratch
// ctest project around the real skip_probe gtest binary, gives the right verdict for each mix.
#include <fstream>
#include <map>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/paths.h"
#include "support/process.h"

namespace {

using namespace std::chrono_literals;

struct Outcome {
  int code = -1;
  std::string out;
};

Outcome run(std::vector<std::string> argv) {
  testsupport::ProcessOptions o = testsupport::command(std::move(argv));
  testsupport::Process p(o);
  Outcome r;
  if (!p.start()) return r;
  auto code = p.wait(120s);
  r.code = code ? *code : -1;
  r.out = p.stdoutText() + p.stderrText();
  return r;
}

// The SKIP_REGULAR_EXPRESSION of every gtest of this build, by test name ("" when unset); tests
// labelled fuzz or arch are scripts and replayers, not gtest binaries, and are left out.
std::map<std::string, std::string> skipExpressions(std::string* error) {
  Outcome r = run({"ctest", "--test-dir", testsupport::buildDir(), "--show-only=json-v1"});
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (r.code != 0 || !j.is_object()) {
    *error = "ctest --show-only failed: " + r.out;
    return {};
  }
  std::map<std::string, std::string> out;
  for (const auto& t : j["tests"]) {
    std::string expr;
    bool script = false;  // fuzz corpus replays and the arch checks are not gtest binaries
    for (const auto& p : t.value("properties", nlohmann::json::array())) {
      if (p["name"] == "SKIP_REGULAR_EXPRESSION" && p["value"].is_array() && !p["value"].empty()) {
        expr = p["value"][0].get<std::string>();
      }
      if (p["name"] == "LABELS" && p["value"].is_array()) {
        for (const auto& label : p["value"]) {
          if (label == "fuzz" || label == "arch") script = true;
        }
      }
    }
    if (!script) out[t["name"].get<std::string>()] = expr;
  }
  return out;
}

TEST(CtestSkip, EveryGtestReportsSkipsAsSkippedAndFailuresAsFailed) {
  std::string error;
  auto exprs = skipExpressions(&error);
  ASSERT_FALSE(exprs.empty()) << error;
  std::string expr;
  for (const auto& [name, e] : exprs) {
    EXPECT_FALSE(e.empty()) << name << " has no SKIP_REGULAR_EXPRESSION";
    if (expr.empty()) expr = e;
    EXPECT_EQ(e, expr) << name;
  }
  ASSERT_FALSE(expr.empty());
  ASSERT_TRUE(exprs.count("privilege_drop_test")) << "the root-only test is registered";

  // A scratch project: the real probe binary in four mixes, with the build's expression.
  testsupport::TempDir dir("sg-ctest-skip");
  std::string probe = testsupport::buildDir() + "/tests/integration/support_selftest/skip_probe";
  const std::map<std::string, std::string> want = {
      {"none", "Passed"}, {"skip", "Skipped"}, {"fail", "Failed"}, {"skip+fail", "Failed"}};
  std::string cml = "cmake_minimum_required(VERSION 3.16)\nproject(probe NONE)\nenable_testing()\n";
  int n = 0;
  std::map<std::string, std::string> names;
  for (const auto& [mode, verdict] : want) {
    std::string name = "probe" + std::to_string(n++);
    names[name] = mode;
    cml += "add_test(NAME " + name + " COMMAND env SKIP_PROBE=" + mode + " " + probe + ")\n";
    cml += "set_tests_properties(" + name + " PROPERTIES SKIP_REGULAR_EXPRESSION [==[" + expr +
           "]==])\n";
  }
  dir.writeFile("CMakeLists.txt", cml);
  Outcome configure = run({"cmake", "-S", dir.path(), "-B", dir.file("b")});
  ASSERT_EQ(configure.code, 0) << configure.out;
  Outcome ctest = run({"ctest", "--test-dir", dir.file("b")});
  for (const auto& [name, mode] : names) {
    // "1/4 Test #1: probe0 .....   Passed    0.01 sec" / "***Skipped" / "***Failed"
    size_t at = ctest.out.find(" " + name + " ");
    ASSERT_NE(at, std::string::npos) << ctest.out;
    std::string line = ctest.out.substr(at, ctest.out.find('\n', at) - at);
    EXPECT_NE(line.find(want.at(mode)), std::string::npos)
        << "SKIP_PROBE=" << mode << " should be " << want.at(mode) << ": " << line << "\n"
        << ctest.out;
  }
}

}  // namespace
