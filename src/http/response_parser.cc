#include "shipgate/http/response_parser.h"

#include <cstring>

#include "parser_callbacks.h"

namespace shipgate::http {
namespace {

ResponseParser* self(llhttp_t* p) { return static_cast<ResponseParser*>(p->data); }

// Byte classes of the direct scan, one table lookup per byte: kToken for RFC 9110 tchar, kText
// for what it accepts in a reason phrase or a value (visible ASCII, space, tab; anything else,
// obs-text included, is left to llhttp).
constexpr uint8_t kToken = 1;
constexpr uint8_t kText = 2;
struct ByteClasses {
  uint8_t of[256] = {};
  constexpr ByteClasses() {
    for (int c = 0x20; c < 0x7f; ++c) of[c] = kText;
    of[static_cast<int>('\t')] = kText;
    for (int c = '0'; c <= '9'; ++c) of[c] |= kToken;
    for (int c = 'a'; c <= 'z'; ++c) of[c] |= kToken;
    for (int c = 'A'; c <= 'Z'; ++c) of[c] |= kToken;
    for (char c : std::string_view("!#$%&'*+-.^_`|~")) of[static_cast<unsigned char>(c)] |= kToken;
  }
};
constexpr ByteClasses kClasses;
bool isTokenChar(char c) { return kClasses.of[static_cast<unsigned char>(c)] & kToken; }
bool allText(const char* p, const char* end) {
  // Eight bytes at a time while none is below 0x20 or above 0x7e (a tab, or anything the scan
  // refuses, takes the byte loop).
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    if (((x - 0x20 * kOnes) & ~x & kHighs) != 0 || ((x + kOnes) | x) & kHighs) break;
    p += 8;
  }
  for (; p < end; ++p) {
    if (!(kClasses.of[static_cast<unsigned char>(*p)] & kText)) return false;
  }
  return true;
}
// A header name (token characters) against a lower-case name: OR-ing 0x20 lowers letters and
// keeps '-' and the digits, and maps no other token character onto a letter.
bool tokenEqualsLower(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    if ((name[i] | 0x20) != lower[i]) return false;
  }
  return true;
}

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
  head_complete_ = complete_ = in_message_ = pending_complete_ = counting_body_ = false;
  body_left_ = 0;
  error_reason_.clear();
  response_.clear();
}

