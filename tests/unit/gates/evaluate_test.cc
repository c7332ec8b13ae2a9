#include "shipgate/gates/evaluate.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace shipgate::gates {
namespace {

namespace fs = std::filesystem;

GateWording wording(std::string_view text) {
  GateWording w;
  WordingError e;
  EXPECT_TRUE(parseGateWording(text, w, e)) << e.message;
  return w;
}

TEST(EvaluateGate, CoverageLinesAndBranches) {
  CoverageSummary c;
  c.format = "lcov";
  c.lines_found = 1000;
  c.lines_hit = 834;
  c.branches_found = 200;
  c.branches_hit = 120;
  GateVerdict v = evaluateReport("unit_tests", wording("> 80% coverage"), c);
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.gate, "unit_tests");
  EXPECT_DOUBLE_EQ(v.measured, 83.4);
  EXPECT_EQ(v.measured_text, "83.4% of lines (834/1000)");
  EXPECT_EQ(v.threshold_text, "> 80%");
  EXPECT_EQ(v.reason, "lines covered 83.4%, needs > 80%");
  GateVerdict b = evaluateReport("unit_tests", wording("> 80% branch coverage"), c);
  EXPECT_FALSE(b.pass);
  EXPECT_EQ(b.measured_text, "60% of branches (120/200)");
  c.lines_hit = 800;  // exactly 80% is not > 80%
  EXPECT_FALSE(evaluateReport("unit_tests", wording("> 80% coverage"), c).pass);
  CoverageSummary empty;
  empty.format = "cobertura";
  GateVerdict e = evaluateReport("unit_tests", wording("> 80% coverage"), empty);
  EXPECT_FALSE(e.pass);
  EXPECT_EQ(e.reason, "the cobertura report has no lines");
}

TEST(EvaluateGate, PassRateCountsSkippedByTheRule) {
  TestSummary t;
  t.tests = 6; t.passed = 5; t.skipped = 1;
  GateVerdict v = evaluateReport("integration_tests", wording("100% pass rate"), t);
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.measured_text, "100% (5 passed, 0 failed, 0 errors, 1 skipped)");
  t.passed = 4; t.failures = 1; t.failed = {"cart.applies a coupon"};
  v = evaluateReport("integration_tests", wording("100% pass rate"), t);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.reason, "pass rate 80%, needs >= 100%; first failed: cart.applies a coupon");
  TestSummary all_skipped;
  all_skipped.tests = 3; all_skipped.skipped = 3;
  v = evaluateReport("integration_tests", wording("100% pass rate"), all_skipped);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.reason, "every test was skipped (0 passed, 0 failed, 0 errors, 3 skipped)");
  EXPECT_EQ(evaluateReport("integration_tests", wording("100% pass rate"), TestSummary{}).reason,
            "the report has no tests");
}

TEST(EvaluateGate, Vulnerabilities) {
  VulnerabilitySummary s;
  s.format = "trivy";
  s.counts[static_cast<int>(Severity::kMedium)] = 4;
  GateVerdict v = evaluateReport("security_scan", wording("0 high/critical vulnerabilities"), s);
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.measured_text, "0 high/critical (trivy)");
  EXPECT_EQ(v.threshold_text, "<= 0 high/critical");
  s.counts[static_cast<int>(Severity::kCritical)] = 1;
  s.findings = {{"CVE-2023-45853", "zlib1g", Severity::kCritical}};
  v = evaluateReport("security_scan", wording("0 high/critical vulnerabilities"), s);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.measured, 1);
  EXPECT_EQ(v.reason,
            "1 high/critical vulnerabilities, allowed <= 0 high/critical; e.g. CVE-2023-45853 in "
            "zlib1g (critical)");
}

TEST(EvaluateGate, Accessibility) {
  AccessibilitySummary a;
  a.pages = 1;
  a.violations = {{"region", "moderate", "http://x/", {"best-practice"}, 1},
                  {"autocomplete-valid", "serious", "http://x/pay", {"wcag21aa", "wcag135"}, 2}};
  GateVerdict v = evaluateReport("accessibility", wording("WCAG 2.1 AA compliance"), a);
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.measured_text, "1 violations (2 elements) on 1 page");
  EXPECT_EQ(v.reason, "1 violations; first: autocomplete-valid on http://x/pay");
  EXPECT_EQ(v.threshold_text, "0 violations of WCAG 2.1 AA");
  EXPECT_TRUE(evaluateReport("accessibility", wording("WCAG 2.0 AA compliance"), a).pass);
}

TEST(EvaluateGate, WrongReportForTheGate) {
  GateVerdict v = evaluateReport("unit_tests", wording("> 80% coverage"), TestSummary{});
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.reason, "a JUnit report cannot measure this gate; it needs a coverage report (lcov, cobertura)");
}

