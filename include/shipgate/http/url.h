// Absolute http(s) URLs as operators write them (health check endpoints, JSON-RPC peers, the
// CLI's --admin): one parser, RFC 3986 syntax checked by uriparser. Pure function, thread-safe.
//
// Accepted: "http[s]://host[:port][/path][?query][#fragment]", the scheme in any case; host a
// registered name, an IPv4 address or a bracketed IPv6 literal. Rejected, with a message saying
// which: another scheme or none, user info ("u:p@"), an empty host, a port outside 1..65535,
// spaces or control characters anywhere, and anything else that is not RFC 3986 syntax. The
// fragment is dropped; the path and query are kept as written ("/" when the path is empty).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "shipgate/common/status.h"

namespace shipgate::http {

struct Url {
  std::string scheme;           // "http" or "https", lower-case
  std::string host;             // as written; IPv6 without the brackets
  bool ipv6 = false;            // host is an IPv6 literal
  uint16_t port = 0;            // the explicit port, else 80 / 443
  bool explicit_port = false;
  std::string path_and_query = "/";  // "/p?q"; never empty, always starts with '/'
  bool tls() const { return scheme == "https"; }
  // host:port as a connect target; IPv6 in brackets ("[::1]:80").
  std::string hostPort() const;
};

// The Status message says what is wrong without quoting the URL; callers add their context.
Result<Url> parseUrl(std::string_view text);

}  // namespace shipgate::http
