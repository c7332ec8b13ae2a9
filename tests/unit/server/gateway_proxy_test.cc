// The reverse proxy: retries, health-driven 503s, upstream failures, blue-green switching under
// load, WebSocket tunnels. Real upstream servers on loopback.
#include <gtest/gtest.h>

#include <thread>

#include "gateway_test_support.h"

namespace shipgate::server {
namespace {

using namespace testing;

TEST(GatewayProxyTest, ConnectFailureIsRetriedOnAnotherEndpoint) {
  EchoUpstream live("live");
  uint16_t dead = deadPort();
  config::Config c = baseConfig(1);
  addApp(c, "api", {dead, live.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(cl.send("GET /r HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto r = cl.read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200) << i;
    EXPECT_EQ(r->header("x-upstream"), "live");
  }
  EXPECT_EQ(live.hits(), 10);
  // A non-idempotent request is not retried: half of them land on the dead endpoint.
  int failed = 0;
  for (int i = 0; i < 6; ++i) {
    RawClient p(h.port());
    ASSERT_TRUE(p.send("POST /r HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\nx"));
    auto r = p.read();
    ASSERT_TRUE(r);
    if (r->status == 502) ++failed;
  }
  EXPECT_GT(failed, 0);
}

TEST(GatewayProxyTest, NothingHealthyGives503WithTheReason) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  auto plan = h.gateway->plan();
  for (const auto& e : plan->endpoints(plan->appIndex("api"))) e.state->active_healthy = false;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_FALSE(r->body.empty());
  EXPECT_EQ(up.hits(), 0);
  // Recovery is picked up without a reload.
  for (const auto& e : plan->endpoints(plan->appIndex("api"))) e.state->active_healthy = true;
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r2 = cl.read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
}

TEST(GatewayProxyTest, AllEndpointsDownGives502NotAHang) {
  config::Config c = baseConfig(1);
  addApp(c, "api", {deadPort(), deadPort()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_NE(r->body.find("api"), std::string::npos);
}

TEST(GatewayProxyTest, GarbageOrEarlyCloseFromUpstreamGives502) {
  RawUpstream garbage([](int fd) {
    RawUpstream::readHead(fd);
    const char junk[] = "this is not http\r\n\r\n";
    ::send(fd, junk, sizeof(junk) - 1, MSG_NOSIGNAL);
  });
  config::Config c = baseConfig(1);
  addApp(c, "api", {garbage.port()});
  traffic::trafficConfigForTest(c).apps[0].retry_idempotent = false;
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
}

TEST(GatewayProxyTest, UpstreamStatusAndCloseDelimitedBodiesPassThrough) {
  RawUpstream raw([](int fd) {
    std::string head = RawUpstream::readHead(fd);
    std::string resp = "HTTP/1.1 201 Made\r\nX-A: 1\r\nConnection: close\r\n\r\nuntil-close";
    ::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL);
  });
  config::Config c = baseConfig(1);
  addApp(c, "api", {raw.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->header("x-a"), "1");
  EXPECT_EQ(r->body, "until-close");
  EXPECT_EQ(r->header("connection"), "close");
}

TEST(GatewayProxyTest, SlotSwitchUnderConcurrentLoadFailsNoRequest) {
  EchoUpstream blue("blue");
  EchoUpstream green("green");
  config::Config c = baseConfig(2);
  addApp(c, "api", {blue.port()}, {green.port()});
  config::Config green_config = c;
  traffic::trafficConfigForTest(green_config).apps[0].active_slot = traffic::Slot::kGreen;
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  uint16_t port = h.port();

  constexpr int kThreads = 4;
  constexpr int kPerThread = 150;
  std::atomic<int> ok{0}, failed{0}, before_green{0};
  std::atomic<bool> switched{false};
  std::atomic<int> finished{0};
  std::vector<std::thread> clients;
  std::vector<std::string> last_seen(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    clients.emplace_back([&, t] {
      auto cl = std::make_unique<RawClient>(port);
      for (int i = 0; i < kPerThread; ++i) {
        if (i % 25 == 0) cl = std::make_unique<RawClient>(port);  // mix new connections in
        bool sent = cl->send("GET /s HTTP/1.1\r\nHost: a\r\n\r\n");
        auto r = sent ? cl->read() : std::nullopt;
        if (!r || r->status != 200) {
          failed.fetch_add(1);
          cl = std::make_unique<RawClient>(port);
          continue;
        }
        ok.fetch_add(1);
        last_seen[t] = r->header("x-upstream");
        if (!switched.load() && last_seen[t] == "green") before_green.fetch_add(1);
      }
      finished.fetch_add(1);
    });
  }
  while (ok.load() < kThreads * kPerThread / 3 && finished.load() < kThreads) {
    std::this_thread::yield();
  }
  Status st = h.gateway->apply(std::make_shared<const config::Config>(green_config));
  switched.store(true);
  ASSERT_TRUE(st.isOk()) << st.toString();
  for (auto& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(ok.load(), kThreads * kPerThread);
  EXPECT_EQ(before_green.load(), 0);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(last_seen[t], "green") << t;
  EXPECT_GT(blue.hits(), 0);
  EXPECT_GT(green.hits(), 0);
  EXPECT_EQ(h.gateway->plan()->trafficConfig().apps[0].active_slot, traffic::Slot::kGreen);
}

TEST(GatewayProxyTest, BadReloadKeepsTheOldSnapshot) {
  EchoUpstream up("blue");
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  config::Config bad = c;
  traffic::SiteConfig s;
  s.name = "static";
  s.kind = traffic::SiteKind::kStatic;
  s.static_site.root = "/nonexistent/release/dir";
  s.path_prefix = "/static/";
  traffic::trafficConfigForTest(bad).sites.push_back(s);
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  auto before = h.gateway->plan();
  Status st = h.gateway->apply(std::make_shared<const config::Config>(bad));
  EXPECT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("static"), std::string::npos) << st.toString();
  EXPECT_EQ(h.gateway->plan(), before);
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(GatewayProxyTest, WebSocketUpgradeBecomesAnEchoTunnelThatSurvivesASwitch) {
  RawUpstream ws([](int fd) {
    std::string head = RawUpstream::readHead(fd);
    if (head.find("Upgrade: websocket") == std::string::npos) return;
    std::string resp =
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    ::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL);
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      ::send(fd, buf, static_cast<size_t>(n), MSG_NOSIGNAL);
    }
  });
  EchoUpstream other("green");
  config::Config c = baseConfig(1);
  addApp(c, "api", {ws.port()}, {other.port()});
  config::Config green_config = c;
  traffic::trafficConfigForTest(green_config).apps[0].active_slot = traffic::Slot::kGreen;
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
                      "early-bytes"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 101);
  EXPECT_EQ(lower(r->header("upgrade")), "websocket");
  EXPECT_EQ(cl.readBytes(11), "early-bytes");
  ASSERT_TRUE(h.gateway->apply(std::make_shared<const config::Config>(green_config)).isOk());
  std::string big(200000, 'w');
  for (int i = 0; i < 3; ++i) {
    std::string msg = "frame-" + std::to_string(i);
    ASSERT_TRUE(cl.send(msg));
    EXPECT_EQ(cl.readBytes(msg.size()), msg);
  }
  ASSERT_TRUE(cl.send(big));
  EXPECT_EQ(cl.readBytes(big.size()), big);
}

}  // namespace
}  // namespace shipgate::server
