// Self-tests of RawHttpClient: framing (Content-Length, chunked, close-delimited, HEAD, 1xx) against
// a scripted loopback server that writes exact bytes, and keep-alive + pipelining against a real
// HTTP server (cpp-httplib).
#include "support/raw_http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>

#include "support/net.h"
#include "support/paths.h"
#include "support/process.h"

namespace testsupport {
namespace {

using std::chrono::milliseconds;

// Accepts one connection, waits for a request head, writes `reply`, then closes (or not).
class ScriptedServer {
 public:
  ScriptedServer(std::string reply, bool close_after) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this, reply = std::move(reply), close_after] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      request_ = got;
      // Write in small pieces so the client must reassemble.
      for (size_t i = 0; i < reply.size(); i += 7) {
        ::send(c, reply.data() + i, std::min<size_t>(7, reply.size() - i), MSG_NOSIGNAL);
      }
      if (close_after) {
        ::close(c);
      } else {
        while (!done_.load()) std::this_thread::sleep_for(milliseconds(10));
        ::close(c);
      }
    });
  }
  ~ScriptedServer() {
    done_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  std::string request() {
    thread_.join();
    thread_ = std::thread([] {});
    return request_;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  std::atomic<bool> done_{false};
  std::string request_;
};

TEST(RawHttpClientTest, ContentLengthBodyAndHeaders) {
  ScriptedServer s("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nx-a:  2 \r\n\r\nhello", true);
  RawHttpClient c;
  ASSERT_TRUE(c.connect(s.port())) << c.error();
  HttpResponse r = c.roundTrip("GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.version, "HTTP/1.1");
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.body, "hello");
  EXPECT_EQ(r.header("x-a"), "1");
  EXPECT_EQ(r.headerCount("X-A"), 2u);
  EXPECT_EQ(r.headers[2].second, "2");
  EXPECT_FALSE(r.chunked);
  EXPECT_EQ(s.request(), "GET /x HTTP/1.1\r\nHost: h\r\n\r\n");
}

TEST(RawHttpClientTest, SendSlowlyDeliversTheSameBytes) {
  ScriptedServer s("HTTP/1.1 204 No Content\r\n\r\n", true);
  RawHttpClient c;
  ASSERT_TRUE(c.connect(s.port())) << c.error();
  std::string req = "GET /slow HTTP/1.1\r\nHost: h\r\nX-Pad: 0123456789\r\n\r\n";
  ASSERT_TRUE(c.sendSlowly(req, 10, milliseconds(5))) << c.error();
  EXPECT_EQ(c.readResponse().status, 204);
  EXPECT_EQ(s.request(), req);
  EXPECT_TRUE(c.waitForClose(milliseconds(5000)));
}

TEST(RawHttpClientTest, ChunkedBodyWithExtensionsAndTrailers) {
  ScriptedServer s(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;ext=1\r\nhello\r\nB\r\n, chunked!!\r\n0\r\nX-Trailer: t\r\n\r\n",
      false);
  RawHttpClient c;
  ASSERT_TRUE(c.connect(s.port())) << c.error();
  HttpResponse r = c.roundTrip("GET / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "hello, chunked!!");
  ASSERT_EQ(r.trailers.size(), 1u);
  EXPECT_EQ(r.trailers[0].second, "t");
  EXPECT_FALSE(c.peerClosed());
}

TEST(RawHttpClientTest, CloseDelimitedBody) {
  ScriptedServer s("HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall until close", true);
  RawHttpClient c;
  ASSERT_TRUE(c.connect(s.port())) << c.error();
  HttpResponse r = c.roundTrip("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.close_delimited);
  EXPECT_EQ(r.body, "all until close");
  EXPECT_TRUE(c.peerClosed());
}

TEST(RawHttpClientTest, InterimAndBodylessResponses) {
  ScriptedServer s(
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 204 No Content\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n"
      "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
      false);
  RawHttpClient c;
  ASSERT_TRUE(c.connect(s.port())) << c.error();
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_EQ(c.readResponse().status, 100);
  EXPECT_EQ(c.readResponse().status, 204);
  HttpResponse head = c.readResponse({.head_request = true});
  EXPECT_EQ(head.status, 200) << head.error;
  EXPECT_EQ(head.body, "");
  HttpResponse not_modified = c.readResponse();
  EXPECT_EQ(not_modified.status, 304) << not_modified.error;
  EXPECT_EQ(c.readAvailable(milliseconds(50)), "");
}

TEST(RawHttpClientTest, ErrorsAreReportedNotThrown) {
  {
    ScriptedServer s("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", true);
    RawHttpClient c;
    ASSERT_TRUE(c.connect(s.port()));
    HttpResponse r = c.roundTrip("GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("closed"), std::string::npos) << r.error;
  }
  {
    ScriptedServer s("garbage\r\n\r\n", true);
    RawHttpClient c;
    ASSERT_TRUE(c.connect(s.port()));
    HttpResponse r = c.roundTrip("GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("status line"), std::string::npos) << r.error;
  }
  {
    ScriptedServer s("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", true);
    RawHttpClient c;
    ASSERT_TRUE(c.connect(s.port()));
    HttpResponse r = c.roundTrip("GET / HTTP/1.1\r\n\r\n");
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("chunk size"), std::string::npos) << r.error;
  }
  {
    ScriptedServer s("", false);  // Never answers.
    RawHttpClient c;
    ASSERT_TRUE(c.connect(s.port()));
    HttpResponse r = c.roundTrip("GET / HTTP/1.1\r\n\r\n", {.timeout = milliseconds(200)});
    EXPECT_EQ(r.status, 0);
    EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  }
  RawHttpClient c;
  uint16_t closed_port = freePort();
  EXPECT_FALSE(c.connect(closed_port));
  EXPECT_NE(c.error().find("refused"), std::string::npos) << c.error();
  EXPECT_EQ(httpGet(closed_port, "/").status, 0);
}

class RealServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.Get("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("path=" + req.path + " q=" + req.get_param_value("q"), "text/plain");
    });
    server_.Post("/len", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.body.size()), "text/plain");
    });
    server_.Get("/stream", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("text/plain", [](size_t, httplib::DataSink& sink) {
        sink.write("abc", 3);
        sink.write("defg", 4);
        sink.done();
        return true;
      });
    });
    port_ = static_cast<uint16_t>(server_.bind_to_any_port("127.0.0.1"));
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    ASSERT_TRUE(waitForPort(port_, milliseconds(5000)));
  }
  void TearDown() override {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  httplib::Server server_;
  std::thread thread_;
  uint16_t port_ = 0;
};

