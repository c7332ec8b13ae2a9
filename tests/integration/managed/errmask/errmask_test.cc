// Error masking through the real gateway (waf.mask_upstream_errors): an upstream of ours
// (leaky_upstream.py) answers 5xx with a Python traceback, a MySQL error, a chunked Java stack, a
// close-delimited PHP error; the client gets the same status with a generic page carrying the
// request id and none of the trace, and the gateway's log has the original. Ordinary 5xx bodies,
// 2xx bodies that mention SQL errors, and everything with the key off pass unchanged. Compressed
// answers (gzip, deflate, br, a list of them, chunked, longer than the part held) are read as the
// client would read them; one in a coding the gateway does not read passes, counted.
#include <chrono>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/gateway_process.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/raw_http_client.h"

namespace {

using namespace std::chrono_literals;
using testsupport::HttpResponse;

class ErrorMasking : public ::testing::Test {
 protected:
  void SetUp() override {
    up_port_ = testsupport::freePort();
    upstream_ = std::make_unique<testsupport::Process>(testsupport::command(
        {"python3", testsupport::sourceDir() + "/tests/integration/managed/errmask/leaky_upstream.py",
         std::to_string(up_port_)}));
    ASSERT_TRUE(upstream_->start());
    ASSERT_TRUE(testsupport::waitForPort(up_port_, 10s)) << "upstream did not listen";
    token_ = dir_.writeFile("admin.token", "0123456789abcdef0123456789abcdef\n");
  }
  void TearDown() override {
    if (upstream_) upstream_->stop();
  }

  // Outlier ejection off: the upstream answers 5xx on purpose, many in a row.
  std::string yaml(bool mask) const {
    return "server: {workers: 1, allow_root: true}\n"
           "listeners: [{name: http, address: \"127.0.0.1:" + std::to_string(http_) + "\"}]\n"
           "admin: {address: \"127.0.0.1:" + std::to_string(admin_) + "\", token_file: \"" +
           token_ + "\"}\n"
           "sites: [{name: api, path_prefix: /api/, app: api}]\n"
           "apps:\n  api:\n    outlier: {enabled: false}\n"
           "    slots: {blue: [{address: \"127.0.0.1:" + std::to_string(up_port_) + "\"}]}\n"
           "waf:\n  mask_upstream_errors: " + (mask ? "true" : "false") + "\n";
  }

  HttpResponse get(const std::string& target, const std::string& accept = "*/*") {
    testsupport::RawHttpClient c;
    if (!c.connect(http_)) {
      HttpResponse r;
      r.error = "connect: " + c.error();
      return r;
    }
    return c.roundTrip("GET " + target + " HTTP/1.1\r\nHost: app.test\r\nAccept: " + accept +
                       "\r\nUser-Agent: errmask-test\r\n\r\n");
  }

  HttpResponse adminMetrics() {
    testsupport::RawHttpClient admin;
    if (!admin.connect(admin_)) {
      HttpResponse r;
      r.error = "connect: " + admin.error();
      return r;
    }
    return admin.roundTrip(
        "GET /metrics HTTP/1.1\r\nHost: admin\r\nAuthorization: Bearer "
        "0123456789abcdef0123456789abcdef\r\n\r\n");
  }

  uint16_t http_ = testsupport::freePort();
  uint16_t admin_ = testsupport::freePort();
  uint16_t up_port_ = 0;
  testsupport::TempDir dir_{"errmask"};
  std::string token_;
  std::unique_ptr<testsupport::Process> upstream_;
};

// The masked answer: same status, the generic page with the request id, a Content-Length.
void expectMasked(const HttpResponse& r, int status, const char* leaked) {
  ASSERT_EQ(r.status, status) << r.error << r.raw;
  std::string id = r.header("X-Request-Id");
  ASSERT_FALSE(id.empty()) << r.raw;
  EXPECT_NE(r.body.find("Request id: " + id), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find(leaked), std::string::npos) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.header("Content-Length"), std::to_string(r.body.size()));
  EXPECT_FALSE(r.chunked);
}