TEST(EvaluateGate, Approval) {
  GateWording w = wording("Required for production");
  GateVerdict v = evaluateApproval("manual_approval", w, "staging", "");
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.reason, "not required for staging");
  v = evaluateApproval("manual_approval", w, "Production", "");
  EXPECT_FALSE(v.pass);
  EXPECT_EQ(v.reason, "deploying to Production needs an approval");
  v = evaluateApproval("manual_approval", w, "production", "alice");
  EXPECT_TRUE(v.pass);
  EXPECT_EQ(v.measured_text, "approved by alice");
}

class SizeGate : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("gates_size_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "static/js");
    fs::create_directories(root_ / "static/css");
    // Text that compresses well, and random bytes that do not.
    std::string text;
    for (int i = 0; text.size() < 300000; ++i) text += "function f" + std::to_string(i % 50) + "(){return 1}\n";
    write("static/js/main.3f2a.js", text.substr(0, 300000));
    std::mt19937 rng(7);
    std::string noise(120000, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    write("static/js/vendor.9c1d.js", noise);
    write("static/css/main.css", "body{color:red}\n");
    write("index.html", "<html></html>");
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& rel, const std::string& data) {
    std::ofstream(root_ / rel, std::ios::binary) << data;
  }
  fs::path root_;
};

TEST_F(SizeGate, GlobAndCompressions) {
  auto files = measureFiles(root_, "static/js/*.js");
  ASSERT_TRUE(files.isOk()) << files.status().toString();
  ASSERT_EQ(files->size(), 2u);
  EXPECT_EQ((*files)[0].path, "static/js/main.3f2a.js");
  EXPECT_EQ((*files)[0].raw, 300000u);
  EXPECT_LT((*files)[0].gzip, 30000u);
  EXPECT_LT((*files)[0].brotli, (*files)[0].gzip);
  EXPECT_EQ((*files)[1].raw, 120000u);
  EXPECT_GE((*files)[1].gzip, 120000u);  // random bytes do not compress

  GateWording w = wording("< 250KB main bundle");
  GateVerdict raw = evaluateSize("performance_budget", w, "static/js/*.js", *files, Compression::kRaw);
  EXPECT_FALSE(raw.pass);
  EXPECT_EQ(raw.reason, "static/js/main.3f2a.js is 300 KB (300,000 bytes) raw, budget < 250 KB (250,000 bytes)");
  GateVerdict gz = evaluateSize("performance_budget", w, "static/js/*.js", *files, Compression::kGzip);
  EXPECT_TRUE(gz.pass) << gz.reason;
  EXPECT_EQ(gz.reason, "2 files within < 250 KB (250,000 bytes) gzip");

  auto main_only = measureFiles(root_, "**/main.*");
  ASSERT_TRUE(main_only.isOk());
  ASSERT_EQ(main_only->size(), 2u);
  EXPECT_EQ((*main_only)[0].path, "static/css/main.css");

  auto none = measureFiles(root_, "dist/*.js");
  ASSERT_TRUE(none.isOk());
  GateVerdict nv = evaluateSize("performance_budget", w, "dist/*.js", *none, Compression::kGzip);
  EXPECT_FALSE(nv.pass);
  EXPECT_EQ(nv.reason, "\"dist/*.js\" matched no file");

  auto missing = measureFiles(root_ / "nope", "*");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(), (root_ / "nope").string() + ": not a directory");
}

TEST(Glob, Matching) {
  EXPECT_TRUE(globMatch("*.js", "main.js"));
  EXPECT_FALSE(globMatch("*.js", "static/main.js"));
  EXPECT_TRUE(globMatch("**/*.js", "main.js"));
  EXPECT_TRUE(globMatch("**/*.js", "static/js/main.js"));
  EXPECT_TRUE(globMatch("static/**", "static/js/main.js"));
  EXPECT_TRUE(globMatch("static/**/main.?.js", "static/main.a.js"));
  EXPECT_FALSE(globMatch("static/?", "static/ab"));
  EXPECT_FALSE(globMatch("static/*", "static/js/a"));
  EXPECT_FALSE(globMatch(std::string(40, '*') + "x", std::string(60, 'a')));
}

TEST(Sizes, KnownCompressedSizes) {
  EXPECT_EQ(gzipSize(""), 20u);  // 10-byte header, empty deflate block, 8-byte trailer
  EXPECT_EQ(brotliSize(""), 1u);
  Compression c;
  EXPECT_TRUE(parseCompression("brotli", c));
  EXPECT_EQ(c, Compression::kBrotli);
  EXPECT_FALSE(parseCompression("zstd", c));
}

}  // namespace
}  // namespace shipgate::gates
