// ErrorLeakDetector (waf.mask_upstream_errors): real error bodies of each kind are found (the
// Python, Node.js and Java ones were produced by running python3/node/java, the SQLite one by
// sqlite3, the PostgreSQL one by psql against a real server), ordinary 5xx bodies are not.
#include "shipgate/managed/error_leaks.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "support/postgres_server.h"

namespace shipgate::managed {
namespace {

std::string dataFile(const std::string& name) {
  const char* src = std::getenv("SHIPGATE_SOURCE_DIR");
  std::string dir = std::string(src ? src : ".") + "/tests/unit/managed/error_leaks_data/";
  std::ifstream in(dir + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing test data " << dir + name;
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class ErrorLeaksTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto d = ErrorLeakDetector::load(ErrorLeakDetector::kDebianRulesDir);
    ASSERT_TRUE(d.isOk()) << d.status().message();
    detector_ = std::move(d).value().release();
  }
  static void TearDownTestSuite() {
    delete detector_;
    detector_ = nullptr;
  }
  static ErrorLeakDetector* detector_;
};
ErrorLeakDetector* ErrorLeaksTest::detector_ = nullptr;

struct LeakCase {
  const char* file;
  const char* kind;  // expected start of find()'s answer
};

class ErrorLeakBodies : public ErrorLeaksTest, public ::testing::WithParamInterface<LeakCase> {};

TEST_P(ErrorLeakBodies, Found) {
  ASSERT_NE(detector_, nullptr);
  std::string body = dataFile(GetParam().file);
  ASSERT_FALSE(body.empty());
  auto found = detector_->find(body);
  ASSERT_TRUE(found.has_value()) << GetParam().file;
  EXPECT_EQ(found->rfind(GetParam().kind, 0), 0u) << *found;
  // Wrapped in an HTML page or a JSON string, the leak is still found.
  std::string wrapped = "<html><body><h1>Server Error</h1><pre>" + body + "</pre></body></html>";
  EXPECT_TRUE(detector_->find(wrapped).has_value()) << GetParam().file;
}

INSTANTIATE_TEST_SUITE_P(
    RealBodies, ErrorLeakBodies,
    ::testing::Values(LeakCase{"python_sqlite_traceback.txt", "python traceback"},
                      LeakCase{"node_stack.txt", "node.js stack"},
                      LeakCase{"node_file_stack.txt", "node.js stack"},
                      LeakCase{"java_stack.txt", "java-errors.data"},
                      LeakCase{"sqlite_error.txt", "sqlite error"},
                      LeakCase{"go_panic.txt", "go panic"},
                      LeakCase{"ruby_backtrace.txt", "ruby backtrace"},
                      LeakCase{"dotnet_stack.txt", ".net exception"},
                      LeakCase{"php_mysql.html", "sql-errors.data"},
                      LeakCase{"mysql_json.txt", "sql-errors.data"},
                      LeakCase{"postgres_error.txt", "postgresql error"},
                      LeakCase{"oracle_error.txt", "oracle error"},
                      LeakCase{"pdo_error.txt", "postgresql error"}),
    [](const ::testing::TestParamInfo<LeakCase>& info) {
      std::string n = info.param.file;
      for (char& c : n) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST_F(ErrorLeaksTest, OrdinaryErrorBodiesAreNotLeaks) {
  ASSERT_NE(detector_, nullptr);
  const char* bodies[] = {
      "Service Unavailable",
      R"({"error":"busy"})",
      R"({"error":"internal error","request_id":"0f3c9a2e7b1d4c58"})",
      "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
      "Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n",
      "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server "
      "Error</h1><p>The server encountered an internal error and was unable to complete your "
      "request.</p></body></html>",
      "Database temporarily unavailable, please retry in a few seconds.",
      R"({"error":"upstream timeout","retry_after":5,"warning":"degraded"})",
      "Error: maintenance window until 02:00 UTC. Exception requests: contact support.",
      "",
  };
  for (const char* b : bodies) {
    auto found = detector_->find(b);
    EXPECT_FALSE(found.has_value()) << b << " -> " << found.value_or("");
  }
}

TEST_F(ErrorLeaksTest, LoadsTheCrsListsAndOurPatterns) {
  ASSERT_NE(detector_, nullptr);
  EXPECT_GT(detector_->phraseCount(), 250u);
  EXPECT_GT(detector_->patternCount(), 25u);
}

TEST(ErrorLeaks, PlainWordsAndShortPhrasesAreLeftOut) {
  std::vector<std::string> kept =
      leakPhrases({"Error", "Warning", "ORA-", "SQL syntax", "PDO: driver",
                   "<TITLE>500 Internal Server Error</TITLE>", "java.lang.NullPointerException"});
  EXPECT_EQ(kept, (std::vector<std::string>{"SQL syntax", "PDO: driver",
                                            "java.lang.NullPointerException"}));
}

TEST(ErrorLeaks, MissingRulesDirectoryNamesTheFile) {
  auto d = ErrorLeakDetector::load("/nonexistent/crs");
  ASSERT_FALSE(d.isOk());
  EXPECT_EQ(d.status().message(), "cannot read /nonexistent/crs/sql-errors.data");
}

TEST(ErrorLeaks, OwnPatternsAloneWithoutTheCrsLists) {
  auto d = ErrorLeakDetector::load("");
  ASSERT_TRUE(d.isOk()) << d.status().message();
  EXPECT_EQ((*d)->phraseCount(), 0u);
  EXPECT_TRUE((*d)->find("Traceback (most recent call last):\n  File \"/app/x.py\", line 3").has_value());
  EXPECT_FALSE((*d)->find("Service Unavailable").has_value());
}

// A real PostgreSQL error, as psql prints it for an injected quote.
TEST_F(ErrorLeaksTest, RealPostgresErrorFromPsql) {
  ASSERT_NE(detector_, nullptr);
  testsupport::PostgresServer pg;
  ASSERT_TRUE(pg.start());
  ::testing::AssertionResult r = pg.psql("SELECT * FROM pg_class WHERE relname = 'x''");
  ASSERT_FALSE(r);
  std::string message = r.message();
  size_t at = message.find("ERROR:");
  ASSERT_NE(at, std::string::npos) << message;
  auto found = detector_->find(message.substr(at));
  ASSERT_TRUE(found.has_value()) << message;
}

}  // namespace
}  // namespace shipgate::managed
