#include "shipgate/http/response_parser.h"

#include "parser_callbacks.h"

namespace shipgate::http {
namespace {

ResponseParser* self(llhttp_t* p) { return static_cast<ResponseParser*>(p->data); }

}  // namespace

class ResponseSettings {
 public:
  static const llhttp_settings_t& get() {
    static const llhttp_settings_t settings = make();
    return settings;
  }

 private:
  static llhttp_settings_t make() {
    llhttp_settings_t s;
    llhttp_settings_init(&s);
    s.on_message_begin = [](llhttp_t* p) -> int {
      ResponseParser* r = self(p);
      r->response_.clear();
      r->in_message_ = true;
      r->head_complete_ = false;
      r->complete_ = false;
      return 0;
    };
    s.on_status = [](llhttp_t* p, const char* at, size_t len) -> int {
      ResponseParser* r = self(p);
      return ParserCallbacks::extendSpan(r->response_, ParserCallbacks::reason(r->response_), at,
                                         len, r->max_header_bytes_)
                 ? 0
                 : HPE_USER;
    };
    s.on_header_field = [](llhttp_t* p, const char* at, size_t len) -> int {
      ResponseParser* r = self(p);
      return ParserCallbacks::headerField(r->response_, at, len, r->max_header_bytes_) ? 0
                                                                                        : HPE_USER;
    };
    s.on_header_value = [](llhttp_t* p, const char* at, size_t len) -> int {
      ResponseParser* r = self(p);
      return ParserCallbacks::headerValue(r->response_, at, len, r->max_header_bytes_) ? 0
                                                                                        : HPE_USER;
    };
    s.on_headers_complete = [](llhttp_t* p) -> int {
      ResponseParser* r = self(p);
      Response& m = r->response_;
      m.status_ = p->status_code;
      ParserCallbacks::setVersion(m, p);
      m.keep_alive_ = llhttp_should_keep_alive(p) != 0;
      m.chunked_ = (p->flags & F_CHUNKED) != 0;
      m.content_length_ =
          (p->flags & F_CONTENT_LENGTH) ? static_cast<int64_t>(p->content_length) : -1;
      bool no_body = r->head_request_ || m.status_ / 100 == 1 || m.status_ == 204 ||
                     m.status_ == 304;
      m.close_delimited_ = !no_body && !m.chunked_ && m.content_length_ < 0;
      if (m.close_delimited_) m.keep_alive_ = false;
      r->head_complete_ = true;
      if (no_body) return 1;  // no body; the message completes right away
      return HPE_PAUSED;
    };
    s.on_message_complete = [](llhttp_t* p) -> int {
      ResponseParser* r = self(p);
      r->complete_ = true;
      r->in_message_ = false;
      return HPE_PAUSED;
    };
    return s;
  }
};

ResponseParser::ResponseParser(size_t max_header_bytes) : max_header_bytes_(max_header_bytes) {
  llhttp_init(&parser_, HTTP_RESPONSE, &ResponseSettings::get());
  parser_.data = this;
}

void ResponseParser::start(bool head_request) {
  llhttp_reset(&parser_);
  head_request_ = head_request;
  head_complete_ = complete_ = in_message_ = pending_complete_ = false;
  error_reason_.clear();
  response_.clear();
}

ResponseParser::State ResponseParser::execute(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (pending_complete_) {
    pending_complete_ = false;
    return State::kComplete;
  }
  if (!error_reason_.empty()) return State::kError;
  if (complete_) return State::kComplete;
  bool head_was_complete = head_complete_;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  switch (err) {
    case HPE_OK:
      *consumed = len;
      return State::kNeedMore;
    case HPE_PAUSED:
    case HPE_PAUSED_UPGRADE: {
      *consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
      llhttp_resume(&parser_);
      if (!head_was_complete && head_complete_) {
        // Report the head first; a message that also completed is reported next call.
        if (complete_) pending_complete_ = true;
        return State::kHeadComplete;
      }
      return complete_ ? State::kComplete : State::kNeedMore;
    }
    default: {
      *consumed = len;
      const char* reason = llhttp_get_error_reason(&parser_);
      error_reason_ = reason && *reason ? reason : llhttp_errno_name(err);
      return State::kError;
    }
  }
}

ResponseParser::State ResponseParser::finishOnEof() {
  if (complete_) return State::kComplete;
  if (head_complete_ && response_.closeDelimited()) {
    llhttp_finish(&parser_);
    complete_ = true;
    in_message_ = false;
    return State::kComplete;
  }
  if (error_reason_.empty()) error_reason_ = "upstream closed before the response was complete";
  return State::kError;
}

}  // namespace shipgate::http
