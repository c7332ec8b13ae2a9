#include "shipgate/http/request_parser.h"

#include "parser_callbacks.h"
#include "shipgate/http/path.h"

namespace shipgate::http {
namespace {

RequestParser* self(llhttp_t* p) { return static_cast<RequestParser*>(p->data); }

bool isTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// Rejects what lenient parsers disagree on: names that are not tokens (e.g. "Host " before the
// colon), and CR, LF or NUL inside values (obs-fold, header injection).
bool validFields(const Request& q) {
  for (size_t i = 0; i < q.headerCount(); ++i) {
    std::string_view n = q.headerName(i);
    if (n.empty()) return false;
    for (unsigned char c : n) {
      if (!isTokenChar(c)) return false;
    }
    for (unsigned char c : q.headerValue(i)) {
      if (c == '\r' || c == '\n' || c == 0) return false;
    }
  }
  return true;
}

}  // namespace

bool Request::idempotent() const {
  return method_ == "GET" || method_ == "HEAD" || method_ == "OPTIONS" || method_ == "TRACE" ||
         method_ == "PUT" || method_ == "DELETE";
}

class RequestSettings {
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
      RequestParser* r = self(p);
      r->request_.clear();
      r->in_message_ = true;
      r->headers_complete_ = false;
      r->complete_ = false;
      r->value_done_ = false;
      return 0;
    };
    s.on_url = [](llhttp_t* p, const char* at, size_t len) -> int {
      RequestParser* r = self(p);
      if (!ParserCallbacks::extendSpan(r->request_, ParserCallbacks::target(r->request_), at, len,
                                       r->max_header_bytes_)) {
        r->error_status_ = 431;
        return HPE_USER;
      }
      return 0;
    };
    s.on_header_field = [](llhttp_t* p, const char* at, size_t len) -> int {
      RequestParser* r = self(p);
      r->value_done_ = false;
      if (!ParserCallbacks::headerField(r->request_, at, len, r->max_header_bytes_)) {
        r->error_status_ = 431;
        return HPE_USER;
      }
      return 0;
    };
    s.on_header_value_complete = [](llhttp_t* p) -> int {
      self(p)->value_done_ = true;
      return 0;
    };
    s.on_header_value = [](llhttp_t* p, const char* at, size_t len) -> int {
      RequestParser* r = self(p);
      // A continuation line (obs-fold) shows up as a second fragment of the same value that
      // does not follow the previous one in the input: refused.
      bool fold = r->value_done_;
      if (r->request_.in_value_ && !r->request_.headers_.empty()) {
        if (r->last_value_gen_ == r->exec_gen_) {
          fold = fold || at != r->last_value_end_;
        } else {
          fold = fold || !r->value_ended_at_call_end_ || at != r->call_start_;
        }
      }
      if (fold) {
        r->error_status_ = 400;
        return HPE_USER;
      }
      r->last_value_end_ = at + len;
      r->last_value_gen_ = r->exec_gen_;
      if (!ParserCallbacks::headerValue(r->request_, at, len, r->max_header_bytes_)) {
        r->error_status_ = 431;
        return HPE_USER;
      }
      return 0;
    };
    s.on_headers_complete = [](llhttp_t* p) -> int {
      RequestParser* r = self(p);
      Request& q = r->request_;
      q.method_ = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
      ParserCallbacks::setVersion(q, p);
      q.keep_alive_ = llhttp_should_keep_alive(p) != 0;
      q.upgrade_ = p->upgrade != 0;
      q.chunked_ = (p->flags & F_CHUNKED) != 0;
      q.content_length_ =
          (p->flags & F_CONTENT_LENGTH) ? static_cast<int64_t>(p->content_length) : -1;
      if (!validFields(q)) {
        r->error_status_ = 400;
        return HPE_USER;
      }
      ParserCallbacks::trimValues(q);
      if (!r->setPath()) {
        r->error_status_ = 400;
        return HPE_USER;
      }
      std::string_view expect = q.header("expect");
      q.expect_continue_ = !expect.empty() && equalsIgnoreCase(expect, "100-continue") &&
                           (q.versionMajor() > 1 || q.versionMinor() >= 1);
      if (q.content_length_ > 0 && static_cast<uint64_t>(q.content_length_) > r->max_body_bytes_) {
        r->error_status_ = 413;
        return HPE_USER;
      }
      r->headers_complete_ = true;
      return 0;
    };
    s.on_body = [](llhttp_t* p, const char* at, size_t len) -> int {
      RequestParser* r = self(p);
      if (r->request_.body_.size() + len > r->max_body_bytes_) {
        r->error_status_ = 413;
        return HPE_USER;
      }
      r->request_.body_.append(at, len);
      return 0;
    };
    s.on_message_complete = [](llhttp_t* p) -> int {
      RequestParser* r = self(p);
      r->complete_ = true;
      r->in_message_ = false;
      return HPE_PAUSED;
    };
    return s;
  }
};

RequestParser::RequestParser(size_t max_header_bytes, size_t max_body_bytes)
    : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {
  llhttp_init(&parser_, HTTP_REQUEST, &RequestSettings::get());
  parser_.data = this;
}

bool RequestParser::setPath() {
  Request& q = request_;
  std::string_view target = q.target();
  auto offset = [&](std::string_view v) {
    return Request::Span{static_cast<uint32_t>(v.data() - q.raw_.data()),
                         static_cast<uint32_t>(v.size())};
  };
  TargetParts parts = splitTarget(target);
  q.raw_path_ = offset(parts.path);
  q.query_ = parts.has_query ? offset(parts.query) : Request::Span{};
  q.has_query_ = parts.has_query;
  NormalizedPath n = normalizePath(parts.path, q.path_scratch_);
  if (!n.ok()) {
    error_reason_ = "bad request: ";
    error_reason_ += pathErrorText(n.error);
    return false;
  }
  q.path_in_scratch_ = n.path.data() != parts.path.data();
  if (q.path_in_scratch_ && n.path.data() != q.path_scratch_.data()) q.path_scratch_.assign(n.path);
  return true;
}

RequestParser::State RequestParser::fail(int status, std::string reason) {
  error_status_ = status;
  error_reason_ = std::move(reason);
  return State::kError;
}

RequestParser::State RequestParser::execute(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (error_status_ != 0) return State::kError;
  if (complete_) return State::kComplete;
  ++exec_gen_;
  call_start_ = data;
  llhttp_errno_t err = llhttp_execute(&parser_, data, len);
  value_ended_at_call_end_ = last_value_gen_ == exec_gen_ && last_value_end_ == data + len;
  switch (err) {
    case HPE_OK:
      *consumed = len;
      return State::kNeedMore;
    case HPE_PAUSED:
    case HPE_PAUSED_UPGRADE:
      *consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data);
      return State::kComplete;
    default: {
      *consumed = len;
      if (error_status_ == 431) return fail(431, "request header fields too large");
      if (error_status_ == 413) return fail(413, "request body too large");
      if (error_status_ != 0) {
        return fail(error_status_, error_reason_.empty() ? "bad request" : error_reason_);
      }
      const char* reason = llhttp_get_error_reason(&parser_);
      return fail(400, reason && *reason ? reason : llhttp_errno_name(err));
    }
  }
}

void RequestParser::next() {
  llhttp_reset(&parser_);
  complete_ = false;
  headers_complete_ = false;
  in_message_ = false;
  request_.clear();
  if (request_.body_.capacity() > 64 * 1024) std::string().swap(request_.body_);
}

}  // namespace shipgate::http
