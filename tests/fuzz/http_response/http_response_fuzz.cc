// Fuzz target for the upstream response parser. The direct scan reads a plain head that arrives
// whole; llhttp reads everything else. The same bytes are parsed twice, once whole (the scan's
// chance) and once a byte at a time (always llhttp), and what a caller can observe must agree:
// the states, the head (status, reason, version, framing, every header), the body bytes, where
// the message ended, and the end-of-stream result. The first input byte picks HEAD or not and
// the header size limit.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/http/response_parser.h"

namespace {

using shipgate::http::Response;
using shipgate::http::ResponseParser;
using State = ResponseParser::State;

std::string describe(ResponseParser& p, std::string_view in, size_t step) {
  std::string out;
  std::string body;
  size_t pos = 0;
  bool in_body = false;
  for (size_t guard = 0; guard <= 2 * in.size() + 4; ++guard) {
    size_t end = std::min(in.size(), pos + step);
    size_t n = 0;
    State st = p.execute(in.data() + pos, end - pos, &n);
    if (n > end - pos) abort();
    if (in_body) body.append(in.substr(pos, n));
    pos += n;
    if (st == State::kHeadComplete) {
      const Response& r = p.response();
      if (r.contentLength() >= 0 && r.chunked()) abort();  // never both framings
      out += "head " + std::to_string(r.status()) + " '" + std::string(r.reason()) + "' 1." +
             std::to_string(r.versionMinor()) + (r.keepAlive() ? " ka" : " close") +
             (r.chunked() ? " chunked" : "") + (r.closeDelimited() ? " eof" : "") +
             " cl=" + std::to_string(r.contentLength());
      for (size_t i = 0; i < r.headerCount(); ++i) {
        out += " [" + std::string(r.headerName(i)) + "=" + std::string(r.headerValue(i)) + "]";
      }
      out += "\n";
      in_body = true;
      if (r.status() == 101) return out;  // the connection leaves HTTP here
      continue;
    }
    if (st == State::kError) return out + "error\n";
    if (st == State::kComplete) {
      return out + "complete body=" + std::to_string(body.size()) + ":" + body +
             " at=" + std::to_string(pos) + "\n";
    }
    if (pos >= in.size()) {
      State eof = p.finishOnEof();
      return out + "eof " + (eof == State::kComplete ? "complete" : "error") +
             " body=" + std::to_string(body.size()) + ":" + body + "\n";
    }
  }
  return out + "no progress\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool head_request = (data[0] & 1) != 0;
  const size_t limit = (data[0] & 2) != 0 ? 96 : 64 * 1024;
  std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
  ResponseParser whole(limit);
  whole.start(head_request);
  ResponseParser bytewise(limit);
  bytewise.start(head_request);
  std::string a = describe(whole, in, in.size() + 1);
  std::string b = describe(bytewise, in, 1);
  if (a != b) {
    fprintf(stderr, "whole:    %s\nbytewise: %s\n", a.c_str(), b.c_str());
    abort();
  }
  // A parser reused for the next response reads it like a fresh one.
  whole.start(head_request);
  ResponseParser fresh(limit);
  fresh.start(head_request);
  if (describe(whole, in, in.size() + 1) != describe(fresh, in, in.size() + 1)) abort();
  return 0;
}