TEST_F(ErrorMasking, LeaksAreMaskedAndLoggedOrdinaryAnswersPass) {
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml(true), {http_, admin_}));

  HttpResponse py = get("/api/py");
  expectMasked(py, 500, "Traceback");
  EXPECT_EQ(py.body.find("sqlite3"), std::string::npos);

  HttpResponse mysql = get("/api/mysql");
  expectMasked(mysql, 502, "SQL syntax");

  HttpResponse java = get("/api/java");
  expectMasked(java, 500, "java.lang.NullPointerException");

  HttpResponse php = get("/api/php-close");
  expectMasked(php, 500, "SQLSTATE");

  // A client that prefers JSON gets the JSON form.
  HttpResponse json = get("/api/py", "application/json");
  ASSERT_EQ(json.status, 500);
  EXPECT_EQ(json.header("Content-Type"), "application/json");
  EXPECT_EQ(json.body, "{\"error\":\"internal error\",\"request_id\":\"" +
                           json.header("X-Request-Id") + "\"}\n");

  // Longer than the 64 KiB held: a leak in the first part is masked, the rest never sent.
  HttpResponse long_leak = get("/api/long-leak");
  expectMasked(long_leak, 500, "Traceback");

  // Not leaks: unchanged, byte for byte.
  HttpResponse busy = get("/api/busy");
  ASSERT_EQ(busy.status, 503);
  EXPECT_EQ(busy.body, "{\"error\":\"busy\"}");
  EXPECT_EQ(busy.header("Content-Type"), "application/json");

  HttpResponse ok = get("/api/ok-sql");
  ASSERT_EQ(ok.status, 200);
  EXPECT_NE(ok.body.find("You have an error in your SQL syntax"), std::string::npos);
  EXPECT_NE(ok.body.find("Traceback (most recent call last):"), std::string::npos);

  HttpResponse long_ordinary = get("/api/long-ordinary");
  ASSERT_EQ(long_ordinary.status, 500) << long_ordinary.error;
  EXPECT_EQ(long_ordinary.body.size(), 265000u);
  EXPECT_EQ(long_ordinary.body.rfind("The service is being upgraded.", 0), 0u);

  // The gateway's log has one line per masked answer, with the request id and the original.
  ASSERT_TRUE(gw.waitForLog("request_id=" + long_leak.header("X-Request-Id"), 5s)) << gw.logs();
  std::string logs = gw.logs();
  for (const HttpResponse* r : {&py, &mysql, &java, &php, &json, &long_leak}) {
    EXPECT_NE(logs.find("upstream error masked: request_id=" + r->header("X-Request-Id")),
              std::string::npos)
        << logs;
  }
  EXPECT_NE(logs.find("matched=python traceback: \"Traceback (most recent call last):\""),
            std::string::npos)
      << logs;
  EXPECT_NE(logs.find("sqlite3.OperationalError: unrecognized token"), std::string::npos);
  EXPECT_NE(logs.find("at com.shop.OrderService.find(OrderService.java:42)"), std::string::npos);
  EXPECT_NE(logs.find("Uncaught PDOException: SQLSTATE[42000]"), std::string::npos);
  EXPECT_NE(logs.find("...("), std::string::npos);  // the long body is cut in the log
  size_t masked_lines = 0;
  for (size_t at = logs.find("upstream error masked:"); at != std::string::npos;
       at = logs.find("upstream error masked:", at + 1)) {
    ++masked_lines;
  }
  EXPECT_EQ(masked_lines, 6u);

  // A masked answer keeps the client's connection: the next request on it is served.
  {
    testsupport::RawHttpClient c;
    ASSERT_TRUE(c.connect(http_)) << c.error();
    const std::string head = " HTTP/1.1\r\nHost: app.test\r\nAccept: */*\r\n\r\n";
    HttpResponse first = c.roundTrip("GET /api/java" + head);
    expectMasked(first, 500, "java.lang");
    HttpResponse second = c.roundTrip("GET /api/busy" + head);
    ASSERT_EQ(second.status, 503) << second.error;
    EXPECT_EQ(second.body, "{\"error\":\"busy\"}");
  }

  // And /metrics counts them per app.
  HttpResponse metrics = adminMetrics();
  ASSERT_EQ(metrics.status, 200) << metrics.error << metrics.raw;
  EXPECT_NE(metrics.body.find("# TYPE shipgate_upstream_errors_masked_total counter"),
            std::string::npos);
  EXPECT_NE(metrics.body.find("shipgate_upstream_errors_masked_total{app=\"api\"} 7\n"),
            std::string::npos)
      << metrics.body;
}

