#include "shipgate/http/response_parser.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

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

// What a caller can observe of one parse: the states, the head, the body and what was left.
std::string describe(ResponseParser& p, std::string_view in, size_t step) {
  std::string out;
  size_t pos = 0;
  bool in_body = false;
  std::string body;
  for (int guard = 0; guard < 100000; ++guard) {
    size_t end = std::min(in.size(), pos + step);
    size_t n = 0;
    State st = p.execute(in.data() + pos, end - pos, &n);
    if (in_body) body.append(in.substr(pos, n));
    pos += n;
    if (st == State::kHeadComplete) {
      const Response& r = p.response();
      out += "head " + std::to_string(r.status()) + " '" + std::string(r.reason()) + "' 1." +
             std::to_string(r.versionMinor()) + (r.keepAlive() ? " keep-alive" : " close") +
             (r.chunked() ? " chunked" : "") + (r.closeDelimited() ? " eof" : "") + " cl=" +
             std::to_string(r.contentLength());
      for (size_t i = 0; i < r.headerCount(); ++i) {
        out += " [" + std::string(r.headerName(i)) + "=" + std::string(r.headerValue(i)) + "]";
      }
      out += "\n";
      in_body = true;
      continue;
    }
    if (st == State::kError) return out + "error\n";
    if (st == State::kComplete) return out + "complete body='" + body + "' rest='" +
                                       std::string(in.substr(pos)) + "'\n";
    if (pos >= in.size() && end == in.size()) {
      State eof = p.finishOnEof();
      return out + "eof " + (eof == State::kComplete ? "complete" : "error") + " body='" + body +
             "'\n";
    }
  }
  return out + "no progress\n";
}

// A head that arrives whole takes the direct scan when it is plain; one that arrives a byte at a
// time is llhttp's. Both must report the same thing, for plain heads and for the ones the scan
// leaves to llhttp.
TEST(ResponseParserTest, WholeHeadsReadLikeLlhttpReadsThem) {
  const std::vector<std::pair<bool, std::string>> cases = {
      {false, "HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhelloNEXT"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nNEXT"},
      {false, "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"},
      {false, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"},
      {false, "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\nok"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart"},
      {false, "HTTP/1.1 204 No Content\r\nX-A:  spaced value\r\n\r\nNEXT"},
      {false, "HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\nNEXT"},
      {true, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\nNEXT"},
      {true, "HTTP/1.1 200 OK\r\n\r\nNEXT"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 5 \r\n\r\nhello"},
      {false, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nConnection: keep-alive, x-hop\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\n\r\nuntil eof"},
      {false, "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nX-Fold: a\r\n b\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nX-Bin: a\x01b\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nX-Utf8: caf\xc3\xa9\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\nContent-Length: 1\n\nz"},
      {false, "HTTP/1.1 200\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 099 Odd\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 600 Odd\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/2.0 200 OK\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nF"},
      {false, "HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nProxy-Connection: close\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nX-Empty:\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\rz"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 123456789012345678901\r\n\r\nz"},
      {false, "HTTP/1.1 200 O\tK\r\nX-Tab: a\tb\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nX-Tab:\ta\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nX-Del: a\x7f\r\nContent-Length: 1\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 1\r\nCONNECTION: CLOSE\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\nConnection: keep-alive\r\n\r\nz"},
      {false, "HTTP/1.0 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz"},
      {false, "HTTP/1.1 200 OK\r\n:novalue\r\nContent-Length: 1\r\n\r\nz"},
      {false, "\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\n\r\n"},
      {false, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n\r\n"},
  };
  for (const auto& [head_request, text] : cases) {
    ResponseParser whole;
    whole.start(head_request);
    ResponseParser bytewise;
    bytewise.start(head_request);
    EXPECT_EQ(describe(whole, text, text.size()), describe(bytewise, text, 1)) << text;
  }
  // Heads past the size limit fail the same way.
  std::string big = "HTTP/1.1 200 OK\r\nX-Big: " + std::string(300, 'b') +
                    "\r\nContent-Length: 1\r\n\r\nz";
  ResponseParser whole(128);
  whole.start(false);
  ResponseParser bytewise(128);
  bytewise.start(false);
  EXPECT_EQ(describe(whole, big, big.size()), "error\n");
  EXPECT_EQ(describe(bytewise, big, 1), "error\n");
}

TEST(ResponseParserTest, ParserIsReusedAcrossResponses) {
  ResponseParser p;
  for (int i = 0; i < 3; ++i) {
    p.start(false);
    std::string in = "HTTP/1.1 200 OK\r\nX-N: " + std::to_string(i) +
                     "\r\nContent-Length: 2\r\n\r\nokNEXT";
    auto r = run(p, in);
    EXPECT_EQ(r.state, State::kComplete);
    EXPECT_EQ(p.response().header("x-n"), std::to_string(i));
    EXPECT_EQ(p.response().headerCount(), 2u);
    EXPECT_EQ(r.raw_body, "ok");
    EXPECT_EQ(r.rest, "NEXT");
  }
}

}  // namespace
}  // namespace shipgate::http
