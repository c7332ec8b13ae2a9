// Header, cookie and query-argument lookups for rate-limit keys (see request_fields.h); cookies,
// query arguments and paths come from the http text toolkit.
#include "request_fields.h"

#include "shipgate/http/cookies.h"
#include "shipgate/http/path.h"
#include "shipgate/http/query.h"

namespace shipgate::firewall {

std::optional<std::string_view> headerValue(const RequestView& view, std::string_view name) {
  for (const auto& h : view.headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> cookieValue(const RequestView& view, std::string_view name) {
  return http::findCookieInHeaders(view.headers, name);
}

std::optional<std::string_view> queryArg(std::string_view target, std::string_view name) {
  http::TargetParts parts = http::splitTarget(target);
  if (!parts.has_query) return std::nullopt;
  return http::findQueryArg(parts.query, name);
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
      return view.path.empty() ? http::splitTarget(view.target).path : view.path;
    case K::kMethod:
      return view.method;
    case K::kQuery:
      return http::splitTarget(view.target).query;
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