bool ResponseParser::scanPlainHead(const char* data, size_t len, size_t* head_len) {
  const char* end = data + len;
  // Status line: "HTTP/1.x SSS reason\r\n" with a final status.
  const char* cr = static_cast<const char*>(std::memchr(data, '\r', len));
  if (cr == nullptr || cr - data < 14 || end - cr < 4 || std::memcmp(data, "HTTP/1.", 7) != 0) {
    return false;
  }
  if ((data[7] != '0' && data[7] != '1') || data[8] != ' ' || data[12] != ' ') return false;
  int status = 0;
  for (int i = 9; i < 12; ++i) {
    if (data[i] < '0' || data[i] > '9') return false;
    status = status * 10 + (data[i] - '0');
  }
  if (status < 200 || status > 599 || cr[1] != '\n' || !allText(data + 13, cr)) return false;
  // The head is copied into the response once, at the end; the spans are offsets into it. The
  // size counted against max_header_bytes_ is what llhttp's callbacks would have stored.
  Response& m = response_;
  m.clear();
  const size_t reason_len = static_cast<size_t>(cr - data - 13);
  size_t stored = reason_len;
  auto fits = [&] { return stored + 4 * m.headerCount() + 16 <= max_header_bytes_; };
  bool ok = fits();
  bool has_length = false;
  bool close = false;
  bool keep_alive = false;
  uint64_t length = 0;
  // Field lines: "name:" OWS value "\r\n", the value non-empty, without trailing whitespace;
  // then the empty line. The whole head must be in data.
  const char* p = cr + 2;
  bool head_done = false;
  while (ok) {
    if (end - p < 2) break;
    if (p[0] == '\r') {
      head_done = p[1] == '\n';
      break;
    }
    cr = static_cast<const char*>(std::memchr(p, '\r', static_cast<size_t>(end - p)));
    if (cr == nullptr || end - cr < 2 || cr[1] != '\n') break;
    const char* colon = p;
    while (colon < cr && isTokenChar(*colon)) ++colon;
    if (colon == p || colon == cr || *colon != ':') break;
    std::string_view name(p, static_cast<size_t>(colon - p));
    const char* v = colon + 1;
    while (v < cr && (*v == ' ' || *v == '\t')) ++v;
    if (v == cr || cr[-1] == ' ' || cr[-1] == '\t' || !allText(v, cr)) break;
    std::string_view value(v, static_cast<size_t>(cr - v));
    // The names the scan acts on, told apart by length first.
    switch (name.size()) {
      case 14:  // content-length
        if (tokenEqualsLower(name, "content-length")) {
          if (has_length || value.size() > 18) ok = false;
          for (char c : value) ok = ok && c >= '0' && c <= '9';
          if (!ok) break;
          for (char c : value) length = length * 10 + static_cast<uint64_t>(c - '0');
          has_length = true;
        }
        break;
      case 10:  // connection
        if (tokenEqualsLower(name, "connection")) {
          if (equalsIgnoreCase(value, "close")) {
            close = true;
          } else if (equalsIgnoreCase(value, "keep-alive")) {
            keep_alive = true;
          } else {
            ok = false;
          }
        }
        break;
      case 17:  // transfer-encoding
      case 16:  // proxy-connection
      case 7:   // upgrade
        if (tokenEqualsLower(name, "transfer-encoding") ||
            tokenEqualsLower(name, "proxy-connection") || tokenEqualsLower(name, "upgrade")) {
          ok = false;
        }
        break;
      default:
        break;
    }
    if (!ok) break;
    ParserCallbacks::addField(m, static_cast<size_t>(p - data), name.size(),
                              static_cast<size_t>(v - data), value.size());
    stored += name.size() + value.size();
    ok = fits();
    p = cr + 2;
  }
  // What llhttp's on_headers_complete reports for the same head; a close-delimited body (no
  // Content-Length where one is needed) is left to llhttp.
  bool no_body = head_request_ || status == 204 || status == 304;
  if (!ok || !head_done || (!has_length && !no_body)) {
    m.clear();
    return false;
  }
  *head_len = static_cast<size_t>(p + 2 - data);
  ParserCallbacks::adoptHead(m, data, *head_len);
  ParserCallbacks::reason(m) = {13, static_cast<uint32_t>(reason_len)};
  m.status_ = status;
  m.major_ = 1;
  m.minor_ = data[7] - '0';
  bool needs_eof = status != 204 && status != 304 && !has_length;
  m.keep_alive_ = (m.minor_ == 1 ? !close : keep_alive) && !needs_eof;
  m.chunked_ = false;
  m.content_length_ = has_length ? static_cast<int64_t>(length) : -1;
  m.close_delimited_ = false;
  body_left_ = no_body ? 0 : length;
  return true;
}

ResponseParser::State ResponseParser::execute(const char* data, size_t len, size_t* consumed) {
  *consumed = 0;
  if (pending_complete_) {
    pending_complete_ = false;
    return State::kComplete;
  }
  if (!error_reason_.empty()) return State::kError;
  if (complete_) return State::kComplete;
  if (counting_body_) {
    size_t n = len < body_left_ ? len : static_cast<size_t>(body_left_);
    body_left_ -= n;
    *consumed = n;
    if (body_left_ > 0) return State::kNeedMore;
    counting_body_ = false;
    complete_ = true;
    in_message_ = false;
    return State::kComplete;
  }
  if (!in_message_ && !head_complete_ && scanPlainHead(data, len, consumed)) {
    head_complete_ = true;
    bool no_body = head_request_ || response_.status_ == 204 || response_.status_ == 304;
    if (no_body) {
      // Like llhttp: the head and the end of the message are reported by consecutive calls.
      complete_ = true;
      pending_complete_ = true;
    } else {
      in_message_ = true;
      counting_body_ = true;
    }
    return State::kHeadComplete;
  }
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
