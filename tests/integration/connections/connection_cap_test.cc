// The connection cap through the real binary, one worker, a cap of 3: a new client takes the
// place of the oldest idle keep-alive connection first, then of the oldest silent one, then of
// the oldest with part of a first request head, and is refused only when every connection is
// serving a request; max_connections_per_ip refuses a client's connection over its limit and
// no one else's; first_byte_timeout closes a connection that sends nothing. The counters in
// /metrics are checked by exact value.
#include <unistd.h>

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "../e2e/e2e_util.h"
#include "connections_util.h"
#include "support/gateway_process.h"
#include "support/net.h"

namespace conncap {
namespace {

using namespace std::chrono_literals;
using testsupport::GatewayProcess;
using testsupport::RawHttpClient;

constexpr const char* kGet = "GET / HTTP/1.1\r\nHost: app.test\r\n\r\n";
constexpr const char* kGetClose = "GET / HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n";
constexpr const char* kHold = "GET /hold HTTP/1.1\r\nHost: app.test\r\n\r\n";

class ConnectionCap : public ::testing::Test {
 protected:
  void SetUp() override { token_ = e2e::writeToken(dir_); }

  std::string yaml(const std::string& limits) const {
    return "server:\n  workers: 1\n  allow_root: true\n  limits: " + limits +
           "\nlisteners: [{name: http, address: \"127.0.0.1:" + std::to_string(http_) +
           "\"}]\nadmin: {address: \"127.0.0.1:" + std::to_string(admin_) +
           "\", token_file: \"" + token_ +
           "\"}\nsites: [{name: api, hosts: [app.test], app: api}]\n"
           "apps:\n  api:\n    read_timeout: 30s\n"
           "    slots: {blue: [{address: \"127.0.0.1:" + std::to_string(up_.port()) + "\"}]}\n";
  }
  double metric(const std::string& series) { return sample(scrape(admin_, token_), series); }
  ::testing::AssertionResult active(double n) {
    double v = waitActive(admin_, token_, n, 5s);
    if (v == n) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "shipgate_active_connections is " << v << ", not " << n;
  }
  // Starts the gateway and waits until its worker serves, so that the connection with which
  // GatewayProcess saw the port open is gone (left in the accept queue until the worker runs, it
  // would count as a silent connection).
  ::testing::AssertionResult start(GatewayProcess& gw, const std::string& limits) {
    auto started = gw.start(yaml(limits), {http_, admin_});
    if (!started) return started;
    if (int status = newClientStatus(); status != 200) {
      return ::testing::AssertionFailure() << "first request: " << status << "\n" << gw.logs();
    }
    return active(0);
  }
  // A new client's request, on a connection of its own.
  int newClientStatus() {
    RawHttpClient c;
    if (!c.connect(http_)) return -1;
    return c.roundTrip(kGetClose, {.timeout = 5s}).status;
  }

  testsupport::TempDir dir_{"sg-cap"};
  std::string token_;
  Upstream up_;
  uint16_t http_ = testsupport::freePort();
  uint16_t admin_ = testsupport::freePort();
};

TEST_F(ConnectionCap, IdleKeepAliveFirstThenSilentThenPartialThenRefused) {
  GatewayProcess gw;
  // Long header and first-byte timeouts: only the cap closes anything here.
  ASSERT_TRUE(start(gw, "{max_connections: 3, first_byte_timeout: 60s, header_timeout: 60s}"));
  // Oldest first: a partial head, a silent connection, a keep-alive connection that completed a
  // request.
  RawHttpClient partial, silent, idle;
  ASSERT_TRUE(partial.connect(http_));
  ASSERT_TRUE(partial.send("GET / HTTP/1.1\r\nHo"));
  ASSERT_TRUE(silent.connect(http_));
  ASSERT_TRUE(idle.connect(http_));
  ASSERT_EQ(idle.roundTrip(kGet).status, 200);
  ASSERT_TRUE(active(3));

  // At the cap: the idle keep-alive connection makes room, though it is the newest.
  EXPECT_EQ(newClientStatus(), 200);
  EXPECT_TRUE(idle.waitForClose(5s));
  EXPECT_FALSE(silent.waitForClose(200ms));
  EXPECT_FALSE(partial.waitForClose(200ms));
  ASSERT_TRUE(active(2));

  // No idle connection left: the silent one goes before the older partial one.
  RawHttpClient hold1;
  ASSERT_TRUE(hold1.connect(http_));
  ASSERT_TRUE(hold1.send(kHold));
  ASSERT_TRUE(up_.waitHeld(1, 5s));
  EXPECT_EQ(newClientStatus(), 200);
  EXPECT_TRUE(silent.waitForClose(5s));
  EXPECT_FALSE(partial.waitForClose(200ms));
  ASSERT_TRUE(active(2));

  // Then the partial head.
  RawHttpClient hold2;
  ASSERT_TRUE(hold2.connect(http_));
  ASSERT_TRUE(hold2.send(kHold));
  ASSERT_TRUE(up_.waitHeld(2, 5s));
  EXPECT_EQ(newClientStatus(), 200);
  EXPECT_TRUE(partial.waitForClose(5s));
  ASSERT_TRUE(active(2));

  // Every connection is serving a request: the new one is closed without an answer.
  RawHttpClient hold3;
  ASSERT_TRUE(hold3.connect(http_));
  ASSERT_TRUE(hold3.send(kHold));
  ASSERT_TRUE(up_.waitHeld(3, 5s));
  RawHttpClient refused;
  ASSERT_TRUE(refused.connect(http_));  // the kernel accepts; the gateway closes it
  EXPECT_EQ(refused.readUntilClose(5s), "");
  EXPECT_TRUE(refused.peerClosed());

  // The requests in flight were not disturbed.
  up_.release();
  for (RawHttpClient* c : {&hold1, &hold2, &hold3}) {
    auto r = c->readResponse({.timeout = 5s});
    EXPECT_EQ(r.status, 200) << r.error;
  }
  std::string m = scrape(admin_, token_);
  EXPECT_EQ(sample(m, "shipgate_connections_reclaimed_total{reason=\"idle\"}"), 1) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_reclaimed_total{reason=\"silent\"}"), 1) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_reclaimed_total{reason=\"partial\"}"), 1) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_refused_total{reason=\"max_connections\"}"), 1) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_refused_total{reason=\"max_connections_per_ip\"}"), 0)
      << m;
}

