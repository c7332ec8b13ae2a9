#include "shipgate/http/response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace shipgate::http {
namespace {

using State = ResponseParser::State;

// Runs the whole input through the parser; returns the body bytes seen after the head (raw) and
// the final state.
struct Run {
  State state = State::kNeedMore;
  std::string raw_body;
  std::string rest;
};

Run run(ResponseParser& p, std::string_view in) {
  Run out;
  size_t pos = 0;
  bool in_body = false;
  for (;;) {
    size_t n = 0;
    State st = p.execute(in.data() + pos, in.size() - pos, &n);
    if (in_body) out.raw_body.append(in.substr(pos, n));
    pos += n;
    out.state = st;
    if (st == State::kHeadComplete) {
      in_body = true;
      continue;
    }
    break;
  }
  out.rest = std::string(in.substr(pos));
  return out;
}

TEST(ResponseParserTest, ContentLengthBodyEndsAtItsLength) {
  ResponseParser p;
  p.start(false);
  auto r = run(p, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhelloEXTRA");
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(p.response().status(), 200);
  EXPECT_EQ(p.response().reason(), "OK");
  EXPECT_EQ(p.response().header("x-a"), "b");
  EXPECT_EQ(r.raw_body, "hello");
  EXPECT_EQ(r.rest, "EXTRA");
  EXPECT_TRUE(p.response().keepAlive());
}

TEST(ResponseParserTest, ChunkedBodyIsForwardedRaw) {
  ResponseParser p;
  p.start(false);
  std::string body = "5\r\nhello\r\n0\r\n\r\n";
  auto r = run(p, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_TRUE(p.response().chunked());
  EXPECT_EQ(r.raw_body, body);
}

TEST(ResponseParserTest, CloseDelimitedBodyCompletesOnEof) {
  ResponseParser p;
  p.start(false);
  auto r = run(p, "HTTP/1.1 200 OK\r\n\r\npart");
  EXPECT_EQ(r.state, State::kNeedMore);
  EXPECT_TRUE(p.response().closeDelimited());
  EXPECT_FALSE(p.response().keepAlive());
  EXPECT_EQ(r.raw_body, "part");
  EXPECT_EQ(p.finishOnEof(), State::kComplete);
}

TEST(ResponseParserTest, TruncatedBodyIsAnErrorOnEof) {
  ResponseParser p;
  p.start(false);
  auto r = run(p, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart");
  EXPECT_EQ(r.state, State::kNeedMore);
  EXPECT_EQ(p.finishOnEof(), State::kError);
}

TEST(ResponseParserTest, NoBodyForHead204And304) {
  for (auto [head, text] : {std::pair{true, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nNEXT"},
                            std::pair{false, "HTTP/1.1 204 No Content\r\n\r\nNEXT"},
                            std::pair{false, "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\nNEXT"}}) {
    ResponseParser p;
    p.start(head);
    auto r = run(p, text);
    EXPECT_EQ(r.state, State::kComplete) << text;
    EXPECT_EQ(r.raw_body, "") << text;
    EXPECT_EQ(r.rest, "NEXT") << text;
  }
}

TEST(ResponseParserTest, InterimResponseThenFinal) {
  ResponseParser p;
  p.start(false);
  std::string in = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok";
  auto r = run(p, in);
  EXPECT_EQ(r.state, State::kComplete);
  EXPECT_EQ(p.response().status(), 100);
  p.start(false);
  auto r2 = run(p, r.rest);
  EXPECT_EQ(r2.state, State::kComplete);
  EXPECT_EQ(p.response().status(), 201);
  EXPECT_EQ(r2.raw_body, "ok");
}

TEST(ResponseParserTest, SwitchingProtocolsStopsAtTheHead) {
  ResponseParser p;
  p.start(false);
  std::string in = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nFRAME";
  size_t n = 0;
  EXPECT_EQ(p.execute(in.data(), in.size(), &n), State::kHeadComplete);
  EXPECT_EQ(p.response().status(), 101);
  EXPECT_EQ(in.substr(n), "FRAME");
}

TEST(ResponseParserTest, GarbageIsAnError) {
  ResponseParser p;
  p.start(false);
  auto r = run(p, "NOT HTTP\r\n\r\n");
  EXPECT_EQ(r.state, State::kError);
  EXPECT_FALSE(p.errorReason().empty());
}

}  // namespace
}  // namespace shipgate::http