TEST_F(RealServerTest, ChunkedResponseFromARealServer) {
  RawHttpClient c;
  ASSERT_TRUE(c.connect(port_)) << c.error();
  HttpResponse r = c.roundTrip("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.body, "abcdefg");
}

TEST_F(RealServerTest, ConvenienceHelpers) {
  HttpResponse r = httpGet(port_, "/echo?q=x", {{"X-Test", "1"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "path=/echo q=x");
  EXPECT_EQ(r.header("content-type"), "text/plain");
  HttpResponse p = httpRequest(port_, "POST", "/len", {}, "12345");
  ASSERT_EQ(p.status, 200) << p.error;
  EXPECT_EQ(p.body, "5");
  EXPECT_EQ(httpGet(port_, "/missing").status, 404);
}

// cpp-httplib 0.11 drops pipelined requests, so pipelining is checked against nginx (a test
// dependency: scripts/install-deps.sh test), run in the foreground with its own prefix.
TEST(RawHttpClientNginxTest, PipelinedRequestsOnOneConnection) {
  TempDir dir("sg-nginx");
  ASSERT_TRUE(dir.ok()) << dir.error();
  uint16_t port = freePort();
  dir.writeFile("logs/.keep", "");
  std::string conf = dir.writeFile(
      "nginx.conf",
      "daemon off; master_process off; worker_processes 1;\n"
      "error_log " + dir.file("logs/error.log") + " info; pid " + dir.file("nginx.pid") + ";\n"
      "events { worker_connections 64; }\n"
      "http { access_log off;\n"
      "  server { listen 127.0.0.1:" + std::to_string(port) + ";\n"
      "    location /echo { return 200 \"path=$uri q=$arg_q\"; }\n"
      "    location /len { return 200 \"len=$content_length\"; }\n"
      "  }\n"
      "}\n");
  ASSERT_FALSE(conf.empty());
  Process nginx(command({"nginx", "-p", dir.path(), "-c", conf}));
  ASSERT_TRUE(nginx.start()) << "nginx is a test dependency (scripts/install-deps.sh test)";
  ASSERT_TRUE(waitForPort(port, milliseconds(10000))) << nginx.describe();

  RawHttpClient c;
  ASSERT_TRUE(c.connect(port)) << c.error();
  std::string host = "Host: 127.0.0.1\r\n";
  ASSERT_TRUE(c.send("GET /echo?q=1 HTTP/1.1\r\n" + host + "\r\n" +
                     "POST /len HTTP/1.1\r\n" + host + "Content-Length: 4\r\n\r\nabcd" +
                     "HEAD /echo?q=h HTTP/1.1\r\n" + host + "\r\n" +
                     "GET /echo?q=2 HTTP/1.1\r\n" + host + "Connection: close\r\n\r\n"));
  HttpResponse r1 = c.readResponse();
  HttpResponse r2 = c.readResponse();
  HttpResponse r3 = c.readResponse({.head_request = true});
  HttpResponse r4 = c.readResponse();
  EXPECT_EQ(r1.body, "path=/echo q=1") << r1.error;
  EXPECT_EQ(r2.body, "len=4") << r2.error;
  EXPECT_EQ(r3.status, 200) << r3.error;
  EXPECT_EQ(r3.header("Content-Length"), "14");
  EXPECT_EQ(r3.body, "");
  EXPECT_EQ(r4.body, "path=/echo q=2") << r4.error;
  EXPECT_TRUE(c.waitForClose(milliseconds(5000)));
}

}  // namespace
}  // namespace testsupport
