// MessageHead: the parsed start line and header fields of one HTTP/1.x message, stored as spans
// into one reusable byte string (no allocation per header once warmed up). Reused across the
// messages of a connection; views stay valid until the next message starts parsing.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shipgate/common/strings.h"

namespace shipgate::http {

// ASCII case-insensitive comparison of header names and tokens.
using shipgate::equalsIgnoreCase;
// The Host header's host part: "example.com:8080" -> "example.com", "[::1]:80" -> "[::1]".
std::string_view hostWithoutPort(std::string_view host);
// Whether a comma-separated header value contains `token` (case-insensitive), e.g.
// hasToken("keep-alive, Upgrade", "upgrade").
bool hasToken(std::string_view value, std::string_view token);

class MessageHead {
 public:
  size_t headerCount() const { return headers_.size(); }
  std::string_view headerName(size_t i) const { return span(headers_[i].name); }
  std::string_view headerValue(size_t i) const { return span(headers_[i].value); }
  // First header with this name (case-insensitive); "" when absent.
  std::string_view header(std::string_view name) const;
  bool hasHeader(std::string_view name) const;
  int versionMajor() const { return major_; }
  int versionMinor() const { return minor_; }
  // Bytes of the head as counted against limits (start line + fields + separators).
  size_t headBytes() const { return raw_.size() + 4 * headers_.size() + 16; }

 protected:
  struct Span {
    uint32_t off = 0;
    uint32_t len = 0;
  };
  struct Field {
    Span name;
    Span value;
  };
  std::string_view span(Span s) const { return {raw_.data() + s.off, s.len}; }
  void clearHead() {
    raw_.clear();
    headers_.clear();
    major_ = minor_ = 1;
  }
  // Appends a fragment to a span that grows at the end of raw_.
  void extend(Span& s, const char* at, size_t len) {
    if (s.len == 0) s.off = static_cast<uint32_t>(raw_.size());
    raw_.append(at, len);
    s.len += static_cast<uint32_t>(len);
  }

  friend class ParserCallbacks;
  std::string raw_;
  std::vector<Field> headers_;
  int major_ = 1;
  int minor_ = 1;
  bool in_value_ = false;
};

}  // namespace shipgate::http
