#include "shipgate/http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace shipgate::http {
namespace {

struct Parsed {
  RequestParser::State state;
  size_t consumed;
};

Parsed feed(RequestParser& p, std::string_view data) {
  size_t consumed = 0;
  auto st = p.execute(data.data(), data.size(), &consumed);
  return {st, consumed};
}

TEST(RequestParserTest, ParsesHeadAndKeepAlive) {
  RequestParser p(16384, 1 << 20);
  std::string req =
      "GET /a/b?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Long: v1\r\nAccept: */*\r\n\r\n";
  auto r = feed(p, req);
  ASSERT_EQ(r.state, RequestParser::State::kComplete);
  EXPECT_EQ(r.consumed, req.size());
  const Request& q = p.request();
  EXPECT_EQ(q.method(), "GET");
  EXPECT_EQ(q.target(), "/a/b?x=1");
  EXPECT_EQ(q.path(), "/a/b");
  EXPECT_EQ(q.header("host"), "example.com");
  EXPECT_EQ(q.header("HOST"), "example.com");
  EXPECT_EQ(q.headerCount(), 3u);
  EXPECT_EQ(q.headerName(1), "X-Long");
  EXPECT_TRUE(q.keepAlive());
  EXPECT_TRUE(q.idempotent());
  EXPECT_EQ(q.contentLength(), -1);
}

TEST(RequestParserTest, Http10ClosesByDefault) {
  RequestParser p(16384, 1 << 20);
  ASSERT_EQ(feed(p, "GET / HTTP/1.0\r\n\r\n").state, RequestParser::State::kComplete);
  EXPECT_FALSE(p.request().keepAlive());
  EXPECT_EQ(p.request().versionMinor(), 0);
}

TEST(RequestParserTest, PipelinedRequestsStopAtEachMessage) {
  RequestParser p(16384, 1 << 20);
  std::string two =
      "POST /one HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
      "GET /two HTTP/1.1\r\nHost: a\r\n\r\n";
  auto r = feed(p, two);
  ASSERT_EQ(r.state, RequestParser::State::kComplete);
  EXPECT_EQ(p.request().target(), "/one");
  EXPECT_EQ(p.request().body(), "hello");
  p.next();
  auto r2 = feed(p, std::string_view(two).substr(r.consumed));
  ASSERT_EQ(r2.state, RequestParser::State::kComplete);
  EXPECT_EQ(p.request().target(), "/two");
  EXPECT_EQ(r.consumed + r2.consumed, two.size());
}

TEST(RequestParserTest, ByteByByteFeedingGivesTheSameRequest) {
  RequestParser p(16384, 1 << 20);
  std::string req =
      "PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  RequestParser::State st = RequestParser::State::kNeedMore;
  for (size_t i = 0; i < req.size(); ++i) {
    size_t c = 0;
    st = p.execute(req.data() + i, 1, &c);
    ASSERT_NE(st, RequestParser::State::kError) << p.errorReason() << " at " << i;
    if (st == RequestParser::State::kComplete) {
      EXPECT_EQ(i, req.size() - 1);
      break;
    }
  }
  ASSERT_EQ(st, RequestParser::State::kComplete);
  EXPECT_TRUE(p.request().chunked());
  EXPECT_EQ(p.request().body(), "hello world");
  EXPECT_EQ(p.request().header("x-a"), "1");
  EXPECT_EQ(p.request().header("host"), "h");
}

void expectError(std::string_view req, int status) {
  RequestParser p(1024, 100);
  auto r = feed(p, req);
  EXPECT_EQ(r.state, RequestParser::State::kError) << req;
  EXPECT_EQ(p.errorStatus(), status) << req << " reason: " << p.errorReason();
}

TEST(RequestParserTest, SmugglingAttemptsAreRejectedWith400) {
  expectError(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd",
              400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\nabcd",
              400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -4\r\n\r\nabcd", 400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4x\r\n\r\nabcd", 400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabcd", 400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\nab", 400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n", 400);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
              "fffffffffffffffffff\r\n", 400);
  expectError("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
  expectError("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);
  expectError("GET / HTTP/1.1\nHost: a\n\n", 400);
}

TEST(RequestParserTest, ObsFoldIsRejectedWhateverTheReadBoundaries) {
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n folded\r\n\r\n";
  for (size_t split = 1; split < req.size(); ++split) {
    RequestParser p(1024, 100);
    size_t c1 = 0, c2 = 0;
    auto st = p.execute(req.data(), split, &c1);
    if (st != RequestParser::State::kError) st = p.execute(req.data() + split, req.size() - split, &c2);
    EXPECT_EQ(st, RequestParser::State::kError) << "split at " << split;
    EXPECT_EQ(p.errorStatus(), 400) << "split at " << split;
  }
  // Values split across reads are not folds.
  std::string ok = "GET / HTTP/1.1\r\nHost: a\r\nX-A: hello world\r\n\r\n";
  for (size_t split = 1; split < ok.size(); ++split) {
    RequestParser p(1024, 100);
    size_t c1 = 0, c2 = 0;
    auto st = p.execute(ok.data(), split, &c1);
    ASSERT_NE(st, RequestParser::State::kError) << split;
    if (st != RequestParser::State::kComplete) st = p.execute(ok.data() + split, ok.size() - split, &c2);
    ASSERT_EQ(st, RequestParser::State::kComplete) << split;
    EXPECT_EQ(p.request().header("x-a"), "hello world") << split;
  }
}

TEST(RequestParserTest, LimitsMapTo431And413) {
  expectError("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n", 431);
  expectError("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n", 431);
  // Content-Length over the limit: rejected before any body byte.
  expectError("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n", 413);
  expectError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n65\r\n" +
                  std::string(101, 'x') + "\r\n0\r\n\r\n",
              413);
  RequestParser ok(1024, 100);
  EXPECT_EQ(feed(ok, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" +
                         std::string(100, 'x'))
                .state,
            RequestParser::State::kComplete);
}

TEST(RequestParserTest, ExpectContinueAndUpgradeFlags) {
  RequestParser p(16384, 1 << 20);
  auto r = feed(p, "POST /u HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(r.state, RequestParser::State::kNeedMore);
  EXPECT_TRUE(p.headersComplete());
  EXPECT_TRUE(p.request().expectContinue());
  EXPECT_TRUE(p.inMessage());
  ASSERT_EQ(feed(p, "abc").state, RequestParser::State::kComplete);
  EXPECT_EQ(p.request().body(), "abc");

  p.next();
  std::string ws =
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nRAW";
  auto w = feed(p, ws);
  ASSERT_EQ(w.state, RequestParser::State::kComplete);
  EXPECT_TRUE(p.request().upgrade());
  EXPECT_EQ(ws.substr(w.consumed), "RAW");
}

TEST(RequestParserTest, PathIsNormalisedOnceAndRawFormsKept) {
  RequestParser p(16384, 1 << 20);
  std::string req = "GET /a/./b/../c//%7Ed%2e/?x=%2e%2e&y HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(feed(p, req).state, RequestParser::State::kComplete);
  const Request& q = p.request();
  EXPECT_EQ(q.path(), "/a/c/~d./");
  EXPECT_EQ(q.rawPath(), "/a/./b/../c//%7Ed%2e/");
  EXPECT_EQ(q.target(), "/a/./b/../c//%7Ed%2e/?x=%2e%2e&y");
  EXPECT_TRUE(q.hasQuery());
  EXPECT_EQ(q.query(), "x=%2e%2e&y");
  p.next();
  std::string abs = "GET http://h.example?z=1 HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(feed(p, abs).state, RequestParser::State::kComplete);
  EXPECT_EQ(p.request().path(), "/");
  EXPECT_EQ(p.request().query(), "z=1");
  p.next();
  std::string plain = "GET /plain HTTP/1.1\r\nHost: h\r\n\r\n";
  ASSERT_EQ(feed(p, plain).state, RequestParser::State::kComplete);
  EXPECT_EQ(p.request().path(), "/plain");
  EXPECT_EQ(p.request().path().data(), p.request().target().data());
  EXPECT_FALSE(p.request().hasQuery());
}

TEST(RequestParserTest, FieldValuesLoseTrailingWhitespace) {
  RequestParser p(16384, 1 << 20);
  std::string req = "GET / HTTP/1.1\r\nHost: h.example \t \r\nX-A:  v  \r\nX-Empty:   \r\n\r\n";
  ASSERT_EQ(feed(p, req).state, RequestParser::State::kComplete);
  EXPECT_EQ(p.request().header("host"), "h.example");
  EXPECT_EQ(p.request().header("x-a"), "v");
  EXPECT_EQ(p.request().header("x-empty"), "");
}

TEST(RequestParserTest, PathsThatCannotBeNormalisedAre400) {
  for (const char* target : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/a/../..",
                             "/a%2Fb", "/a%00", "/a%zz", "/%c0%ae%c0%ae/x", "/a/..;/b"}) {
    RequestParser p(16384, 1 << 20);
    std::string req = std::string("GET ") + target + " HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(feed(p, req).state, RequestParser::State::kError) << target;
    EXPECT_EQ(p.errorStatus(), 400) << target;
    EXPECT_NE(p.errorReason().find("path"), std::string::npos) << p.errorReason();
  }
}

TEST(HeaderTokensTest, HasTokenIsCaseInsensitiveAndTrims) {
  EXPECT_TRUE(hasToken("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(hasToken(" close ", "close"));
  EXPECT_FALSE(hasToken("closed", "close"));
  EXPECT_FALSE(hasToken("", "close"));
}

}  // namespace
}  // namespace shipgate::http
