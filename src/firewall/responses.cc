// The responses the firewall answers with: the block page (template with {rule} and {event_id})
// and the managed challenge page; event ids; the headers of a Decision (ResponseHeaders).
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "firewall_stats.h"
#include "request_fields.h"
#include "shipgate/firewall/firewall.h"

namespace shipgate::firewall {
namespace {

constexpr std::string_view kDefaultBlockPage =
    "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Access denied"
    "</title></head>\n<body><h1>Access denied</h1>\n<p>This request was blocked by the security "
    "rule &quot;{rule}&quot;.</p>\n<p>Event ID: <code>{event_id}</code></p></body></html>\n";

std::string htmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

void replaceAll(std::string& s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// A rule name as an HTTP quoted-string: printable ASCII only, '"' and '\' escaped.
std::string quotedHeaderString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) {
      out.push_back('?');
    } else {
      if (c == '"' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

uint32_t ResponseHeaders::append(std::string_view bytes) {
  const uint32_t at = used_;
  if (heap_text_.empty() && used_ + bytes.size() <= kInlineBytes) {
    std::memcpy(inline_text_ + used_, bytes.data(), bytes.size());
  } else {
    if (heap_text_.empty()) heap_text_.assign(inline_text_, used_);
    heap_text_.append(bytes);
  }
  used_ += static_cast<uint32_t>(bytes.size());
  return at;
}

ResponseHeaders& ResponseHeaders::operator=(const ResponseHeaders& other) {
  if (this == &other) return *this;
  used_ = other.used_;
  count_ = other.count_;
  heap_text_ = other.heap_text_;
  more_spans_ = other.more_spans_;
  if (heap_text_.empty()) std::memcpy(inline_text_, other.inline_text_, used_);
  std::memcpy(inline_spans_, other.inline_spans_,
              std::min<size_t>(count_, kInlineHeaders) * sizeof(Span));
  return *this;
}

void ResponseHeaders::add(std::string_view name, std::string_view value) {
  Span span;
  span.name_at = append(name);
  span.name_size = static_cast<uint32_t>(name.size());
  span.value_at = append(value);
  span.value_size = static_cast<uint32_t>(value.size());
  if (count_ < kInlineHeaders) {
    inline_spans_[count_] = span;
  } else {
    more_spans_.push_back(span);
  }
  ++count_;
}

void ResponseHeaders::clear() {
  used_ = 0;
  count_ = 0;
  heap_text_.clear();
  more_spans_.clear();
}

ResponseHeaders::value_type ResponseHeaders::operator[](size_t i) const {
  const Span& span = i < kInlineHeaders ? inline_spans_[i] : more_spans_[i - kInlineHeaders];
  const char* t = text();
  return {std::string_view(t + span.name_at, span.name_size),
          std::string_view(t + span.value_at, span.value_size)};
}

std::optional<std::string_view> ResponseHeaders::find(std::string_view name) const {
  for (const auto& [n, v] : *this) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string Firewall::newEventId() const {
  // A counter scrambled with a per-process salt (splitmix64): unique within the process, and
  // not guessable from one id to the next.
  uint64_t x = event_counter_.fetch_add(1, std::memory_order_relaxed) + event_salt_;
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  x ^= x >> 31;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(x));
  return buf;
}

void Firewall::blockResponse(size_t rule, Decision& d) const {
  const config::WafBlockResponse& b = runtime_[rule].block;
  d.status = b.status;
  d.content_type = b.content_type;
  const bool html = b.content_type.find("html") != std::string::npos;
  d.body = b.body.empty() ? std::string(kDefaultBlockPage) : b.body;
  replaceAll(d.body, "{rule}", html ? htmlEscape(d.rule) : d.rule);
  replaceAll(d.body, "{event_id}", d.event_id);
  d.headers.add("X-Shipgate-Block", "rule=" + quotedHeaderString(d.rule) + "; event=" + d.event_id);
  d.headers.add("Cache-Control", "no-store");
}

void Firewall::managedBlockResponse(const RequestView& view, const managed::Verdict& v,
                                    Decision& d) const {
  (void)view;
  const config::WafBlockResponse& b = block_defaults_;
  const int64_t rule = v.intercepting_rule != 0 ? v.intercepting_rule : 949110;
  d.status = b.status == 403 && v.status >= 400 && v.status <= 599 ? v.status : b.status;
  d.content_type = b.content_type;
  const bool html = b.content_type.find("html") != std::string::npos;
  d.body = b.body.empty() ? std::string(kDefaultBlockPage) : b.body;
  const std::string name = "managed rules (OWASP CRS " + std::to_string(rule) + ")";
  replaceAll(d.body, "{rule}", html ? htmlEscape(name) : name);
  replaceAll(d.body, "{event_id}", d.event_id);
  d.headers.add("X-Shipgate-Block", "managed=\"crs\"; rule=" + std::to_string(rule) +
                                        "; event=" + d.event_id);
  d.headers.add("Cache-Control", "no-store");
}

void Firewall::challengeResponse(const RequestView& view, Decision& d) const {
  std::string_view ua = headerValue(view, "user-agent").value_or(std::string_view());
  shield::ChallengePage page = challenge_->page(view.client_ip, ua);
  d.status = page.status;
  d.content_type = page.content_type;
  d.body = std::move(page.body);
  d.headers.clear();
  for (const auto& [name, value] : page.headers) d.headers.add(name, value);
  d.headers.add("X-Shipgate-Challenge", "rule=" + quotedHeaderString(d.rule) + "; event=" + d.event_id);
}

}  // namespace shipgate::firewall
