#include "shipgate/gates/reports.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace shipgate::gates {
namespace {

namespace fs = std::filesystem;

fs::path fixture(const std::string& name) {
  const char* src = std::getenv("SHIPGATE_SOURCE_DIR");
  EXPECT_NE(src, nullptr) << "SHIPGATE_SOURCE_DIR is not set";
  return fs::path(src ? src : ".") / "tests/unit/gates/fixtures" / name;
}

template <typename T>
T read(ReportKind kind, const std::string& name) {
  auto r = readReportFile(kind, fixture(name));
  EXPECT_TRUE(r.isOk()) << r.status().toString();
  if (!r.isOk() || !std::holds_alternative<T>(*r)) return T{};
  return std::get<T>(*r);
}

TEST(ReportKind, Names) {
  for (const char* n : {"lcov", "cobertura", "junit", "npm-audit", "sarif", "trivy", "axe"}) {
    ReportKind k;
    ASSERT_TRUE(parseReportKind(n, k)) << n;
    EXPECT_STREQ(reportKindName(k), n);
  }
  ReportKind k;
  EXPECT_FALSE(parseReportKind("junit-xml", k));
}

TEST(Lcov, JestTracefile) {
  auto c = read<CoverageSummary>(ReportKind::kLcov, "lcov.info");
  EXPECT_EQ(c.files, 2);
  EXPECT_EQ(c.lines_found, 10);
  EXPECT_EQ(c.lines_hit, 9);
  EXPECT_EQ(c.branches_found, 4);
  EXPECT_EQ(c.branches_hit, 1);
  EXPECT_DOUBLE_EQ(c.linePercent(), 90.0);
  EXPECT_DOUBLE_EQ(c.branchPercent(), 25.0);
}

TEST(Lcov, CountsFromDaAndBrdaWithoutTotals) {
  auto r = readLcov("SF:a.c\nDA:1,4\nDA:2,0\nDA:3,1.5e3\nBRDA:2,0,0,-\nBRDA:2,0,1,3\nend_of_record\n", "x.info");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->lines_found, 3);
  EXPECT_EQ(r->lines_hit, 2);
  EXPECT_EQ(r->branches_found, 2);
  EXPECT_EQ(r->branches_hit, 1);
}

