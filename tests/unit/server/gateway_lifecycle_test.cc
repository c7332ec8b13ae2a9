// Timeouts on simulated time (slowloris 408, idle close, upstream read timeout 504), graceful
// shutdown with a request in flight, the access log, and static sites served from disk.
#include <gtest/gtest.h>
#include <poll.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "gateway_test_support.h"

namespace shipgate::server {
namespace {

using namespace testing;
namespace fs = std::filesystem;

// Moves simulated time forward one step at a time, waking the workers, until the client's
// socket has something to read (a response or EOF). Returns false when nothing happened.
bool advanceUntilReadable(SimulatedClock& clock, GatewayHarness& h, RawClient& c, Millis step,
                          int max_steps) {
  for (int i = 0; i < max_steps; ++i) {
    clock.advance(step);
    h.gateway->wakeWorkersForTest();
    pollfd p{c.fd(), POLLIN, 0};
    if (poll(&p, 1, 100) == 1) return true;
  }
  return false;
}

fs::path makeTempDir(const std::string& tag) {
  fs::path dir = fs::temp_directory_path() / ("shipgate-" + tag + "-XXXXXX");
  std::string s = dir.string();
  EXPECT_NE(mkdtemp(s.data()), nullptr);
  return s;
}

TEST(GatewayTimeoutTest, SlowlorisHeaderGets408) {
  SimulatedClock clock;
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  c.server.limits.header_timeout = Millis(10'000);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c), clock);
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: "));
  ASSERT_TRUE(advanceUntilReadable(clock, h, cl, Millis(1000), 40));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_TRUE(cl.closedByPeer());
  EXPECT_EQ(up.hits(), 0);
}

TEST(GatewayTimeoutTest, IdleKeepAliveConnectionIsClosed) {
  SimulatedClock clock;
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  c.server.limits.idle_timeout = Millis(5'000);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c), clock);
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  ASSERT_TRUE(advanceUntilReadable(clock, h, cl, Millis(1000), 40));
  EXPECT_TRUE(cl.closedByPeer());
}

TEST(GatewayTimeoutTest, SilentUpstreamGets504AfterTheReadTimeout) {
  SimulatedClock clock;
  std::atomic<bool> done{false};
  RawUpstream silent([&](int fd) {
    RawUpstream::readHead(fd);
    char c;
    ::recv(fd, &c, 1, 0);  // until the gateway gives up and closes
  });
  config::Config c = baseConfig(1);
  addApp(c, "api", {silent.port()});
  traffic::trafficConfigForTest(c).apps[0].read_timeout = Millis(3'000);
  GatewayHarness h(std::move(c), clock);
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(advanceUntilReadable(clock, h, cl, Millis(500), 60));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 504);
  done = true;
}

TEST(GatewayLimitsTest, AtMaxConnectionsTheOldestIdleKeepAliveConnectionMakesRoom) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  c.server.limits.max_connections = 2;
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient a(h.port()), b(h.port());
  for (RawClient* cl : {&a, &b}) {
    ASSERT_TRUE(cl->send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto r = cl->read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  RawClient over(h.port());
  ASSERT_TRUE(over.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = over.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(a.closedByPeer());  // the oldest idle one
  ASSERT_TRUE(b.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto rb = b.read();
  ASSERT_TRUE(rb);
  EXPECT_EQ(rb->status, 200);
  EXPECT_EQ(h.metrics.activeConnections(), 2);
}

TEST(GatewayTimeoutTest, ASilentConnectionIsClosedAtTheFirstByteTimeout) {
  SimulatedClock clock;
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  c.server.limits.first_byte_timeout = Millis(5'000);
  c.server.limits.header_timeout = Millis(60'000);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c), clock);
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient silent(h.port());
  RawClient started(h.port());
  ASSERT_TRUE(started.send("GET / HTTP/1.1\r\n"));
  // 6 s of simulated time: the silent one is closed without a response.
  ASSERT_TRUE(advanceUntilReadable(clock, h, silent, Millis(1000), 6));
  EXPECT_TRUE(silent.closedByPeer());
  // The one that started its request is not (header_timeout is 60 s) and is answered.
  ASSERT_TRUE(started.send("Host: a\r\n\r\n"));
  auto r = started.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(GatewayShutdownTest, InFlightRequestFinishesDuringDrain) {
  std::atomic<bool> got_request{false}, release{false};
  RawUpstream slow([&](int fd) {
    if (RawUpstream::readHead(fd).empty()) return;
    got_request = true;
    while (!release.load()) std::this_thread::yield();
    std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nslow";
    ::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL);
  });
  config::Config c = baseConfig(1);
  addApp(c, "api", {slow.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient idle(h.port());
  ASSERT_TRUE(idle.connected());
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  while (!got_request.load()) std::this_thread::yield();
  std::thread stopper([&] { h.gateway->shutdown(Millis(30'000)); });
  EXPECT_TRUE(idle.closedByPeer());  // idle connections close at once
  release = true;
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "slow");
  EXPECT_EQ(r->header("connection"), "close");
  stopper.join();
  RawClient late(h.port());
  EXPECT_FALSE(late.connected());
}

TEST(GatewayAccessLogTest, WritesOneJsonLinePerRequest) {
  fs::path dir = makeTempDir("log");
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  c.server.log.access_log = true;
  c.server.log.access_log_path = (dir / "access.log").string();
  addApp(c, "api", {up.port()});
  {
    GatewayHarness h(std::move(c));
    ASSERT_TRUE(h.error.empty()) << h.error;
    RawClient cl(h.port());
    ASSERT_TRUE(cl.send("GET /one?x=1 HTTP/1.1\r\nHost: a\r\nX-Request-Id: rid-1\r\n\r\n"));
    ASSERT_TRUE(cl.read());
    ASSERT_TRUE(cl.send("POST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi"));
    ASSERT_TRUE(cl.read());
  }  // shutdown flushes
  std::ifstream in(dir / "access.log");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["request_id"], "rid-1");
  EXPECT_EQ(lines[0]["method"], "GET");
  EXPECT_EQ(lines[0]["path"], "/one");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["client_ip"], "127.0.0.1");
  EXPECT_EQ(lines[0]["app"], "api");
  EXPECT_EQ(lines[0]["slot"], "blue");
  EXPECT_EQ(lines[0]["upstream"], "127.0.0.1:" + std::to_string(up.port()));
  EXPECT_GT(lines[0]["bytes"].get<int>(), 0);
  EXPECT_TRUE(lines[0].contains("time"));
  EXPECT_TRUE(lines[0].contains("duration"));
  EXPECT_EQ(lines[1]["method"], "POST");
  fs::remove_all(dir);
}

TEST(GatewayStaticTest, ServesFilesWithSendfileAndHead) {
  fs::path dir = makeTempDir("static");
  std::string big(300'000, 'q');
  for (size_t i = 0; i < big.size(); i += 97) big[i] = static_cast<char>('a' + (i % 26));
  std::ofstream(dir / "index.html") << "<h1>hello</h1>";
  std::ofstream(dir / "big.bin", std::ios::binary) << big;
  config::Config c = baseConfig(1);
  traffic::SiteConfig s;
  s.name = "www";
  s.kind = traffic::SiteKind::kStatic;
  s.static_site.root = dir.string();
  traffic::trafficConfigForTest(c).sites.push_back(s);
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "<h1>hello</h1>");
  ASSERT_TRUE(cl.send("GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\nHEAD /big.bin HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto b = cl.read();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  EXPECT_EQ(b->body.size(), big.size());
  EXPECT_TRUE(b->body == big);
  auto hd = cl.read(/*head_request=*/true);
  ASSERT_TRUE(hd);
  EXPECT_EQ(hd->status, 200);
  EXPECT_EQ(hd->header("content-length"), std::to_string(big.size()));
  EXPECT_TRUE(hd->body.empty());
  auto m = cl.read();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->status, 404);
  std::string etag = b->header("etag");
  if (!etag.empty()) {
    ASSERT_TRUE(cl.send("GET /big.bin HTTP/1.1\r\nHost: a\r\nIf-None-Match: " + etag + "\r\n\r\n"));
    auto nm = cl.read();
    ASSERT_TRUE(nm);
    EXPECT_EQ(nm->status, 304);
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shipgate::server
