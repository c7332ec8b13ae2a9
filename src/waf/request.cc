// OwnedRequest, and raw request text turned into one through the gateway's http::RequestParser.
#include "shipgate/waf/request.h"

#include <limits>

#include "shipgate/http/request_parser.h"

namespace shipgate::waf {

OwnedRequest::OwnedRequest(OwnedRequest&& other) noexcept { *this = std::move(other); }

OwnedRequest& OwnedRequest::operator=(OwnedRequest&& other) noexcept {
  // std::deque and std::vector moves keep element addresses, so the views stay valid.
  strings_ = std::move(other.strings_);
  headers_ = std::move(other.headers_);
  request_ = other.request_;
  request_.headers = std::span<const Header>(headers_.data(), headers_.size());
  other.request_ = Request();
  return *this;
}

std::string_view OwnedRequest::keep(std::string_view s) {
  strings_.emplace_back(s);
  return strings_.back();
}

void OwnedRequest::addHeader(std::string_view name, std::string_view value) {
  headers_.push_back(Header{keep(name), keep(value)});
  request_.headers = std::span<const Header>(headers_.data(), headers_.size());
}

void OwnedRequest::setBody(std::string_view body) {
  request_.body = keep(body);
  request_.body_size = static_cast<int64_t>(body.size());
}

Result<std::unique_ptr<OwnedRequest>> parseRawHttpRequest(std::string_view text) {
  if (text.find_first_not_of("\r\n") == std::string_view::npos) {
    return Status::invalidArgument("empty HTTP request");
  }
  // Hand-written files may use LF line ends (the head is read as if they were CRLF) and may stop
  // right after the last header line (the blank line is added).
  std::string input;
  input.reserve(text.size() + 4);
  size_t pos = 0;
  bool head_done = false;
  while (pos < text.size() && !head_done) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? nl : nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    head_done = line.empty() && !input.empty();
    input.append(line);
    input.append("\r\n");
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  if (!head_done) input.append("\r\n");
  input.append(text.substr(pos));
  constexpr size_t kNoLimit = std::numeric_limits<uint32_t>::max() / 2;
  http::RequestParser parser(kNoLimit, kNoLimit);
  size_t used = 0;
  http::RequestParser::State state = parser.execute(input.data(), input.size(), &used);
  const http::Request& q = parser.request();
  if (state == http::RequestParser::State::kError) {
    bool first_line = q.headerCount() == 0 || parser.errorReason().find("path") != std::string::npos;
    return Status::invalidArgument((first_line ? "request line: " : "") + parser.errorReason() +
                                   " (the gateway answers " +
                                   std::to_string(parser.errorStatus()) + ")");
  }
  if (!parser.headersComplete()) return Status::invalidArgument("incomplete request head");
  auto out = std::make_unique<OwnedRequest>();
  out->setMethod(q.method());
  out->setTarget(q.target());
  out->setPath(q.path());
  for (size_t i = 0; i < q.headerCount(); ++i) out->addHeader(q.headerName(i), q.headerValue(i));
  if (state == http::RequestParser::State::kComplete &&
      input.find_first_not_of("\r\n", used) != std::string::npos) {
    return Status::invalidArgument("bytes after the end of the request (a body needs "
                                   "Content-Length or chunked framing)");
  }
  if (!q.body().empty()) out->setBody(q.body());
  if (q.contentLength() >= 0) out->mutableRequest().body_size = q.contentLength();
  return out;
}

}  // namespace shipgate::waf
