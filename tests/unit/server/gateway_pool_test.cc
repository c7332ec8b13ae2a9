// The upstream keep-alive pool under upstreams that close: a connection whose response closes is
// never reused, a pooled connection the upstream already closed is never used for a request, and
// non-idempotent requests (POST) therefore never fail on one. Real upstreams on loopback that
// speak HTTP/1.1 keep-alive and close the way common servers do.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "gateway_test_support.h"

namespace shipgate::server {
namespace {

using namespace testing;

// How a KeepAliveUpstream ends a connection after an answer.
enum class CloseMode {
  // HTTP/1.0 requests without "Connection: keep-alive" are answered "HTTP/1.1 200" with no
  // Connection header (as e.g. Python's http.server does), then the socket closes a moment later
  // without reading anything more. HTTP/1.1 requests keep the connection.
  kAfterHttp10,
  // Every answer looks keep-alive but the socket closes right after it (an upstream that
  // closes idle connections at once).
  kAfterEveryAnswer,
};

size_t contentLength(const std::string& head) {
  std::string l = lower(head);
  size_t at = l.find("\r\ncontent-length:");
  if (at == std::string::npos) return 0;
  return std::stoul(l.substr(at + 17));
}

// Answers "ok" to each request of a connection, counting the requests it answered.
class KeepAliveUpstream {
 public:
  explicit KeepAliveUpstream(CloseMode mode)
      : raw_([this, mode](int fd) { serve(fd, mode); }) {}
  uint16_t port() const { return raw_.port(); }
  int answered() const { return answered_.load(); }

 private:
  void serve(int fd, CloseMode mode) {
    std::string buf;
    for (;;) {
      size_t end;
      while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
        char tmp[4096];
        ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      std::string head = buf.substr(0, end + 4);
      buf.erase(0, end + 4);
      size_t body = contentLength(head);
      while (buf.size() < body) {
        char tmp[4096];
        ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
        if (n <= 0) return;
        buf.append(tmp, static_cast<size_t>(n));
      }
      buf.erase(0, body);
      bool http10 = head.find(" HTTP/1.0\r\n") < head.find("\r\n") + 1;
      bool asked_keep_alive = lower(head).find("\r\nconnection: keep-alive") != std::string::npos;
      std::string answer = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
      // kAfterEveryAnswer: the answer and the FIN leave in one segment (corked), so the FIN is
      // there by the time the gateway has read the answer.
      int one = 1;
      if (mode == CloseMode::kAfterEveryAnswer) {
        setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one));
      }
      // Counted before the answer leaves, so the count is final once the client has it.
      answered_.fetch_add(1);
      if (::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(answer.size())) {
        return;
      }
      if (mode == CloseMode::kAfterEveryAnswer) {
        ::shutdown(fd, SHUT_WR);
        return;
      }
      if (http10 && !asked_keep_alive) {
        // The close comes a little after the answer: a request sent on this connection in the
        // meantime is never read.
        std::this_thread::sleep_for(std::chrono::milliseconds(30));
        return;
      }
    }
  }

  std::atomic<int> answered_{0};
  RawUpstream raw_;
};

std::string post(bool http10, int i) {
  std::string body = "n=" + std::to_string(i);
  return std::string("POST /p HTTP/1.") + (http10 ? "0" : "1") +
         "\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST(GatewayPoolTest, Http10PostsToAKeepAliveUpstreamThatClosesAllSucceed) {
  KeepAliveUpstream up(CloseMode::kAfterHttp10);
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  // As `curl -0 --data` would: one HTTP/1.0 POST per connection, one after the other.
  int ok = 0;
  int other = 0;
  constexpr int kRequests = 60;
  for (int i = 0; i < kRequests; ++i) {
    RawClient cl(h.port());
    ASSERT_TRUE(cl.send(post(true, i)));
    auto r = cl.read();
    if (r && r->status == 200 && r->body == "ok") {
      ++ok;
    } else {
      ++other;
    }
  }
  EXPECT_EQ(ok, kRequests);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(up.answered(), kRequests);
}

TEST(GatewayPoolTest, MixedHttp10AndHttp11PostsAllSucceed) {
  KeepAliveUpstream up(CloseMode::kAfterHttp10);
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  // A keep-alive HTTP/1.1 client and one-shot HTTP/1.0 clients take turns, so HTTP/1.1 requests
  // follow HTTP/1.0 answers on the same worker.
  RawClient keep(h.port());
  int ok = 0;
  int other = 0;
  constexpr int kRounds = 40;
  for (int i = 0; i < kRounds; ++i) {
    RawClient once(h.port());
    ASSERT_TRUE(once.send(post(true, i)));
    auto r10 = once.read();
    (r10 && r10->status == 200 ? ok : other) += 1;
    ASSERT_TRUE(keep.send(post(false, i)));
    auto r11 = keep.read();
    (r11 && r11->status == 200 ? ok : other) += 1;
  }
  EXPECT_EQ(ok, 2 * kRounds);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(up.answered(), 2 * kRounds);
}

TEST(GatewayPoolTest, PipelinedPostsAfterAnUnannouncedCloseAllSucceed) {
  KeepAliveUpstream up(CloseMode::kAfterEveryAnswer);
  config::Config c = baseConfig(1);
  addApp(c, "api", {up.port()});
  GatewayHarness h(std::move(c));
  ASSERT_TRUE(h.error.empty()) << h.error;
  // Pipelined: the next POST is taken up the moment the previous answer is complete, before the
  // worker has seen the upstream's FIN as an event.
  constexpr int kBatches = 10;
  constexpr int kPerBatch = 6;
  int ok = 0;
  int other = 0;
  for (int b = 0; b < kBatches; ++b) {
    RawClient cl(h.port());
    std::string batch;
    for (int i = 0; i < kPerBatch; ++i) batch += post(false, i);
    ASSERT_TRUE(cl.send(batch));
    for (int i = 0; i < kPerBatch; ++i) {
      auto r = cl.read();
      if (!r) {
        other += kPerBatch - i;
        break;
      }
      (r->status == 200 ? ok : other) += 1;
    }
  }
  EXPECT_EQ(ok, kBatches * kPerBatch);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(up.answered(), kBatches * kPerBatch);
}

}  // namespace
}  // namespace shipgate::server
