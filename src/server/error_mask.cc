#include "error_mask.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

#include <brotli/decode.h>
#include <zlib.h>

#include "response_head.h"
#include "shipgate/common/log.h"
#include "shipgate/common/strings.h"

namespace shipgate::server {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The q of one Accept element's parameters ("; q=0.5"); 1 when absent.
double qualityOf(std::string_view params) {
  size_t at = params.find("q=");
  if (at == std::string_view::npos) return 1.0;
  std::string v(params.substr(at + 2));
  return std::atof(v.c_str());
}

// One zlib stream format over `in`: windowBits 15 + 32 (gzip or zlib header, detected), 15
// (zlib) or -15 (raw deflate). Concatenated gzip members are read in turn. False when the data
// is invalid before any output; a stream that ends early or turns invalid later keeps its output.
bool inflateInto(std::string_view in, int window_bits, std::string& out) {
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) return false;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  char buf[16384];
  bool valid = true;
  while (out.size() < kErrorInspectLimit) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    int rc = inflate(&zs, Z_NO_FLUSH);
    size_t got = sizeof(buf) - zs.avail_out;
    out.append(buf, std::min(got, kErrorInspectLimit - out.size()));
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0 || window_bits != 15 + 32 || inflateReset(&zs) != Z_OK) break;
      continue;  // the next gzip member
    }
    if (rc != Z_OK) {  // Z_BUF_ERROR: the input is cut short; anything else: invalid data
      valid = rc == Z_BUF_ERROR || !out.empty();
      break;
    }
  }
  inflateEnd(&zs);
  return valid;
}

bool brotliInto(std::string_view in, std::string& out) {
  BrotliDecoderState* st = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
  if (st == nullptr) return false;
  const uint8_t* next_in = reinterpret_cast<const uint8_t*>(in.data());
  size_t avail_in = in.size();
  uint8_t buf[16384];
  bool valid = true;
  while (out.size() < kErrorInspectLimit) {
    uint8_t* next_out = buf;
    size_t avail_out = sizeof(buf);
    BrotliDecoderResult rc =
        BrotliDecoderDecompressStream(st, &avail_in, &next_in, &avail_out, &next_out, nullptr);
    size_t got = sizeof(buf) - avail_out;
    out.append(reinterpret_cast<const char*>(buf), std::min(got, kErrorInspectLimit - out.size()));
    // A cut stream reports needing input while its ring buffer still holds decoded bytes; they
    // come out a buffer at a time.
    if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT ||
        (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT && avail_out == 0)) {
      continue;
    }
    valid = rc != BROTLI_DECODER_RESULT_ERROR || !out.empty();
    break;  // done, cut short (needs more input) or invalid
  }
  BrotliDecoderDestroyInstance(st);
  return valid;
}

}  // namespace

std::optional<std::string> decodeContentCodings(std::string_view codings, std::string_view body) {
  std::vector<std::string> list;
  while (!codings.empty()) {
    size_t comma = codings.find(',');
    std::string c = asciiLowerCopy(trimOws(codings.substr(0, comma)));
    codings = comma == std::string_view::npos ? std::string_view() : codings.substr(comma + 1);
    if (!c.empty() && c != "identity") list.push_back(std::move(c));
  }
  std::string text(body.substr(0, std::min(body.size(), kErrorInspectLimit)));
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    std::string out;
    bool ok;
    if (*it == "gzip" || *it == "x-gzip") {
      ok = inflateInto(text, 15 + 32, out);
    } else if (*it == "deflate") {
      ok = inflateInto(text, 15, out);
      if (!ok) {
        out.clear();
        ok = inflateInto(text, -15, out);
      }
    } else if (*it == "br") {
      ok = brotliInto(text, out);
    } else {
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    text = std::move(out);
  }
  return text;
}

const managed::ErrorLeakDetector* errorLeakDetector() {
  static const managed::ErrorLeakDetector* detector = [] {
    auto d = managed::ErrorLeakDetector::load(managed::ErrorLeakDetector::kDebianRulesDir);
    if (!d.isOk()) {
      log::warn("waf.mask_upstream_errors: " + d.status().message() +
                "; masking with shipgate's own patterns only");
      d = managed::ErrorLeakDetector::load("");
    }
    if (!d.isOk()) {
      log::error("waf.mask_upstream_errors: " + d.status().message() + "; masking is off");
      return static_cast<const managed::ErrorLeakDetector*>(nullptr);
    }
    return static_cast<const managed::ErrorLeakDetector*>(std::move(d).value().release());
  }();
  return detector;
}

std::string decodeChunkedPrefix(std::string_view raw) {
  std::string out;
  size_t i = 0;
  while (i < raw.size()) {
    size_t eol = raw.find("\r\n", i);
    if (eol == std::string_view::npos) return out;  // a size line cut short
    uint64_t size = 0;
    size_t j = i;
    int digits = 0;
    for (; j < eol && hexValue(raw[j]) >= 0 && digits < 16; ++j, ++digits) {
      size = size * 16 + static_cast<uint64_t>(hexValue(raw[j]));
    }
    if (digits == 0) {
      out.append(raw.substr(i));  // not chunked framing after all
      return out;
    }
    if (size == 0) return out;  // last chunk; trailers dropped
    size_t data = eol + 2;
    size_t take = std::min<uint64_t>(size, raw.size() - data);
    out.append(raw.substr(data, take));
    i = data + take + 2;  // the CRLF after the data
  }
  return out;
}

bool prefersJson(std::string_view accept) {
  double json = -1, html = -1;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view elem = trimOws(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    size_t semi = elem.find(';');
    std::string type = asciiLowerCopy(trimOws(elem.substr(0, semi)));
    double q = semi == std::string_view::npos ? 1.0 : qualityOf(elem.substr(semi));
    bool is_json = type == "application/json" ||
                   (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
    bool is_html = type == "text/html" || type == "application/xhtml+xml";
    if (is_json) json = std::max(json, q);
    if (is_html) html = std::max(html, q);
  }
  return json > 0 && json > html;
}

std::string maskedErrorBody(bool json, int status, std::string_view request_id) {
  std::string id;
  for (char c : request_id) {  // our own ids are [0-9a-zA-Z-]; anything else is left out
    if (isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') id += c;
  }
  if (json) return R"({"error":"internal error","request_id":")" + id + "\"}\n";
  std::string code = std::to_string(status);
  std::string reason(reasonPhrase(status));
  return "<!DOCTYPE html>\n<html><head><title>" + code + " " + reason +
         "</title></head>\n<body><h1>" + code + " " + reason +
         "</h1>\n<p>The server could not complete this request.</p>\n<p>Request id: " + id +
         "</p></body></html>\n";
}

std::string bodyForLog(std::string_view body, size_t total_size) {
  std::string out;
  std::string_view part = body.substr(0, kErrorLogLimit);
  out.reserve(part.size() + 32);
  for (char ch : part) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\\') {
      out += "\\\\";
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  if (total_size > part.size()) out += "...(" + std::to_string(total_size) + " bytes)";
  return out;
}

}  // namespace shipgate::server
