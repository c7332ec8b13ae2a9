// Cookie request headers (RFC 6265 section 5.4, as browsers send them): one parser for the WAF's
// http.request.cookies, the firewall's rate-limit keys, the challenge clearance cookie and
// sticky sessions. Views into the header values; no allocation. Thread-safe (no state).
//
// Rules: a header value is split on ';'; spaces and tabs around each name and value are trimmed;
// a pair without '=' has an empty name and the whole pair as its value (RFC 6265bis 5.6); empty
// pairs are skipped; a value wrapped in double quotes loses one pair of them ("\"v\"" -> "v").
// Nothing is percent-decoded: names and values are the bytes the client sent (the WAF decodes
// cookie names itself, as Cloudflare's field does). A request may carry several Cookie headers
// (HTTP/2 sends one per cookie); every one of them is read, in order.
#pragma once

#include <optional>
#include <string_view>

#include "shipgate/common/strings.h"

namespace shipgate::http {

class MessageHead;

struct Cookie {
  std::string_view name;
  std::string_view value;
};

// Takes the next cookie from `rest` (one Cookie header value, consumed as it goes). False when
// no cookie is left.
bool nextCookie(std::string_view& rest, Cookie& out);

// The value of the first cookie called `name` (exact, case-sensitive) in one header value.
std::optional<std::string_view> findCookie(std::string_view cookie_header, std::string_view name);

// The same over every Cookie header of a sequence of header records with `.name` and `.value`
// (waf::Header, ...), in order.
template <typename Headers>
std::optional<std::string_view> findCookieInHeaders(const Headers& headers,
                                                    std::string_view name) {
  for (const auto& h : headers) {
    if (!equalsIgnoreCase(h.name, "cookie")) continue;
    if (auto v = findCookie(h.value, name)) return v;
  }
  return std::nullopt;
}

// The same over every Cookie header of a parsed message.
std::optional<std::string_view> findCookie(const MessageHead& head, std::string_view name);

}  // namespace shipgate::http
