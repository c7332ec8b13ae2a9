// The HTTP/1.1 server side of the gateway: keep-alive, pipelining, chunked bodies both ways,
// 100-continue, limits and smuggling defences, proxy headers. Real sockets on loopback.
#include <chrono>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "gateway_test_support.h"

namespace shipgate::server {
namespace {

using namespace testing;

class GatewayHttpTest : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<EchoUpstream>("blue");
    config::Config c = baseConfig();
    c.server.limits.max_header_bytes = 2048;
    c.server.limits.max_body_bytes = 1000;
    addApp(c, "api", {upstream_->port()});
    h_ = std::make_unique<GatewayHarness>(std::move(c));
    ASSERT_TRUE(h_->error.empty()) << h_->error;
    port_ = h_->port();
    ASSERT_NE(port_, 0);
  }
  std::unique_ptr<EchoUpstream> upstream_;
  std::unique_ptr<GatewayHarness> h_;
  uint16_t port_ = 0;
};

TEST_F(GatewayHttpTest, KeepAliveServesManyRequestsOnOneConnection) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(c.send("GET /k/" + std::to_string(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
    auto echo = parseEcho(r->body);
    EXPECT_EQ(echo["path"], "/k/" + std::to_string(i));
    EXPECT_EQ(r->header("connection"), "");
  }
  ASSERT_TRUE(c.send("GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(GatewayHttpTest, ProxyAddsForwardingHeadersAndStripsHopByHop) {
  RawClient c(port_);
  ASSERT_TRUE(c.send(
      "GET /h?q=1 HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive, X-Secret\r\n"
      "X-Secret: 1\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nX-Forwarded-For: 10.0.0.1\r\n"
      "X-Custom: kept\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto echo = parseEcho(r->body);
  EXPECT_EQ(echo["h:x-forwarded-for"], "10.0.0.1, 127.0.0.1");
  EXPECT_EQ(echo["h:x-forwarded-proto"], "http");
  EXPECT_EQ(echo["h:x-forwarded-host"], "shop.example");
  EXPECT_EQ(echo["h:host"], "shop.example");
  EXPECT_EQ(echo["h:x-custom"], "kept");
  EXPECT_EQ(echo.count("h:x-secret"), 0u);
  EXPECT_EQ(echo.count("h:keep-alive"), 0u);
  EXPECT_EQ(echo.count("h:te"), 0u);
  std::string id = echo["h:x-request-id"];
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(r->header("x-request-id"), id);
  // The upstream's hop-by-hop response headers do not reach the client.
  EXPECT_EQ(r->header("keep-alive"), "");
  EXPECT_EQ(r->header("x-upstream"), "blue");

  // A client-supplied request id is kept end to end.
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Request-Id: trace-42\r\n\r\n"));
  auto r2 = c.read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(parseEcho(r2->body)["h:x-request-id"], "trace-42");
  EXPECT_EQ(r2->header("x-request-id"), "trace-42");
}

TEST_F(GatewayHttpTest, PipelinedRequestsAreAnsweredInOrder) {
  RawClient c(port_);
  std::string batch;
  for (int i = 0; i < 8; ++i) {
    if (i % 3 == 1) {
      batch += "POST /p/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc";
    } else {
      batch += "GET /p/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n";
    }
  }
  ASSERT_TRUE(c.send(batch));
  for (int i = 0; i < 8; ++i) {
    auto r = c.read();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(parseEcho(r->body)["path"], "/p/" + std::to_string(i));
  }
}

TEST_F(GatewayHttpTest, ChunkedRequestAndResponseBodies) {
  RawClient c(port_);
  ASSERT_TRUE(c.send("POST /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n"));
  ASSERT_TRUE(c.send("6\r\n world\r\n0\r\n\r\n"));
  auto r = c.read();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  auto echo = parseEcho(r->body);
  EXPECT_EQ(echo["body"], "hello world");
  EXPECT_EQ(echo["h:content-length"], "11");
  EXPECT_EQ(echo.count("h:transfer-encoding"), 0u);

  ASSERT_TRUE(c.send("GET /chunked HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r2 = c.read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
  EXPECT_TRUE(r2->chunked);
  EXPECT_EQ(parseEcho(r2->body)["path"], "/chunked");
  // Still usable afterwards.
  ASSERT_TRUE(c.send("GET /after HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r3 = c.read();
  ASSERT_TRUE(r3);
  EXPECT_EQ(parseEcho(r3->body)["path"], "/after");
}

TEST_F(GatewayHttpTest, ExpectContinueGetsInterimResponseBeforeTheBody) {
  RawClient c(port_);
  ASSERT_TRUE(c.send("PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.read();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("data"));
  auto r = c.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  auto echo = parseEcho(r->body);
  EXPECT_EQ(echo["body"], "data");
  EXPECT_EQ(echo.count("h:expect"), 0u);

  // Over the body limit: 413 straight away, no 100.
  ASSERT_TRUE(c.send("PUT /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n"));
  auto big = c.read();
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 413);
  EXPECT_TRUE(c.closedByPeer());
}

TEST_F(GatewayHttpTest, HeaderAndBodyLimits) {
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + std::string(4000, 'a') + "\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 431);
    EXPECT_TRUE(c.closedByPeer());
  }
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1001\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {
    RawClient c(port_);
    ASSERT_TRUE(c.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"));
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(c.send("1f4\r\n" + std::string(500, 'z') + "\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  EXPECT_EQ(upstream_->hits(), 0);
}

TEST_F(GatewayHttpTest, SmugglingAttemptsGet400AndTheConnectionCloses) {
  const char* attacks[] = {
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nG",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1_0\r\n\r\nabcd",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
  };
  for (const char* attack : attacks) {
    RawClient c(port_);
    ASSERT_TRUE(c.send(std::string(attack) + "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r) << attack;
    EXPECT_EQ(r->status, 400) << attack;
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closedByPeer()) << attack;
  }
  EXPECT_EQ(upstream_->hits(), 0);
}

TEST_F(GatewayHttpTest, UnknownHostGets404WhenNoSiteMatches) {
  config::Config c = baseConfig(1);
  addApp(c, "api", {upstream_->port()});
  traffic::trafficConfigForTest(c).sites[0].hosts = {"api.example"};
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: other.example\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  ASSERT_TRUE(cl.send("GET / HTTP/1.1\r\nHost: api.example:8080\r\n\r\n"));
  auto r2 = cl.read();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->status, 200);
}

TEST_F(GatewayHttpTest, RedirectHttpsSiteAnswers308) {
  config::Config c = baseConfig(1);
  addApp(c, "api", {upstream_->port()});
  traffic::trafficConfigForTest(c).sites[0].redirect_https = true;
  traffic::trafficConfigForTest(c).sites[0].https_port = 8443;
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  RawClient cl(h.port());
  ASSERT_TRUE(cl.send("GET /a/b?c=d HTTP/1.1\r\nHost: shop.example\r\n\r\n"));
  auto r = cl.read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 308);
  EXPECT_EQ(r->header("location"), "https://shop.example:8443/a/b?c=d");
}

// Sum of the samples of `name` whose labels include every pair of `want`, parsed from Prometheus
// text (label order does not matter); -1 when no sample matches.
double sampleSum(const std::string& text, const std::string& name,
                 const std::map<std::string, std::string>& want) {
  double sum = -1;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.rfind(name + "{", 0) != 0) continue;
    size_t close = line.find("} ");
    if (close == std::string::npos) continue;
    std::map<std::string, std::string> labels;
    std::string body = line.substr(name.size() + 1, close - name.size() - 1);
    size_t i = 0;
    while (i < body.size()) {
      size_t eq = body.find("=\"", i);
      size_t q = body.find('"', eq + 2);
      if (eq == std::string::npos || q == std::string::npos) break;
      labels[body.substr(i, eq - i)] = body.substr(eq + 2, q - eq - 2);
      i = q + 2;  // past '"' and ','
    }
    bool match = true;
    for (const auto& [k, v] : want) match = match && labels.count(k) && labels[k] == v;
    if (match) sum = (sum < 0 ? 0 : sum) + std::stod(line.substr(close + 2));
  }
  return sum;
}

TEST_F(GatewayHttpTest, MetricsCountEveryRequestByAppSlotAndStatusClass) {
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(c.send("GET /ok/" + std::to_string(i) + " HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 200);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send("GET /status/500 HTTP/1.1\r\nHost: a\r\n\r\n"));
    auto r = c.read();
    ASSERT_TRUE(r) << "request " << i;
    ASSERT_EQ(r->status, 500);
  }
  const std::map<std::string, std::string> blue = {{"app", "api"}, {"slot", "blue"}};
  auto with = [&](const char* code) {
    auto labels = blue;
    labels["code"] = code;
    return labels;
  };
  // A request is counted once its response is written: wait until all ten are in, then compare.
  std::string text;
  for (int i = 0; i < 200; ++i) {
    text = h_->metrics.renderPrometheus();
    if (sampleSum(text, "shipgate_http_request_duration_seconds_count", blue) >= 10) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(sampleSum(text, "shipgate_http_requests_total", with("2xx")), 7) << text;
  EXPECT_EQ(sampleSum(text, "shipgate_http_requests_total", with("5xx")), 3) << text;
  EXPECT_EQ(sampleSum(text, "shipgate_http_requests_total", with("4xx")), -1) << text;
  EXPECT_EQ(sampleSum(text, "shipgate_http_requests_total", {{"app", "api"}}), 10) << text;
  EXPECT_EQ(sampleSum(text, "shipgate_http_request_duration_seconds_count", blue), 10) << text;
  EXPECT_EQ(sampleSum(text, "shipgate_http_requests_total", {{"slot", "green"}}), -1) << text;
}

}  // namespace
}  // namespace shipgate::server
