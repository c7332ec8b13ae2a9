// The CRS regression runner's own semantics: the bytes it sends for a stage, how it judges rule
// agreement, reads shipgate's log line, reads the floors; and the benign corpus' determinism.
#include <gtest/gtest.h>

#include "benign_corpus.h"
#include "crs_ftw.h"
#include "support/paths.h"

namespace {

crsftw::LoadResult loadOne(testsupport::TempDir& dir, const std::string& yaml) {
  dir.writeFile("REQUEST-942-X/t.yaml", yaml);
  return crsftw::loadSuite(dir.path());
}

TEST(CrsFtw, SendsHeadersAsWrittenAndAddsTypeAndLengthForData) {
  testsupport::TempDir dir;
  auto r = loadOne(dir, R"(
meta: {enabled: true}
tests:
  - test_title: t-1
    stages:
      - stage:
          input: {method: POST, uri: "/a?b=1", version: HTTP/1.0,
                  headers: {Host: localhost, X-B: "2", X-A: "1"}, data: "var=1 OR 1=1"}
          output: {log_contains: 'id "942100"'}
      - input: {headers: {User-Agent: u}}
        output: {no_log_contains: 'id "920280"', status: [200, 403]}
)");
  ASSERT_TRUE(r.errors.empty()) << r.errors.front();
  ASSERT_EQ(r.stages.size(), 2u);
  EXPECT_EQ(r.stages[0].request,
            "POST /a?b=1 HTTP/1.0\r\nHost: localhost\r\nX-B: 2\r\nX-A: 1\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\n"
            "var=1 OR 1=1");
  EXPECT_EQ(r.stages[0].category, 942);
  EXPECT_EQ(r.stages[1].request, "GET / HTTP/1.1\r\nUser-Agent: u\r\n\r\n");  // no Host added
  EXPECT_EQ(r.stages[1].category, 0);
  EXPECT_EQ(r.stages[1].expected_status, (std::vector<int>{200, 403}));
}

TEST(CrsFtw, StopMagicAndRawRequestsAreSentUnchanged) {
  testsupport::TempDir dir;
  auto r = loadOne(dir, R"(
tests:
  - test_title: t-2
    stages:
      - stage:
          input: {method: POST, headers: {Host: h}, data: "abc", stop_magic: true}
          output: {log_contains: 'id "942100"'}
      - stage:
          input: {encoded_request: "R0VUIC8gSFRUUC8xLjENCg0K"}
          output: {expect_error: true}
      - stage:
          input: {raw_request: "GET /x HTTP/1.0\r\n\r\n"}
          output: {status: 400}
)");
  ASSERT_EQ(r.stages.size(), 3u);
  EXPECT_EQ(r.stages[0].request, "POST / HTTP/1.1\r\nHost: h\r\n\r\nabc");
  EXPECT_EQ(r.stages[1].request, "GET / HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(r.stages[1].expect_error);
  EXPECT_EQ(r.stages[2].request, "GET /x HTTP/1.0\r\n\r\n");
}

TEST(CrsFtw, DisabledFilesAreSkipped) {
  testsupport::TempDir dir;
  auto r = loadOne(dir, "meta: {enabled: false}\ntests:\n  - test_title: x\n    stages: []\n");
  EXPECT_EQ(r.tests, 0);
  EXPECT_TRUE(r.stages.empty());
}

TEST(CrsFtw, AgreementMatchesLogContainsAsARegex) {
  crsftw::Stage s;
  s.log_contains = R"x(id "(942100|942101)")x";
  EXPECT_TRUE(crsftw::agrees(s, {942101, 949110}));
  EXPECT_FALSE(crsftw::agrees(s, {949110}));
  crsftw::Stage n;
  n.no_log_contains = R"x(id "920280")x";
  EXPECT_TRUE(crsftw::agrees(n, {}));
  EXPECT_FALSE(crsftw::agrees(n, {920280}));
}

TEST(CrsFtw, ReadsTheRulesFieldOfShipgatesLogLine) {
  std::string log =
      "2026-12-03T21:42:44Z [warn] waf managed: request_id=abc123 action=block anomaly=10 "
      "rules=942100,949110 matched: 942100 ARGS:q=\"999999\";\n"
      "2026-12-03T21:42:45Z [info] other request_id=def456 rules=930100\n";
  auto ids = crsftw::ruleIdsByRequestId(log, {"abc123", "zzz"});
  ASSERT_EQ(ids.size(), 1u);
  EXPECT_EQ(ids["abc123"], (std::set<int64_t>{942100, 949110}));
}

TEST(CrsFtw, FloorsFailBelowAndReportBadLines) {
  testsupport::TempDir dir;
  std::string path = dir.writeFile("floors.txt", "# c\n942 1 50\nall 4 10\nbad line\n");
  std::vector<std::string> errors;
  auto floors = crsftw::readFloors(path, &errors);
  ASSERT_EQ(floors.size(), 2u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("floors.txt:4:1"), std::string::npos) << errors[0];
  crsftw::RunFigures run;
  run.paranoia_level = 1;
  run.by_category[942] = {.cases = 10, .caught = 4};
  auto failures = crsftw::checkFloors(floors, run);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("942 SQLi at PL1: recall 40.0 %"), std::string::npos) << failures[0];
  run.by_category[942].caught = 5;
  EXPECT_TRUE(crsftw::checkFloors(floors, run).empty());
}

TEST(BenignCorpus, IsDeterministicForASeed) {
  std::string e1, e2, e3;
  auto a = benign::generate(7, 200, "localhost", &e1);
  auto b = benign::generate(7, 200, "localhost", &e2);
  auto c = benign::generate(8, 200, "localhost", &e3);
  ASSERT_EQ(a.size(), 200u) << e1;
  ASSERT_EQ(b.size(), 200u);
  int same = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].bytes, b[i].bytes);
    if (a[i].bytes == c[i].bytes) ++same;
  }
  EXPECT_LT(same, 100);
  for (const auto& r : a) {
    EXPECT_EQ(r.bytes.find("Host: localhost\r\n"), r.bytes.find("\r\n") + 2) << r.bytes;
  }
}

}  // namespace
