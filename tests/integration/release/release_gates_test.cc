// Quality gates through the real binary: `shipgate release create --report KIND=FILE` (and the
// admin API's multipart upload), `shipgate gate check`, and the deploy's `gates` step refusing a
// release for each failing gate or a missing report, and letting one through with
// `--override-gates --reason`. The reports are real where the tool is on the machine: JUnit from
// a tiny ctest project (`ctest --output-junit`), LCOV from a gcov build captured by lcov; the
// scanners' outputs (npm audit, SARIF, Trivy, axe-core) are the gate library's fixtures.
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "release_util.h"

namespace releasetest {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// The seed's block verbatim, and shipgate's own settings for the budget's files.
constexpr char kGates[] =
    "quality_gates:\n"
    "  unit_tests: \"> 80% coverage\"\n"
    "  integration_tests: \"100% pass rate\"\n"
    "  security_scan: \"0 high/critical vulnerabilities\"\n"
    "  performance_budget: \"< 250KB main bundle\"\n"
    "  accessibility: \"WCAG 2.1 AA compliance\"\n"
    "  manual_approval: \"Required for production\"\n"
    "gates:\n"
    "  performance_budget: {files: \"static/js/main.*.js\", compression: gzip}\n";

std::string fixture(const std::string& name) {
  return testsupport::sourceDir() + "/tests/unit/gates/fixtures/" + name;
}

int sh(const std::string& command) {
  int rc = std::system(("(" + command + ") >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A JUnit report written by ctest itself: two passing tests, and a failing one when asked.
std::string ctestJunit(const testsupport::TempDir& dir, const std::string& name, bool failing) {
  const std::string project = "ctest-" + name;
  dir.writeFile(project + "/CMakeLists.txt",
                "cmake_minimum_required(VERSION 3.21)\nproject(t NONE)\nenable_testing()\n"
                "add_test(NAME adds COMMAND true)\nadd_test(NAME parses COMMAND true)\n" +
                    std::string(failing ? "add_test(NAME rounds COMMAND false)\n" : ""));
  const std::string src = dir.file(project), out = dir.file(name + ".xml");
  EXPECT_EQ(sh("cmake -S " + src + " -B " + src + "/build"), 0);
  sh("ctest --test-dir " + src + "/build --output-junit " + out);  // exit 8 when one fails
  EXPECT_NE(testsupport::readFile(out).find("<testsuite"), std::string::npos) << out;
  return out;
}

// An LCOV tracefile from a real gcov build captured by lcov: `called` lines run, `unused` lines
// of a function never called do not.
std::string gcovLcov(const testsupport::TempDir& dir, const std::string& name, int unused) {
  std::string c = "int used(int x) {\n  int y = x + 1;\n  y = y * 2;\n  y = y - 3;\n  return y;\n}\n";
  if (unused > 0) {
    c += "int unused(int x) {\n";
    for (int i = 0; i < unused; ++i) c += "  x = x * 3 + " + std::to_string(i) + ";\n";
    c += "  return x;\n}\n";
  }
  c += "int main(void) { return used(1) == 1 ? 0 : 0; }\n";
  const std::string project = "gcov-" + name;
  dir.writeFile(project + "/prog.c", c);
  const std::string src = dir.file(project), out = dir.file(name + ".info");
  EXPECT_EQ(sh("cd " + src + " && cc --coverage -O0 -o prog prog.c && ./prog"), 0);
  EXPECT_EQ(sh("lcov --capture --directory " + src + " --output-file " + out), 0);
  EXPECT_NE(testsupport::readFile(out).find("end_of_record"), std::string::npos) << out;
  return out;
}

std::string randomBytes(size_t n) {
  std::mt19937 rng(42);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng() & 0xff);
  return s;
}

class GatesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    reports_ = new testsupport::TempDir("sg-gate-reports");
    good_lcov_ = gcovLcov(*reports_, "good", 0);     // every line runs
    bad_lcov_ = gcovLcov(*reports_, "bad", 30);      // about 20% of lines
    good_junit_ = ctestJunit(*reports_, "pass", false);
    bad_junit_ = ctestJunit(*reports_, "fail", true);
    reports_->writeFile("axe-clean.json", R"({"url": "http://x/", "violations": [], "passes": []})");
    clean_axe_ = reports_->file("axe-clean.json");
  }
  static void TearDownTestSuite() {
    delete reports_;
    reports_ = nullptr;
  }

  GatesTest() : d_(settings()) {}
  static Deployer::Settings settings() {
    Deployer::Settings s;
    s.approval = "none";
    s.sections = kGates;
    return s;
  }

  // A release directory whose main bundle has `bundle_bytes` incompressible bytes.
  std::string release(const std::string& version, size_t bundle_bytes = 20'000) {
    const std::string dir = d_.releaseDir(version);
    d_.dir().writeFile("releases/" + version + "/static/js/main.3f9a2c.js",
                       randomBytes(bundle_bytes));
    return dir;
  }

  struct Reports {
    std::string lcov = good_lcov_, junit = good_junit_, audit = fixture("npm-audit-clean.json");
    std::string sarif, trivy, axe = clean_axe_;
  };
  CliResult create(const std::string& version, const Reports& r, size_t bundle = 20'000) {
    std::vector<std::string> args = {"release", "create", "--app", "api", "--version", version,
                                     "--artifact", release(version, bundle)};
    auto add = [&](const char* kind, const std::string& file) {
      if (!file.empty()) args.insert(args.end(), {"--report", std::string(kind) + "=" + file});
    };
    add("lcov", r.lcov);
    add("junit", r.junit);
    add("npm-audit", r.audit);
    add("sarif", r.sarif);
    add("trivy", r.trivy);
    add("axe", r.axe);
    return d_.cli(args);
  }
  CliResult deploy(const std::string& version, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"deploy", "--app", "api", "--version", version, "--lines"};
    args.insert(args.end(), more.begin(), more.end());
    return d_.cli(args);
  }
  CliResult check(const std::string& version, bool json_out = false) {
    std::vector<std::string> args = {"gate", "check", "--config", d_.configPath(), "--app", "api",
                                     "--version", version};
    if (json_out) args.push_back("--json");
    // gate check reads the store itself: no --admin / --token-file.
    testsupport::ProcessOptions o;
    o.argv = {testsupport::buildDir() + "/shipgate"};
    o.argv.insert(o.argv.end(), args.begin(), args.end());
    o.cwd = d_.dir().path();
    testsupport::Process p(o);
    CliResult r;
    if (!p.start()) return r;
    auto code = p.wait(60s);
    r.exit_code = code ? *code : -1;
    r.out = p.stdoutText();
    r.err = p.stderrText();
    return r;
  }
  json gatesStep(const std::string& id) {
    json dep = d_.apiJson("GET", "/api/v1/deployments/" + id);
    return stepOf(dep, "gates");
  }
  // The deployment a refused deploy made: failed at its gates step, nothing started, v1 served.
  void expectRefused(const CliResult& r, const std::string& gate, const std::string& outcome,
                     const std::string& why) {
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const std::string id = acceptedId(r.out);
    ASSERT_FALSE(id.empty()) << r.out << r.err;
    json dep = d_.apiJson("GET", "/api/v1/deployments/" + id);
    EXPECT_EQ(dep["state"], "failed") << dep.dump(2);
    EXPECT_NE(dep["failure"].get<std::string>().find("gates: "), std::string::npos) << dep;
    json step = stepOf(dep, "gates");
    EXPECT_EQ(step["name"], "gates");
    EXPECT_EQ(step["state"], "failed");
    EXPECT_NE(step["result"].get<std::string>().find(gate + " " + outcome + ": "),
              std::string::npos)
        << step["result"];
    EXPECT_NE(step["result"].get<std::string>().find(why), std::string::npos) << step["result"];
    bool found = false;
    for (const auto& g : step["evidence"]["gates"]) {
      if (g["gate"] != gate) continue;
      found = true;
      std::string lower = outcome;
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      EXPECT_EQ(g["outcome"], lower) << g;
    }
    EXPECT_TRUE(found) << step.dump(2);
    EXPECT_EQ(stepOf(dep, "start")["state"], "pending");  // nothing was started
    EXPECT_EQ(d_.servedVersion(), "v1");
  }

  static testsupport::TempDir* reports_;
  static std::string good_lcov_, bad_lcov_, good_junit_, bad_junit_, clean_axe_;
  Deployer d_;
};

testsupport::TempDir* GatesTest::reports_ = nullptr;
std::string GatesTest::good_lcov_, GatesTest::bad_lcov_, GatesTest::good_junit_,
    GatesTest::bad_junit_, GatesTest::clean_axe_;

TEST_F(GatesTest, PassingReleaseDeploysAndEachFailingGateRefusesTheNextOne) {
  ASSERT_TRUE(d_.startServe());
  CliResult created = create("v1", Reports{});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  EXPECT_NE(created.out.find("release api v1 recorded with 4 report(s)"), std::string::npos)
      << created.out;

  CliResult passed = check("v1");
  EXPECT_EQ(passed.exit_code, 0) << passed.out << passed.err;
  for (const char* line : {"unit_tests", "100", "% of lines", "integration_tests",
                           "security_scan", "performance_budget", "accessibility",
                           "manual_approval", "APPROVAL", "all gates pass"}) {
    EXPECT_NE(passed.out.find(line), std::string::npos) << line << "\n" << passed.out;
  }

  CliResult v1 = deploy("v1");
  ASSERT_EQ(v1.exit_code, 0) << v1.out << v1.err << d_.serveLogs();
  EXPECT_EQ(d_.servedVersion(), "v1");
  json step = gatesStep(acceptedId(v1.out));
  EXPECT_EQ(step["state"], "succeeded") << step;
  EXPECT_EQ(step["result"], "ok");
  EXPECT_EQ(step["evidence"]["passed"], true);
  EXPECT_EQ(step["evidence"]["gates"].size(), 6u);
  EXPECT_TRUE(step["evidence"]["override"].is_null());

  // Coverage below 80% (a real gcov build with an uncalled function).
  Reports low_coverage;
  low_coverage.lcov = bad_lcov_;
  ASSERT_EQ(create("v2", low_coverage).exit_code, 0);
  expectRefused(deploy("v2"), "unit_tests", "FAIL", "lines covered");
  EXPECT_EQ(check("v2").exit_code, 1);

  // A failing test in ctest's own JUnit output.
  Reports failing_test;
  failing_test.junit = bad_junit_;
  ASSERT_EQ(create("v3", failing_test).exit_code, 0);
  expectRefused(deploy("v3"), "integration_tests", "FAIL", "rounds");

  // A high/critical npm audit advisory.
  Reports audit;
  audit.audit = fixture("npm-audit.json");
  ASSERT_EQ(create("v4", audit).exit_code, 0);
  expectRefused(deploy("v4"), "security_scan", "FAIL", "high/critical");

  // A SARIF finding (security-severity 9.8) next to a clean npm audit.
  Reports sarif;
  sarif.sarif = fixture("codeql.sarif");
  ASSERT_EQ(create("v5", sarif).exit_code, 0);
  expectRefused(deploy("v5"), "security_scan", "FAIL", "high/critical");

  // A Trivy finding.
  Reports trivy;
  trivy.trivy = fixture("trivy.json");
  ASSERT_EQ(create("v6", trivy).exit_code, 0);
  expectRefused(deploy("v6"), "security_scan", "FAIL", "high/critical");

  // The main bundle over budget: 300,000 incompressible bytes gzip to more than 250 KB.
  ASSERT_EQ(create("v7", Reports{}, 300'000).exit_code, 0);
  expectRefused(deploy("v7"), "performance_budget", "FAIL", "static/js/main.3f9a2c.js");

  // An axe-core WCAG 2.1 AA violation.
  Reports axe;
  axe.axe = fixture("axe.json");
  ASSERT_EQ(create("v8", axe).exit_code, 0);
  expectRefused(deploy("v8"), "accessibility", "FAIL", "");

  // A missing report: refused, and gate check says 2.
  Reports no_junit;
  no_junit.junit.clear();
  ASSERT_EQ(create("v9", no_junit).exit_code, 0);
  expectRefused(deploy("v9"), "integration_tests", "MISSING", "no junit report stored");
  CliResult missing = check("v9");
  EXPECT_EQ(missing.exit_code, 2) << missing.out << missing.err;
  EXPECT_NE(missing.out.find("MISSING"), std::string::npos) << missing.out;
  CliResult as_json = check("v9", true);
  EXPECT_EQ(as_json.exit_code, 2);
  json j = json::parse(as_json.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << as_json.out;
  EXPECT_EQ(j["passed"], false);
  EXPECT_EQ(j["gates"][1]["gate"], "integration_tests");
  EXPECT_EQ(j["gates"][1]["outcome"], "missing");

  // The override: refused without a reason (usage), let through with one, who and why recorded.
  CliResult no_reason = deploy("v2", {"--override-gates"});
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.out << no_reason.err;
  EXPECT_NE(no_reason.err.find("--override-gates needs --reason"), std::string::npos)
      << no_reason.err;
  auto api_no_reason = d_.api("POST", "/api/v1/deployments",
                              R"({"app": "api", "version": "v2", "override_gates": true})");
  EXPECT_EQ(api_no_reason.status, 400) << api_no_reason.body;
  CliResult overridden =
      deploy("v2", {"--override-gates", "--reason", "hotfix: coverage tooling broken",
                    "--actor", "alice"});
  ASSERT_EQ(overridden.exit_code, 0) << overridden.out << overridden.err << d_.serveLogs();
  EXPECT_EQ(d_.servedVersion(), "v2");
  json ov = gatesStep(acceptedId(overridden.out));
  EXPECT_EQ(ov["state"], "succeeded") << ov;
  EXPECT_NE(ov["result"].get<std::string>().find(
                "overridden by alice: hotfix: coverage tooling broken"),
            std::string::npos)
      << ov["result"];
  EXPECT_EQ(ov["evidence"]["override"]["by"], "alice");
  EXPECT_EQ(ov["evidence"]["override"]["reason"], "hotfix: coverage tooling broken");
  EXPECT_EQ(ov["evidence"]["override"]["not_passed"], json::array({"unit_tests"}));
  EXPECT_EQ(ov["evidence"]["passed"], false);
  // The audit log has who overrode the gates and why (read from the state file as an auditor
  // would, with sqlite3).
  testsupport::RunResult audit_log = testsupport::runToEnd(
      {"sqlite3", "-readonly", d_.stateDir() + "/state.db",
       "SELECT actor || '|' || reason FROM audit_log WHERE action = 'gates_overridden' AND "
       "subject = '" + acceptedId(overridden.out) + "'"},
      30s);
  EXPECT_EQ(audit_log.code, 0) << audit_log.err;
  EXPECT_EQ(audit_log.out, "alice|hotfix: coverage tooling broken\n") << audit_log.err;

  // A rollback is never blocked by the gates.
  CliResult back = d_.cli({"rollback", "--app", "api", "--reason", "back to v1", "--lines"});
  ASSERT_EQ(back.exit_code, 0) << back.out << back.err;
  json rb = gatesStep(acceptedId(back.out));
  EXPECT_EQ(rb["state"], "skipped");
  EXPECT_EQ(rb["result"], "rollback: quality gates are not checked");
  EXPECT_EQ(d_.servedVersion(), "v1");
}

TEST_F(GatesTest, ReleaseCreateRefusesBadReportsAndWritesNothing) {
  ASSERT_TRUE(d_.startServe());
  // A bad KIND and an unreadable FILE: usage errors before anything is sent.
  CliResult bad_kind = d_.cli({"release", "create", "--app", "api", "--version", "v1",
                               "--report", "coverage=" + good_lcov_});
  EXPECT_EQ(bad_kind.exit_code, 2) << bad_kind.err;
  EXPECT_NE(bad_kind.err.find("unknown kind \"coverage\""), std::string::npos) << bad_kind.err;
  CliResult no_file = d_.cli({"release", "create", "--app", "api", "--version", "v1",
                              "--report", "junit=/nonexistent/junit.xml"});
  EXPECT_EQ(no_file.exit_code, 2) << no_file.err;
  EXPECT_NE(no_file.err.find("/nonexistent/junit.xml: not a readable file"), std::string::npos)
      << no_file.err;

  // A report its reader cannot read: refused by the API (400, the reason), nothing recorded.
  d_.dir().writeFile("broken.xml", "<testsuite><testcase name=\"x\">");
  CliResult broken = d_.cli({"release", "create", "--app", "api", "--version", "v1", "--report",
                             "lcov=" + good_lcov_, "--report",
                             "junit=" + d_.dir().file("broken.xml")});
  EXPECT_EQ(broken.exit_code, 1) << broken.out << broken.err;
  EXPECT_NE(broken.err.find("refused (400): the junit report cannot be read: broken.xml"),
            std::string::npos)
      << broken.err;
  json rels = d_.apiJson("GET", "/api/v1/apps/api/releases");
  EXPECT_EQ(rels["releases"].size(), 0u) << rels.dump(2);
  CliResult none = check("v1");
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no release api v1"), std::string::npos) << none.err;

  // The admin API takes the same upload as CI's curl -F sends it.
  auto multipart = [&](const std::vector<std::pair<std::string, std::pair<std::string, std::string>>>&
                           parts) {
    const std::string boundary = "sgBoundary7MA4YWxk";
    std::string body;
    for (const auto& [field, file] : parts) {
      body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"";
      if (!file.first.empty()) body += "; filename=\"" + file.first + "\"";
      body += "\r\n\r\n" + file.second + "\r\n";
    }
    body += "--" + boundary + "--\r\n";
    return testsupport::httpRequest(
        d_.adminPort(), "POST", "/api/v1/apps/api/releases",
        {{"Authorization", "Bearer " + d_.token()},
         {"X-Shipgate-Actor", "ci"},
         {"Content-Type", "multipart/form-data; boundary=" + boundary}},
        body);
  };
  const std::string lcov_text = testsupport::readFile(good_lcov_);
  auto ok = multipart({{"version", {"", "v1"}}, {"lcov", {"lcov.info", lcov_text}}});
  EXPECT_EQ(ok.status, 201) << ok.body;
  json created = json::parse(ok.body, nullptr, false);
  ASSERT_TRUE(created.is_object()) << ok.body;
  EXPECT_EQ(created["reports"][0]["kind"], "lcov");
  EXPECT_EQ(created["reports"][0]["size"], lcov_text.size());
  EXPECT_EQ(created["reports"][0]["sha256"].get<std::string>().size(), 64u);
  auto again = multipart({{"version", {"", "v1"}}, {"lcov", {"lcov.info", lcov_text}}});
  EXPECT_EQ(again.status, 409) << again.body;
  auto unknown = multipart({{"version", {"", "v2"}}, {"coverage", {"lcov.info", lcov_text}}});
  EXPECT_EQ(unknown.status, 400) << unknown.body;
  EXPECT_NE(unknown.body.find("unknown report kind \\\"coverage\\\""), std::string::npos)
      << unknown.body;
  auto too_big = multipart(
      {{"version", {"", "v2"}}, {"sarif", {"big.sarif", std::string((16u << 20) + 1, ' ')}}});
  EXPECT_EQ(too_big.status, 413) << too_big.body;
  EXPECT_NE(too_big.body.find("the limit is 16777216 bytes (16 MiB)"), std::string::npos)
      << too_big.body;
  auto no_version = multipart({{"lcov", {"lcov.info", lcov_text}}});
  EXPECT_EQ(no_version.status, 400) << no_version.body;
  EXPECT_EQ(d_.apiJson("GET", "/api/v1/apps/api/releases")["releases"].size(), 1u);
}

}  // namespace
}  // namespace releasetest