TEST(Lcov, BadInput) {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"", "lcov.info: no SF: records: not an LCOV tracefile"},
      {"<html>\n", "lcov.info: line 1: expected KEY:VALUE or end_of_record, got \"<html>\""},
      {"SF:a.c\nLF:ten\n", "lcov.info: line 2: LF: \"ten\" is not a count"},
      {"SF:a.c\nLF:3\nLH:4\nend_of_record\n", "lcov.info: line 4: LH (4) is more than LF (3)"},
      {"LF:3\n", "lcov.info: line 1: LF: outside an SF: record"},
      {"SF:a.c\nSF:b.c\n", "lcov.info: line 2: SF: before the previous record's end_of_record"},
      {"end_of_record\n", "lcov.info: line 1: end_of_record without an SF: record"},
      {"SF:a.c\nDA:x,1\n", "lcov.info: line 2: DA: line number \"x\" is not a count"},
      {"SF:a.c\nBRDA:1,0,0,often\n", "lcov.info: line 2: BRDA: taken \"often\" is not a count or -"},
  };
  for (const Case& c : cases) {
    auto r = readLcov(c.text, "lcov.info");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(Cobertura, CoveragePy) {
  auto c = read<CoverageSummary>(ReportKind::kCobertura, "cobertura.xml");
  EXPECT_EQ(c.format, "cobertura");
  EXPECT_EQ(c.files, 2);
  EXPECT_EQ(c.lines_found, 240);
  EXPECT_EQ(c.lines_hit, 201);
  EXPECT_DOUBLE_EQ(c.linePercent(), 83.75);
  EXPECT_DOUBLE_EQ(c.branchPercent(), 62.5);
}

TEST(Cobertura, RatesOnly) {
  auto r = readCobertura("<coverage line-rate=\"0.5\" branch-rate=\"0.25\"/>", "c.xml");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_DOUBLE_EQ(r->linePercent(), 50);
  EXPECT_DOUBLE_EQ(r->branchPercent(), 25);
}

TEST(Cobertura, BadInput) {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"<coverage line-rate=\"0.5\">\n<packages>\n</coverage>",
       "c.xml: not well-formed XML at line 3: Start-end tags mismatch"},
      {"<report/>", "c.xml: root element is <report>, not Cobertura's <coverage>"},
      {"<coverage/>", "c.xml: <coverage> has neither lines-valid/lines-covered nor line-rate"},
      {"<coverage line-rate=\"1.5\"/>", "c.xml: line-rate=\"1.5\" is not a rate between 0 and 1"},
      {"<coverage lines-valid=\"10\" lines-covered=\"11\"/>",
       "c.xml: lines-covered (11) is more than lines-valid (10)"},
  };
  for (const Case& c : cases) {
    auto r = readCobertura(c.text, "c.xml");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(Junit, JestJunit) {
  auto t = read<TestSummary>(ReportKind::kJunit, "jest-junit.xml");
  EXPECT_EQ(t.tests, 6);
  EXPECT_EQ(t.passed, 4);
  EXPECT_EQ(t.failures, 1);
  EXPECT_EQ(t.errors, 0);
  EXPECT_EQ(t.skipped, 1);
  EXPECT_DOUBLE_EQ(t.passRatePercent(), 80.0);  // skipped left out: 4 / (6 - 1)
  ASSERT_EQ(t.failed.size(), 1u);
  EXPECT_EQ(t.failed[0], "cart applies a coupon.cart applies a coupon");
}

TEST(Junit, Pytest) {
  auto t = read<TestSummary>(ReportKind::kJunit, "pytest-junit.xml");
  EXPECT_EQ(t.tests, 5);
  EXPECT_EQ(t.passed, 3);
  EXPECT_EQ(t.errors, 1);
  EXPECT_EQ(t.skipped, 1);
  EXPECT_DOUBLE_EQ(t.passRatePercent(), 75.0);
  ASSERT_EQ(t.failed.size(), 1u);
  EXPECT_EQ(t.failed[0], "tests.test_db.test_migrate");
}

TEST(Junit, GoJunitReport) {
  auto t = read<TestSummary>(ReportKind::kJunit, "go-junit.xml");
  EXPECT_EQ(t.tests, 4);
  EXPECT_EQ(t.passed, 4);
  EXPECT_DOUBLE_EQ(t.passRatePercent(), 100.0);
}

// A real ctest run: a tiny project with passing, failing, skipped and disabled tests, written
// with `ctest --output-junit`.
TEST(Junit, CtestOutputJunit) {
  fs::path dir = fs::temp_directory_path() / ("gates_ctest_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "CMakeLists.txt");
    f << "cmake_minimum_required(VERSION 3.21)\nproject(t NONE)\nenable_testing()\n"
         "add_test(NAME ok1 COMMAND ${CMAKE_COMMAND} -E true)\n"
         "add_test(NAME ok2 COMMAND ${CMAKE_COMMAND} -E true)\n"
         "add_test(NAME broken COMMAND ${CMAKE_COMMAND} -E false)\n"
         "add_test(NAME skipped COMMAND ${CMAKE_COMMAND} -E false)\n"
         "set_tests_properties(skipped PROPERTIES SKIP_RETURN_CODE 1)\n"
         "add_test(NAME off COMMAND ${CMAKE_COMMAND} -E true)\n"
         "set_tests_properties(off PROPERTIES DISABLED TRUE)\n";
  }
  std::string cmd = "cd '" + dir.string() + "' && cmake -S . -B b >/dev/null 2>&1 && cd b && "
                    "ctest --output-junit junit.xml >/dev/null 2>&1";
  int rc = std::system(cmd.c_str());
  (void)rc;  // ctest exits non-zero: one test fails on purpose
  ASSERT_TRUE(fs::exists(dir / "b/junit.xml")) << "ctest --output-junit wrote nothing";
  auto r = readReportFile(ReportKind::kJunit, dir / "b/junit.xml");
  fs::remove_all(dir);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  const auto& t = std::get<TestSummary>(*r);
  EXPECT_EQ(t.tests, 5);
  EXPECT_EQ(t.passed, 2);
  EXPECT_EQ(t.failures, 1);
  EXPECT_EQ(t.skipped, 2);  // SKIP_RETURN_CODE (status="notrun") and DISABLED
  EXPECT_EQ(t.failed, std::vector<std::string>{"broken.broken"});
}

TEST(Junit, TotalsOnlyAndNesting) {
  auto r = readJunit("<testsuites><testsuite tests=\"10\" failures=\"1\" errors=\"1\" skipped=\"2\"/>"
                     "<testsuite><testsuite tests=\"5\"/></testsuite></testsuites>", "j.xml");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->tests, 15);
  EXPECT_EQ(r->passed, 11);
  EXPECT_EQ(r->skipped, 2);
  auto nested = readJunit("<testsuite><testsuite><testcase name=\"a\"/><testcase name=\"b\"><failure/></testcase>"
                          "</testsuite></testsuite>", "j.xml");
  ASSERT_TRUE(nested.isOk());
  EXPECT_EQ(nested->tests, 2);
  EXPECT_EQ(nested->failures, 1);
  EXPECT_DOUBLE_EQ(nested->passRatePercent(), 50);
  auto none = readJunit("<testsuites/>", "j.xml");
  ASSERT_TRUE(none.isOk());
  EXPECT_EQ(none->passRatePercent(), -1);
}

