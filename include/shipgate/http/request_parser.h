// RequestParser: an incremental HTTP/1.x request parser (llhttp underneath) that fills a reusable
// Request, buffers the body (decoded from chunked when needed) up to a limit, and turns every
// protocol violation into the status to answer with:
//   431 head larger than max_header_bytes; 413 body larger than max_body_bytes (checked against
//   Content-Length before any body byte arrives); 400 for malformed requests and request
//   smuggling attempts (Content-Length together with Transfer-Encoding, duplicate or invalid
//   Content-Length, a Transfer-Encoding whose final coding is not chunked, bad chunk sizes), and
//   a request path that normalizePath() refuses (climbs above the root, encoded slash, NUL, bad
//   escape, overlong UTF-8, dot segment with ';' parameters: see shipgate/http/path.h).
// The path is normalised once, when the head is complete: Request::path() is the normalised
// path that is routed, inspected by the WAF and forwarded upstream; rawPath() and target() keep
// what the client sent.
// After any error the connection must be closed: the parser does not resynchronise.
// Parsing stops after each complete message; call next() to parse the following one
// (pipelining). Not thread-safe; one per connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "shipgate/http/message.h"

extern "C" {
#include "llhttp.h"
}

namespace shipgate::http {

class Request : public MessageHead {
 public:
  std::string_view method() const { return method_; }
  bool isMethod(std::string_view m) const { return method_ == m; }
  // The request-target as received.
  std::string_view target() const { return span(target_); }
  // The normalised path (shipgate/http/path.h): never above the root, no dot segments, no "//".
  // For "*" and authority-form targets, the target itself. Valid once the head is complete.
  std::string_view path() const { return path_in_scratch_ ? path_scratch_ : span(raw_path_); }
  // The target's path as received (before '?', without scheme and authority).
  std::string_view rawPath() const { return span(raw_path_); }
  // The query as received (without '?'); hasQuery() tells "/p?" from "/p".
  std::string_view query() const { return span(query_); }
  bool hasQuery() const { return has_query_; }
  bool keepAlive() const { return keep_alive_; }
  // Upgrade (e.g. WebSocket) or CONNECT: the connection leaves HTTP after this request.
  bool upgrade() const { return upgrade_; }
  bool chunked() const { return chunked_; }
  int64_t contentLength() const { return content_length_; }  // -1 when absent
  bool expectContinue() const { return expect_continue_; }
  // GET, HEAD, OPTIONS, TRACE, PUT, DELETE.
  bool idempotent() const;
  const std::string& body() const { return body_; }

 private:
  friend class RequestParser;
  friend class RequestSettings;
  friend class ParserCallbacks;
  void clear() {
    clearHead();
    target_ = {};
    raw_path_ = {};
    query_ = {};
    has_query_ = false;
    path_in_scratch_ = false;
    method_ = {};
    keep_alive_ = upgrade_ = chunked_ = expect_continue_ = false;
    content_length_ = -1;
    body_.clear();
  }
  std::string_view method_;  // static string from llhttp
  Span target_;
  Span raw_path_;
  Span query_;
  bool has_query_ = false;
  bool path_in_scratch_ = false;  // path() is path_scratch_ (it differs from the raw path)
  std::string path_scratch_;
  bool keep_alive_ = false;
  bool upgrade_ = false;
  bool chunked_ = false;
  bool expect_continue_ = false;
  int64_t content_length_ = -1;
  std::string body_;
};

class RequestParser {
 public:
  enum class State {
    kNeedMore,         // consumed everything given; more bytes needed
    kComplete,         // a whole request (head + body) is in request(); call next() later
    kError,            // errorStatus() says what to answer; close afterwards
  };

  RequestParser(size_t max_header_bytes, size_t max_body_bytes);
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  // Parses data[0, len); *consumed says how much was used (the rest belongs to the next
  // request when kComplete is returned).
  State execute(const char* data, size_t len, size_t* consumed);
  // Prepares for the next request on the same connection (keeps buffers).
  void next();
  // The connection hit EOF; returns kError when a request was cut short.
  bool inMessage() const { return in_message_; }

  const Request& request() const { return request_; }
  bool headersComplete() const { return headers_complete_; }
  int errorStatus() const { return error_status_; }
  const std::string& errorReason() const { return error_reason_; }
  void setLimits(size_t max_header_bytes, size_t max_body_bytes) {
    max_header_bytes_ = max_header_bytes;
    max_body_bytes_ = max_body_bytes;
  }

 private:
  friend class ParserCallbacks;
  friend class RequestSettings;
  State fail(int status, std::string reason);
  // Splits the target and normalises its path into request_; false (and the reason set) when
  // the path must be refused.
  bool setPath();

  llhttp_t parser_;
  Request request_;
  size_t max_header_bytes_;
  size_t max_body_bytes_;
  bool in_message_ = false;
  bool headers_complete_ = false;
  bool complete_ = false;
  bool value_done_ = false;
  // obs-fold detection (see on_header_value)
  uint64_t exec_gen_ = 0;
  uint64_t last_value_gen_ = 0;
  const char* call_start_ = nullptr;
  const char* last_value_end_ = nullptr;
  bool value_ended_at_call_end_ = false;
  int error_status_ = 0;
  std::string error_reason_;
};

}  // namespace shipgate::http