TEST_F(ErrorMasking, CompressedAnswersAreReadAsTheClientWouldReadThem) {
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml(true), {http_, admin_}));

  std::vector<std::pair<HttpResponse, std::string>> masked;  // answer, text of the original
  for (auto [path, status, original] :
       {std::tuple{"/api/py-gzip", 500, "sqlite3.OperationalError: unrecognized token"},
        std::tuple{"/api/mysql-deflate", 502, "You have an error in your SQL syntax"},
        std::tuple{"/api/java-br-chunked", 500, "at com.shop.OrderService.find"},
        std::tuple{"/api/php-gzip-br", 500, "Uncaught PDOException: SQLSTATE[42000]"},
        std::tuple{"/api/long-leak-gzip", 500, "sqlite3.OperationalError: unrecognized token"}}) {
    SCOPED_TRACE(path);
    HttpResponse r = get(path);
    expectMasked(r, status, original);
    EXPECT_EQ(r.header("Content-Encoding"), "") << r.raw;  // the generic page is plain
    masked.emplace_back(r, original);
  }

  // An ordinary compressed 5xx passes unchanged, still compressed.
  HttpResponse busy = get("/api/busy-gzip");
  ASSERT_EQ(busy.status, 503) << busy.error;
  EXPECT_EQ(busy.header("Content-Encoding"), "gzip");
  EXPECT_EQ(busy.body.rfind("\x1f\x8b", 0), 0u);
  EXPECT_EQ(busy.header("Content-Length"), std::to_string(busy.body.size()));

  // A coding the gateway does not read: passed on as it came, and counted.
  HttpResponse zstd = get("/api/py-zstd");
  ASSERT_EQ(zstd.status, 500) << zstd.error;
  EXPECT_EQ(zstd.header("Content-Encoding"), "zstd");
  EXPECT_EQ(zstd.body.rfind("Traceback (most recent call last):", 0), 0u) << zstd.body;

  // The log has the decoded original of each masked answer.
  ASSERT_TRUE(gw.waitForLog("request_id=" + masked.back().first.header("X-Request-Id"), 5s))
      << gw.logs();
  std::string logs = gw.logs();
  for (const auto& [r, original] : masked) {
    size_t at = logs.find("upstream error masked: request_id=" + r.header("X-Request-Id"));
    ASSERT_NE(at, std::string::npos) << logs;
    std::string line = logs.substr(at, logs.find('\n', at) - at);
    EXPECT_NE(line.find(original), std::string::npos) << line;
  }

  HttpResponse metrics = adminMetrics();
  ASSERT_EQ(metrics.status, 200) << metrics.error << metrics.raw;
  EXPECT_NE(metrics.body.find("shipgate_upstream_errors_masked_total{app=\"api\"} 5\n"),
            std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("shipgate_upstream_errors_uninspected_total{app=\"api\"} 1\n"),
            std::string::npos)
      << metrics.body;
}

TEST_F(ErrorMasking, OffPassesEverythingUnchanged) {
  testsupport::GatewayProcess gw;
  ASSERT_TRUE(gw.start(yaml(false), {http_, admin_}));
  HttpResponse py = get("/api/py");
  ASSERT_EQ(py.status, 500);
  EXPECT_EQ(py.body.rfind("Traceback (most recent call last):", 0), 0u) << py.body;
  HttpResponse java = get("/api/java");
  ASSERT_EQ(java.status, 500);
  EXPECT_TRUE(java.chunked);
  EXPECT_NE(java.body.find("java.lang.NullPointerException"), std::string::npos);
  HttpResponse mysql = get("/api/mysql");
  ASSERT_EQ(mysql.status, 502);
  EXPECT_NE(mysql.body.find("SQL syntax"), std::string::npos);
  EXPECT_EQ(gw.logs().find("upstream error masked"), std::string::npos);
}

}  // namespace
