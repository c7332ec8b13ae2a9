// OwnedRequest and the raw HTTP/1.x request parser used by tools and table tests.
#include "shipgate/waf/request.h"

#include <charconv>

#include "shipgate/common/strings.h"

namespace shipgate::waf {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Next line without its terminator (LF or CRLF); advances `pos`. False at end of input.
bool nextLine(std::string_view text, size_t& pos, std::string_view& line) {
  if (pos >= text.size()) return false;
  size_t nl = text.find('\n', pos);
  size_t end = nl == std::string_view::npos ? text.size() : nl;
  line = text.substr(pos, end - pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  pos = nl == std::string_view::npos ? text.size() : nl + 1;
  return true;
}

}  // namespace

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
  auto out = std::make_unique<OwnedRequest>();
  size_t pos = 0;
  std::string_view line;
  // Tolerate leading blank lines (RFC 9112 section 2.2).
  do {
    if (!nextLine(text, pos, line)) return Status::invalidArgument("empty HTTP request");
  } while (line.empty());
  size_t sp1 = line.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp1 == 0) {
    return Status::invalidArgument("bad request line: " + std::string(line));
  }
  std::string_view target =
      line.substr(sp1 + 1, sp2 == std::string_view::npos ? std::string_view::npos : sp2 - sp1 - 1);
  if (target.empty()) return Status::invalidArgument("bad request line: no target");
  if (sp2 != std::string_view::npos && line.substr(sp2 + 1).substr(0, 5) != "HTTP/") {
    return Status::invalidArgument("bad request line: no HTTP version");
  }
  out->setMethod(line.substr(0, sp1));
  out->setTarget(target);
  std::optional<int64_t> content_length;
  bool ended = false;
  while (nextLine(text, pos, line)) {
    if (line.empty()) {
      ended = true;
      break;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::invalidArgument("bad header line: " + std::string(line));
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (equalsIgnoreCase(name, "content-length")) {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || p != value.data() + value.size() || n < 0) {
        return Status::invalidArgument("bad Content-Length: " + std::string(value));
      }
      content_length = n;
    }
    out->addHeader(name, value);
  }
  if (ended && pos < text.size()) out->setBody(text.substr(pos));
  if (content_length) out->mutableRequest().body_size = *content_length;
  return out;
}

}  // namespace shipgate::waf
