// ResponseParser: an incremental HTTP/1.x response parser (llhttp underneath) for the upstream
// side of the proxy. It reports where the head ends and where the message ends so the caller
// can forward body bytes verbatim, whatever the framing: Content-Length, chunked,
// close-delimited (finishOnEof()), or none (1xx, 204, 304, responses to HEAD).
// A head that arrives whole and keeps to a plain subset (HTTP/1.0 or 1.1, a final status, token
// names, visible values, one Content-Length, Connection only "close" or "keep-alive", no
// Transfer-Encoding or Upgrade) is read by a direct scan and its Content-Length body counted
// here; llhttp parses everything else, and any message it has begun, with the same results.
// Not thread-safe; one per upstream connection.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "shipgate/http/message.h"

extern "C" {
#include "llhttp.h"
}

namespace shipgate::http {

class Response : public MessageHead {
 public:
  int status() const { return status_; }
  std::string_view reason() const { return span(reason_); }
  bool keepAlive() const { return keep_alive_; }
  bool chunked() const { return chunked_; }
  int64_t contentLength() const { return content_length_; }  // -1 when absent
  // True when the body runs until the connection closes.
  bool closeDelimited() const { return close_delimited_; }

 private:
  friend class ResponseParser;
  friend class ResponseSettings;
  friend class ParserCallbacks;
  void clear() {
    clearHead();
    reason_ = {};
    status_ = 0;
    keep_alive_ = chunked_ = close_delimited_ = false;
    content_length_ = -1;
  }
  Span reason_;
  int status_ = 0;
  bool keep_alive_ = false;
  bool chunked_ = false;
  bool close_delimited_ = false;
  int64_t content_length_ = -1;
};

class ResponseParser {
 public:
  enum class State {
    kNeedMore,      // everything consumed, message not finished
    kHeadComplete,  // the head just completed at *consumed; body bytes follow
    kComplete,      // the message ended at *consumed
    kError,
  };

  explicit ResponseParser(size_t max_header_bytes = 64 * 1024);
  ResponseParser(const ResponseParser&) = delete;
  ResponseParser& operator=(const ResponseParser&) = delete;

  // Starts a new response; head_request = the request was HEAD (no body follows).
  void start(bool head_request);
  State execute(const char* data, size_t len, size_t* consumed);
  // The upstream closed: completes a close-delimited body (kComplete) or fails (kError).
  State finishOnEof();

  const Response& response() const { return response_; }
  bool headComplete() const { return head_complete_; }
  bool messageComplete() const { return complete_; }
  const std::string& errorReason() const { return error_reason_; }

 private:
  friend class ParserCallbacks;
  friend class ResponseSettings;
  // The direct scan: true (head_len set, response_ filled) when data starts with a whole head in
  // the plain subset; false, with response_ cleared, for llhttp to parse the message.
  bool scanPlainHead(const char* data, size_t len, size_t* head_len);
  llhttp_t parser_;
  Response response_;
  size_t max_header_bytes_;
  bool head_request_ = false;
  bool head_complete_ = false;
  bool complete_ = false;
  bool in_message_ = false;
  bool pending_complete_ = false;
  bool counting_body_ = false;  // the direct scan read the head: the body is counted here
  uint64_t body_left_ = 0;
  std::string error_reason_;
};

}  // namespace shipgate::http