TEST(Junit, BadInput) {
  struct Case { std::string text; std::string message; };
  std::string deep;
  for (int i = 0; i < 70; ++i) deep += "<testsuite>";
  for (int i = 0; i < 70; ++i) deep += "</testsuite>";
  const Case cases[] = {
      {"", "j.xml: not well-formed XML at line 1: No document element found"},
      {"<html><body/></html>", "j.xml: root element is <html>, not JUnit's <testsuites> or <testsuite>"},
      {"<testsuite tests=\"1\" failures=\"2\"/>", "j.xml: failures + errors + skipped (2) is more than tests (1)"},
      {deep, "j.xml: test suites nested deeper than 64 levels"},
  };
  for (const Case& c : cases) {
    auto r = readJunit(c.text, "j.xml");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(NpmAudit, Npm9Report) {
  auto v = read<VulnerabilitySummary>(ReportKind::kNpmAudit, "npm-audit.json");
  EXPECT_EQ(v.format, "npm-audit");
  EXPECT_EQ(v.count(Severity::kCritical), 1);
  EXPECT_EQ(v.count(Severity::kHigh), 1);
  EXPECT_EQ(v.count(Severity::kMedium), 1);
  EXPECT_EQ(v.count(Severity::kLow), 0);
  ASSERT_EQ(v.findings.size(), 3u);
  EXPECT_EQ(v.findings[0].id, "minimist");
  EXPECT_EQ(v.findings[0].severity, Severity::kCritical);
  EXPECT_EQ(v.findings[1].id, "semver");
  auto clean = read<VulnerabilitySummary>(ReportKind::kNpmAudit, "npm-audit-clean.json");
  EXPECT_EQ(clean.count(Severity::kCritical) + clean.count(Severity::kHigh), 0);
}

TEST(NpmAudit, BadInput) {
  auto err = readReportFile(ReportKind::kNpmAudit, fixture("npm-audit-error.json"));
  ASSERT_FALSE(err.isOk());
  EXPECT_EQ(err.status().message(), fixture("npm-audit-error.json").string() +
                                        ": npm audit failed (ENOLOCK): This command requires an "
                                        "existing lockfile.");
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"{\"metadata\": {\"vulnerabilities\": {\"high\": 1", "a.json: not valid JSON at byte 44 (line 1)"},
      {"[]", "a.json: not an npm audit report (expected a JSON object)"},
      {"{}", "a.json: no metadata.vulnerabilities: not the output of `npm audit --json` (npm 7 or later)"},
      {"{\"metadata\": {\"vulnerabilities\": {\"high\": \"1\"}}}",
       "a.json: metadata.vulnerabilities.high is not a count"},
      {"{\"advisories\": {}, \"metadata\": {\"vulnerabilities\": {\"high\": 1}}}",
       "a.json: npm 6 audit format (\"advisories\"); run npm audit with npm 7 or later"},
  };
  for (const Case& c : cases) {
    auto r = readNpmAudit(c.text, "a.json");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(Sarif, CodeqlWithSecuritySeverity) {
  auto v = read<VulnerabilitySummary>(ReportKind::kSarif, "codeql.sarif");
  EXPECT_EQ(v.count(Severity::kCritical), 1);  // hardcoded-credentials 9.8 (by ruleId); one suppressed
  EXPECT_EQ(v.count(Severity::kHigh), 1);      // sql-injection 8.8
  EXPECT_EQ(v.count(Severity::kMedium), 1);    // reflected-xss 6.1
  EXPECT_EQ(v.count(Severity::kLow), 1);       // unused variable: level note (rule default)
  ASSERT_EQ(v.findings.size(), 4u);
  EXPECT_EQ(v.findings[0].id, "js/hardcoded-credentials");
  EXPECT_EQ(v.findings[0].where, "src/config.js");
}

TEST(Sarif, SemgrepByLevel) {
  auto v = read<VulnerabilitySummary>(ReportKind::kSarif, "semgrep.sarif");
  EXPECT_EQ(v.count(Severity::kHigh), 1);
  EXPECT_EQ(v.count(Severity::kMedium), 1);
  EXPECT_EQ(v.count(Severity::kCritical), 0);
}

TEST(Sarif, ScoreMapping) {
  EXPECT_EQ(severityFromScore(10), Severity::kCritical);
  EXPECT_EQ(severityFromScore(9.0), Severity::kCritical);
  EXPECT_EQ(severityFromScore(8.9), Severity::kHigh);
  EXPECT_EQ(severityFromScore(7.0), Severity::kHigh);
  EXPECT_EQ(severityFromScore(6.9), Severity::kMedium);
  EXPECT_EQ(severityFromScore(4.0), Severity::kMedium);
  EXPECT_EQ(severityFromScore(3.9), Severity::kLow);
  auto r = readSarif(R"({"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[
      {"ruleId":"a","level":"none"},
      {"ruleId":"b","properties":{"security-severity":9.1}},
      {"ruleId":"c","baselineState":"absent","level":"error"}]}]})", "s.sarif");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->count(Severity::kCritical), 1);
  EXPECT_EQ(r->count(Severity::kHigh), 0);
  EXPECT_EQ(r->info, 1);
}