TEST_F(ConnectionCap, PerClientAddressLimitRefusesOnlyThatAddress) {
  GatewayProcess gw;
  ASSERT_TRUE(start(gw, "{max_connections: 100, max_connections_per_ip: 2, first_byte_timeout: 60s}"));
  int a1 = connectFrom("127.0.0.2", http_);
  int a2 = connectFrom("127.0.0.2", http_);
  ASSERT_GE(a1, 0);
  ASSERT_GE(a2, 0);
  ASSERT_TRUE(active(2));
  int a3 = connectFrom("127.0.0.2", http_);
  ASSERT_GE(a3, 0);
  EXPECT_TRUE(closedSilently(a3, 5s)) << "a third connection from 127.0.0.2 must be refused";
  ::close(a3);
  // Another address is served meanwhile.
  EXPECT_EQ(newClientStatus(), 200);
  // Once one of its connections closes, the address gets a new one.
  ::close(a1);
  ASSERT_TRUE(active(1));
  int a4 = connectFrom("127.0.0.2", http_);
  ASSERT_GE(a4, 0);
  EXPECT_FALSE(closedSilently(a4, 300ms));
  ASSERT_TRUE(active(2));
  std::string m = scrape(admin_, token_);
  EXPECT_EQ(sample(m, "shipgate_connections_refused_total{reason=\"max_connections_per_ip\"}"), 1)
      << m;
  EXPECT_EQ(sample(m, "shipgate_connections_refused_total{reason=\"max_connections\"}"), 0) << m;
  ::close(a2);
  ::close(a4);
}

TEST_F(ConnectionCap, ASilentConnectionIsClosedAtFirstByteTimeoutAPartialOneIsNot) {
  GatewayProcess gw;
  ASSERT_TRUE(start(gw, "{first_byte_timeout: 500ms, header_timeout: 30s}"));
  RawHttpClient silent, partial;
  ASSERT_TRUE(silent.connect(http_));
  ASSERT_TRUE(partial.connect(http_));
  ASSERT_TRUE(partial.send("GET / HTTP/1.1\r\n"));
  // Closed without a response, long before header_timeout.
  EXPECT_EQ(silent.readUntilClose(10s), "");
  EXPECT_TRUE(silent.peerClosed());
  // The connection that started its request is still open and is answered.
  auto r = partial.roundTrip("Host: app.test\r\n\r\n", {.timeout = 5s});
  EXPECT_EQ(r.status, 200) << r.error;
  // A closed silent connection is not counted as refused or reclaimed.
  std::string m = scrape(admin_, token_);
  EXPECT_EQ(sample(m, "shipgate_connections_reclaimed_total{reason=\"silent\"}"), 0) << m;
  EXPECT_EQ(sample(m, "shipgate_connections_refused_total{reason=\"max_connections\"}"), 0) << m;
}

}  // namespace
}  // namespace conncap
