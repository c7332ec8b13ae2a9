// Fuzz target for the request parser: the first byte picks how the input is split into reads
// (exercising incremental parsing); every complete request is checked for internal consistency
// and parsing continues with the next pipelined request, as the server does.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "shipgate/http/request_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t step = (data[0] % 16) + 1;
  const char* in = reinterpret_cast<const char*>(data + 1);
  size_t len = size - 1;
  shipgate::http::RequestParser parser(4096, 8192);
  size_t pos = 0;
  size_t requests = 0;
  while (pos < len && requests < 64) {
    size_t chunk = std::min(step, len - pos);
    size_t consumed = 0;
    auto st = parser.execute(in + pos, chunk, &consumed);
    if (consumed > chunk) abort();
    pos += consumed;
    if (st == shipgate::http::RequestParser::State::kError) {
      if (parser.errorStatus() != 400 && parser.errorStatus() != 413 &&
          parser.errorStatus() != 431) {
        abort();
      }
      break;
    }
    if (st == shipgate::http::RequestParser::State::kComplete) {
      const auto& r = parser.request();
      if (r.method().empty()) abort();
      if (r.body().size() > 8192) abort();
      if (r.contentLength() >= 0 && r.chunked()) abort();  // smuggling must never pass
      // (CONNECT leaves HTTP right after its head, so its Content-Length frames nothing.)
      if (!r.isMethod("CONNECT") && r.contentLength() >= 0 &&
          static_cast<size_t>(r.contentLength()) != r.body().size()) {
        abort();
      }
      for (size_t i = 0; i < r.headerCount(); ++i) {
        volatile size_t n = r.headerName(i).size() + r.headerValue(i).size();
        (void)n;
      }
      ++requests;
      if (r.upgrade()) break;
      parser.next();
    }
  }
  return 0;
}
