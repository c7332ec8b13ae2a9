// The http, tcp and exec checkers against real servers and processes on this machine.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "http_server.h"
#include "shipgate/health/checker.h"
#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"

namespace shipgate::health {
namespace {

using config::Millis;

using std::chrono::milliseconds;

health::HealthCheckConfig httpCheck(const std::string& path) {
  health::HealthCheckConfig c;
  c.kind = health::HealthKind::kHttp;
  c.path = path;
  c.timeout = Millis(2000);
  return c;
}

class HttpCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& s = srv.server();
    s.Get("/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"status\":\"ok\",\"db\":\"ready\"}", "application/json");
    });
    s.Get("/down", [](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content("maintenance\nsecond line", "text/plain");
    });
    s.Get("/created", [](const httplib::Request&, httplib::Response& res) { res.status = 201; });
    s.Get("/host", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("host=" + req.get_header_value("Host"), "text/plain");
    });
    s.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(milliseconds(10));
      res.set_content("late", "text/plain");
    });
    s.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("MARK" + std::string(1 << 20, 'x'), "text/plain");
    });
    srv.start();
    target = {"127.0.0.1", srv.port()};
  }
  void TearDown() override { release = true; }

  testing::HttpServer srv;
  config::HostPort target;
  std::atomic<bool> release{false};
};

TEST_F(HttpCheckTest, TwoHundredPasses) {
  CheckResult r = runCheck(httpCheck("/health"), target);
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "HTTP 200");
  EXPECT_GT(r.latency.count(), 0);
  EXPECT_TRUE(runCheck(httpCheck("/created"), target).ok);
}

TEST_F(HttpCheckTest, ServerErrorFailsWithStatusAndBody) {
  CheckResult r = runCheck(httpCheck("/down"), target);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "HTTP 503 (expected 2xx): maintenance");
  r = runCheck(httpCheck("/nope"), target);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail.rfind("HTTP 404", 0), 0u) << r.detail;
}

TEST_F(HttpCheckTest, ExpectStatusList) {
  auto c = httpCheck("/down");
  c.expect_status = {503, 200};
  EXPECT_TRUE(runCheck(c, target).ok);
  c.path = "/created";
  CheckResult r = runCheck(c, target);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "HTTP 201 (expected 503 200)");
}

TEST_F(HttpCheckTest, ExpectBody) {
  auto c = httpCheck("/health");
  c.expect_body = "\"db\":\"ready\"";
  EXPECT_TRUE(runCheck(c, target).ok);
  c.expect_body = "\"db\":\"down\"";
  CheckResult r = runCheck(c, target);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("body lacks"), std::string::npos) << r.detail;
  // A huge body is read only as far as needed.
  c.path = "/big";
  c.expect_body = "MARK";
  r = runCheck(c, target);
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(HttpCheckTest, HostHeader) {
  auto c = httpCheck("/host");
  c.expect_body = "host=api.coinestate.io";
  EXPECT_FALSE(runCheck(c, target).ok);
  c.host_header = "api.coinestate.io";
  CheckResult r = runCheck(c, target);
  EXPECT_TRUE(r.ok) << r.detail;
}

TEST_F(HttpCheckTest, TimeoutIsBounded) {
  auto c = httpCheck("/slow");
  c.timeout = Millis(300);
  CheckResult r = runCheck(c, target);
  release = true;
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "http GET /slow: read failed or timed out");
  // The handler holds the answer for 3 s; the check gave up long before.
  EXPECT_LT(r.latency, milliseconds(2500));
}

TEST_F(HttpCheckTest, RefusedAndTlsMismatch) {
  const uint16_t closed = testsupport::freePort();
  CheckResult r = runCheck(httpCheck("/health"), {"127.0.0.1", closed});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "http GET /health: connection failed (refused or unreachable)");
  // https against a plain-HTTP server: the TLS handshake fails, and says so.
  auto c = httpCheck("/health");
  c.tls = true;
  r = runCheck(c, target);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "https GET /health: TLS handshake failed");
}