TEST(Sarif, BadInput) {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"{\"version\": \"2.0.0\", \"runs\": []}", "s.sarif: SARIF version \"2.0.0\", expected 2.1.0"},
      {"{\"runs\": []}", "s.sarif: no \"version\": not a SARIF 2.1.0 log"},
      {"{\"version\": \"2.1.0\"}", "s.sarif: no \"runs\" array"},
      {"{\"version\": \"2.1.0\", \"runs\": [{}]}", "s.sarif: runs[0] has no tool.driver"},
      {"{\"version\": \"2.1.0\", \"runs\": [{\"tool\":{\"driver\":{}},\"results\":{}}]}",
       "s.sarif: runs[0].results is not an array"},
  };
  for (const Case& c : cases) {
    auto r = readSarif(c.text, "s.sarif");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(Trivy, ImageScan) {
  auto v = read<VulnerabilitySummary>(ReportKind::kTrivy, "trivy.json");
  EXPECT_EQ(v.count(Severity::kCritical), 1);
  EXPECT_EQ(v.count(Severity::kHigh), 1);
  EXPECT_EQ(v.count(Severity::kMedium), 1);
  EXPECT_EQ(v.count(Severity::kLow), 1);
  ASSERT_FALSE(v.findings.empty());
  EXPECT_EQ(v.findings[0].id, "CVE-2023-45853");
  EXPECT_EQ(v.findings[0].where, "zlib1g");
}

TEST(Trivy, BadInput) {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"{}", "t.json: not a Trivy JSON report (no SchemaVersion or Results)"},
      {"{\"SchemaVersion\": 2, \"Results\": {}}", "t.json: Results is not an array"},
      {"{\"SchemaVersion\": 2, \"Results\": [{\"Vulnerabilities\": [{\"Severity\": \"SEVERE\"}]}]}",
       "t.json: Results[0].Vulnerabilities[0].Severity \"SEVERE\" is not LOW, MEDIUM, HIGH, CRITICAL or UNKNOWN"},
  };
  for (const Case& c : cases) {
    auto r = readTrivy(c.text, "t.json");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
  auto clean = readTrivy("{\"SchemaVersion\": 2, \"ArtifactName\": \".\"}", "t.json");
  ASSERT_TRUE(clean.isOk());
  EXPECT_EQ(clean->count(Severity::kCritical), 0);
}

TEST(Axe, SinglePageAndCliArray) {
  auto a = read<AccessibilitySummary>(ReportKind::kAxe, "axe.json");
  EXPECT_EQ(a.pages, 1);
  ASSERT_EQ(a.violations.size(), 3u);
  EXPECT_EQ(a.violations[0].id, "color-contrast");
  EXPECT_EQ(a.violations[0].nodes, 2);
  EXPECT_EQ(a.violations[0].url, "http://127.0.0.1:8080/checkout");
  auto cli = read<AccessibilitySummary>(ReportKind::kAxe, "axe-cli.json");
  EXPECT_EQ(cli.pages, 2);
  EXPECT_EQ(cli.violations.size(), 1u);
}

TEST(Axe, BadInput) {
  struct Case { const char* text; const char* message; };
  const Case cases[] = {
      {"{\"passes\": []}", "a.json: no \"violations\" array: not an axe-core result"},
      {"[]", "a.json: an empty list of axe-core results"},
      {"[{\"violations\": []}, 3]", "a.json: page[1] is not an axe-core result object"},
      {"{\"violations\": [{\"impact\": \"serious\"}]}", "a.json: a violation has no \"id\""},
      {"nope", "a.json: not valid JSON at byte 2 (line 1)"},
  };
  for (const Case& c : cases) {
    auto r = readAxe(c.text, "a.json");
    ASSERT_FALSE(r.isOk()) << c.text;
    EXPECT_EQ(r.status().message(), c.message);
  }
}

TEST(ReportFile, MissingAndTooLarge) {
  auto missing = readReportFile(ReportKind::kLcov, "/nonexistent/lcov.info");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().message(), "/nonexistent/lcov.info: No such file or directory");
  std::string big(kMaxReportBytes + 1, 'x');
  auto r = readLcov(big, "big.info");
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().message(), "big.info: report is 67108865 bytes, more than the limit of 67108864 bytes");
}

}  // namespace
}  // namespace shipgate::gates
