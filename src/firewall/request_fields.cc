// Header, cookie and query-argument lookups for rate-limit keys (see request_fields.h).
#include "request_fields.h"

namespace shipgate::firewall {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string_view pathOf(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

}  // namespace

std::optional<std::string_view> headerValue(const RequestView& view, std::string_view name) {
  for (const auto& h : view.headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> cookieValue(const RequestView& view, std::string_view name) {
  for (const auto& h : view.headers) {
    if (!equalsIgnoreCase(h.name, "cookie")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      size_t semi = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
      size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      if (trim(pair.substr(0, eq)) == name) return trim(pair.substr(eq + 1));
    }
  }
  return std::nullopt;
}

std::optional<std::string_view> queryArg(std::string_view target, std::string_view name) {
  size_t q = target.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view rest = target.substr(q + 1);
  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) rest = rest.substr(0, hash);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    if (key == name) return eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
  }
  return std::nullopt;
}

std::optional<std::string_view> characteristicValue(const Characteristic& c,
                                                    const RequestView& view) {
  using K = Characteristic::Kind;
  switch (c.kind) {
    case K::kIp:
      return view.client_ip;
    case K::kHost:
      return headerValue(view, "host");
    case K::kPath:
      return pathOf(view.target);
    case K::kMethod:
      return view.method;
    case K::kQuery: {
      size_t q = view.target.find('?');
      if (q == std::string_view::npos) return std::string_view();
      return view.target.substr(q + 1);
    }
    case K::kHeader:
      return headerValue(view, c.name);
    case K::kCookie:
      return cookieValue(view, c.name);
    case K::kQueryArg:
      return queryArg(view.target, c.name);
  }
  return std::nullopt;
}

}  // namespace shipgate::firewall