// https: a real TLS server with a self-signed certificate. The checker speaks TLS to it and refuses
// the certificate (health checks verify server certificates against the system CAs).
TEST(HttpsCheckTest, SelfSignedCertificateIsRejected) {
  testsupport::TempDir dir;
  testsupport::ProcessOptions opts;
  opts.argv = {"openssl",  "req",
               "-x509",    "-newkey",
               "rsa:2048", "-nodes",
               "-keyout",  dir.file("key.pem"),
               "-out",     dir.file("cert.pem"),
               "-days",    "1",
               "-subj",    "/CN=localhost"};
  testsupport::Process openssl(opts);
  ASSERT_TRUE(openssl.start());
  ASSERT_EQ(openssl.wait(milliseconds(30000)), 0) << openssl.describe();
  httplib::SSLServer server(dir.file("cert.pem").c_str(), dir.file("key.pem").c_str());
  ASSERT_TRUE(server.is_valid());
  std::atomic<int> served{0};
  server.Get("/health", [&](const httplib::Request&, httplib::Response& res) {
    ++served;
    res.set_content("ok", "text/plain");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread loop([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(1));

  auto c = httpCheck("/health");
  c.tls = true;
  CheckResult r = runCheck(c, {"localhost", static_cast<uint16_t>(port)});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "https GET /health: TLS certificate verification failed");
  EXPECT_EQ(served.load(), 0);
  // Plain HTTP to the TLS port is not mistaken for success either.
  c.tls = false;
  EXPECT_FALSE(runCheck(c, {"127.0.0.1", static_cast<uint16_t>(port)}).ok);
  server.stop();
  loop.join();
}

// ---- tcp ----

TEST(TcpCheckTest, ListenerAndClosedPort) {
  testing::HttpServer srv;
  srv.start();
  health::HealthCheckConfig c;
  c.kind = health::HealthKind::kTcp;
  CheckResult r = runCheck(c, {"127.0.0.1", srv.port()});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "connected");
  const uint16_t closed = testsupport::freePort();
  r = runCheck(c, {"127.0.0.1", closed});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "connect to 127.0.0.1:" + std::to_string(closed) + ": Connection refused");
  r = runCheck(c, {"no-such-host.invalid", 80});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.detail.find("cannot resolve"), std::string::npos) << r.detail;
}

TEST(TcpCheckTest, LocalhostResolves) {
  testing::HttpServer srv;
  srv.start();
  health::HealthCheckConfig c;
  c.kind = health::HealthKind::kTcp;
  EXPECT_TRUE(runCheck(c, {"localhost", srv.port()}).ok);
}

// ---- exec ----

health::HealthCheckConfig execCheck(std::vector<std::string> command,
                                    Millis timeout = Millis(3000)) {
  health::HealthCheckConfig c;
  c.kind = health::HealthKind::kExec;
  c.command = std::move(command);
  c.timeout = timeout;
  return c;
}

TEST(ExecCheckTest, ExitZeroPassesWithFirstLine) {
  CheckResult r =
      runCheck(execCheck({"sh", "-c", "echo replication lag 0s; echo more"}), {"db", 5432});
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.detail, "replication lag 0s");
}

TEST(ExecCheckTest, NonZeroExitFails) {
  CheckResult r = runCheck(execCheck({"sh", "-c", "echo disk full >&2; exit 3"}), {"db", 5432});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "exit 3: disk full");
}

TEST(ExecCheckTest, TargetIsInTheEnvironment) {
  CheckResult r = runCheck(
      execCheck(
          {"sh", "-c",
           "echo $SHIPGATE_CHECK_HOST:$SHIPGATE_CHECK_PORT; test $SHIPGATE_CHECK_PORT = 5432"}),
      {"db.internal", 5432});
  EXPECT_TRUE(r.ok) << r.detail;
  EXPECT_EQ(r.detail, "db.internal:5432");
}

TEST(ExecCheckTest, TimeoutKillsTheWholeGroup) {
  testsupport::TempDir dir;
  const std::string marker = dir.file("survivor");
  // The child starts a grandchild that would write the marker after 2 s; both must die.
  CheckResult r =
      runCheck(execCheck({"sh", "-c", "(sleep 2; touch " + marker + ") & echo started; sleep 30"},
                         Millis(300)),
               {"x", 1});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "timed out after 300ms (killed): started");
  EXPECT_LT(r.latency, milliseconds(2000));
  std::this_thread::sleep_for(milliseconds(2500));
  EXPECT_TRUE(testsupport::readFile(marker).empty());
  EXPECT_NE(::access(marker.c_str(), F_OK), 0) << "grandchild survived the timeout";
}

TEST(ExecCheckTest, MissingProgram) {
  CheckResult r = runCheck(execCheck({"/nonexistent/check-db"}), {"x", 1});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "exit 127: cannot execute /nonexistent/check-db");
  r = runCheck(execCheck({}), {"x", 1});
  EXPECT_FALSE(r.ok);
}

TEST(ExecCheckTest, KilledBySignal) {
  CheckResult r = runCheck(execCheck({"sh", "-c", "kill -9 $$"}), {"x", 1});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.detail, "killed by signal 9");
}

}  // namespace
}  // namespace shipgate::health
