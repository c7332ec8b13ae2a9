// Private: llhttp callback glue shared by RequestParser and ResponseParser.
#pragma once

#include "shipgate/http/request_parser.h"
#include "shipgate/http/response_parser.h"

namespace shipgate::http {

class ParserCallbacks {
 public:
  // Appends a header-name fragment; starts a new field after a value. Returns false when the
  // head grows past max_bytes.
  static bool headerField(MessageHead& m, const char* at, size_t len, size_t max_bytes) {
    if (m.headers_.empty() || m.in_value_) {
      m.headers_.emplace_back();
      m.in_value_ = false;
    }
    m.extend(m.headers_.back().name, at, len);
    return m.headBytes() <= max_bytes;
  }
  static bool headerValue(MessageHead& m, const char* at, size_t len, size_t max_bytes) {
    if (m.headers_.empty()) return false;
    m.in_value_ = true;
    m.extend(m.headers_.back().value, at, len);
    return m.headBytes() <= max_bytes;
  }
  static bool extendSpan(MessageHead& m, MessageHead::Span& s, const char* at, size_t len,
                         size_t max_bytes) {
    m.extend(s, at, len);
    return m.headBytes() <= max_bytes;
  }
  static void setVersion(MessageHead& m, const llhttp_t* p) {
    m.major_ = p->http_major;
    m.minor_ = p->http_minor;
  }
  // Drops trailing spaces and tabs from every field value (RFC 9110 section 5.5: they are not
  // part of the value; llhttp already skips the leading ones).
  static void trimValues(MessageHead& m) {
    for (auto& f : m.headers_) {
      while (f.value.len > 0 && (m.raw_[f.value.off + f.value.len - 1] == ' ' ||
                                 m.raw_[f.value.off + f.value.len - 1] == '\t')) {
        --f.value.len;
      }
    }
  }
  // For a head read in one piece (ResponseParser::scanPlainHead): the head's bytes become raw_
  // in one copy, and the spans are offsets into them.
  static void addField(MessageHead& m, size_t name_off, size_t name_len, size_t value_off,
                       size_t value_len) {
    MessageHead::Field& f = m.headers_.emplace_back();
    f.name = {static_cast<uint32_t>(name_off), static_cast<uint32_t>(name_len)};
    f.value = {static_cast<uint32_t>(value_off), static_cast<uint32_t>(value_len)};
  }
  static void adoptHead(MessageHead& m, const char* data, size_t len) { m.raw_.assign(data, len); }
  static MessageHead::Span& target(Request& r) { return r.target_; }
  static MessageHead::Span& reason(Response& r) { return r.reason_; }
};

}  // namespace shipgate::http
