// Fuzzes http::normalizePath, the one request-path normalisation. Input: a request path.
// Invariants: the result is idempotent, starts with '/', has no "//", no dot segment, no '\',
// no escape of an unreserved character, no lower-case, bad, slash or NUL escape; a path whose
// ".." segments (plain or %2e-encoded) climb above the root is refused; and the request parser
// (what the gateway routes, inspects and forwards) yields exactly the same path, or refuses it
// with 400 exactly when normalizePath does.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "shipgate/http/path.h"
#include "shipgate/http/percent.h"
#include "shipgate/http/request_parser.h"

namespace {

using shipgate::http::NormalizedPath;
using shipgate::http::normalizePath;
using shipgate::http::RequestParser;

void check(bool ok, const char* what, std::string_view input, std::string_view output = "") {
  if (ok) return;
  fprintf(stderr, "http_path_fuzz invariant violated: %s\ninput:  %.*s\noutput: %.*s\n", what,
          static_cast<int>(input.size()), input.data(), static_cast<int>(output.size()),
          output.data());
  abort();
}

// Whether naive dot-segment handling (only "%2e" decoded, '\' as separator) climbs above the
// root: an independent check that kAboveRoot is never missed.
bool climbs(std::string_view in) {
  int depth = 0;
  size_t i = 1;
  while (i <= in.size()) {
    size_t end = in.find_first_of("/\\", i);
    if (end == std::string_view::npos) end = in.size();
    std::string seg;
    std::string_view raw = in.substr(i, end - i);
    for (size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '%' && k + 2 < raw.size() && raw[k + 1] == '2' &&
          (raw[k + 2] == 'e' || raw[k + 2] == 'E')) {
        seg.push_back('.');
        k += 2;
      } else {
        seg.push_back(raw[k]);
      }
    }
    if (seg == "..") {
      if (--depth < 0) return true;
    } else if (!seg.empty() && seg != ".") {
      ++depth;
    }
    i = end + 1;
  }
  return false;
}

void checkShape(std::string_view in, std::string_view out) {
  check(!out.empty() && out[0] == '/', "does not start with '/'", in, out);
  check(out.find("//") == std::string_view::npos, "has //", in, out);
  check(out.find('\\') == std::string_view::npos, "has a backslash", in, out);
  check(out.find("/./") == std::string_view::npos && out.find("/../") == std::string_view::npos,
        "has a dot segment", in, out);
  check(!(out.size() >= 2 && out.substr(out.size() - 2) == "/.") &&
            !(out.size() >= 3 && out.substr(out.size() - 3) == "/.."),
        "ends in a dot segment", in, out);
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '%') continue;
    int hi = i + 1 < out.size() ? shipgate::http::hexValue(out[i + 1]) : -1;
    int lo = i + 2 < out.size() ? shipgate::http::hexValue(out[i + 2]) : -1;
    check(hi >= 0 && lo >= 0, "bad escape kept", in, out);
    check(!(out[i + 1] >= 'a' && out[i + 1] <= 'f') && !(out[i + 2] >= 'a' && out[i + 2] <= 'f'),
          "lower-case escape", in, out);
    auto c = static_cast<unsigned char>(hi * 16 + lo);
    check(!shipgate::http::isUnreserved(c), "escaped unreserved character", in, out);
    check(c != '/' && c != '\\' && c != 0, "escaped slash or NUL kept", in, out);
  }
}

// Bytes llhttp accepts in a request-target path (no controls, space, '?', '#', DEL).
bool parserAcceptsBytes(std::string_view in) {
  for (unsigned char c : in) {
    if (c <= 0x20 || c == 0x7f || c == '?' || c == '#') return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::string in = "/";
  in.append(reinterpret_cast<const char*>(data), size);
  std::string scratch;
  NormalizedPath n = normalizePath(in, scratch);
  if (n.ok()) {
    std::string out(n.path);
    checkShape(in, out);
    std::string scratch2;
    NormalizedPath again = normalizePath(out, scratch2);
    check(again.ok() && again.path == out, "not idempotent", in, out);
    check(!climbs(in), "climbed above the root", in, out);
  }
  if (parserAcceptsBytes(in)) {
    RequestParser parser(1 << 16, 1024);
    std::string req = "GET " + in + " HTTP/1.1\r\nHost: h\r\n\r\n";
    size_t used = 0;
    RequestParser::State st = parser.execute(req.data(), req.size(), &used);
    if (n.ok()) {
      check(st == RequestParser::State::kComplete, "parser refused a normalisable path", in);
      check(parser.request().path() == n.path, "parser path differs", in, parser.request().path());
    } else {
      check(st == RequestParser::State::kError && parser.errorStatus() == 400,
            "parser accepted a refused path", in);
    }
  }
  return 0;
}
