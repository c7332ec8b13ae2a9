// The scalar value syntaxes of the config: durations, sizes, addresses and URLs (see loader.h).
#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <string>
#include <string_view>

#include "shipgate/common/strings.h"
#include "shipgate/config/loader.h"
#include "shipgate/http/url.h"

namespace shipgate::config {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// Reads "123" or "1.5" from the front of `s`; returns false when there is no number there.
bool takeNumber(std::string_view& s, double& out) {
  size_t i = 0;
  while (i < s.size() && isDigit(s[i])) ++i;
  size_t int_digits = i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t frac_start = i;
    while (i < s.size() && isDigit(s[i])) ++i;
    if (i == frac_start) return false;
  }
  if (int_digits == 0) return false;
  if (i > 30) return false;  // absurdly long numbers are not values we accept
  std::string copy(s.substr(0, i));
  out = std::strtod(copy.c_str(), nullptr);
  s.remove_prefix(i);
  return std::isfinite(out);
}

bool parsePort(std::string_view s, uint16_t& port) {
  if (s.empty() || s.size() > 5) return false;
  unsigned v = 0;
  for (char c : s) {
    if (!isDigit(c)) return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  if (v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

bool isHostName(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  if (h.front() == '.' || h.front() == '-') return false;
  for (char c : h) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || isDigit(c) || c == '-' ||
              c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Validates a host written without brackets: "*", an IPv4 literal or a DNS name.
Status checkHost(std::string_view host) {
  if (host == "*") return Status::success();
  bool dotted_digits = !host.empty();
  for (char c : host) dotted_digits = dotted_digits && (isDigit(c) || c == '.');
  if (dotted_digits) {
    in_addr a{};
    if (inet_pton(AF_INET, std::string(host).c_str(), &a) != 1) {
      return Status::invalidArgument("\"" + std::string(host) + "\" is not a valid IPv4 address");
    }
    return Status::success();
  }
  if (!isHostName(host)) {
    return Status::invalidArgument("\"" + std::string(host) + "\" is not a valid host name");
  }
  return Status::success();
}

}  // namespace

Result<Millis> parseDuration(std::string_view text) {
  std::string_view s = trimOws(text);
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (s.empty()) return Status::invalidArgument("empty duration");
  if (s == "0") return Millis{0};
  double total_ms = 0;
  bool any = false;
  while (!s.empty()) {
    double n = 0;
    if (!takeNumber(s, n)) {
      return Status::invalidArgument("bad duration " + quoted +
                                     ": expected a number followed by "
                                     "a unit (ms, s, m, h, d), e.g. 500ms or 2s");
    }
    double unit_ms = 0;
    if (s.substr(0, 2) == "ms") {
      unit_ms = 1;
      s.remove_prefix(2);
    } else if (!s.empty() && (s[0] == 's' || s[0] == 'm' || s[0] == 'h' || s[0] == 'd')) {
      unit_ms = s[0] == 's' ? 1e3 : s[0] == 'm' ? 60e3 : s[0] == 'h' ? 3600e3 : 86400e3;
      s.remove_prefix(1);
    } else if (s.empty()) {
      return Status::invalidArgument("bad duration " + quoted +
                                     ": a unit is required (ms, s, m, h, d), e.g. 2s or 500ms");
    } else {
      return Status::invalidArgument("bad duration " + quoted + ": unknown unit \"" +
                                     std::string(s) + "\" (use ms, s, m, h or d)");
    }
    total_ms += n * unit_ms;
    any = true;
  }
  if (!any) return Status::invalidArgument("bad duration " + quoted);
  if (total_ms > 1e13) return Status::invalidArgument("duration " + quoted + " is too long");
  return Millis{static_cast<int64_t>(std::llround(total_ms))};
}

Result<size_t> parseSize(std::string_view text) {
  std::string_view s = trimOws(text);
  const std::string quoted = "\"" + std::string(text) + "\"";
  double n = 0;
  if (!takeNumber(s, n)) {
    return Status::invalidArgument("bad size " + quoted +
                                   ": expected bytes or a number with a "
                                   "unit (KiB, MiB, GiB, KB, MB, GB), e.g. 16KiB");
  }
  s = trimOws(s);
  double mult = 0;
  if (s.empty() || s == "B") {
    mult = 1;
  } else if (s == "k" || s == "K" || s == "KiB") {
    mult = 1024.0;
  } else if (s == "m" || s == "M" || s == "MiB") {
    mult = 1024.0 * 1024;
  } else if (s == "g" || s == "G" || s == "GiB") {
    mult = 1024.0 * 1024 * 1024;
  } else if (s == "KB" || s == "kB") {
    mult = 1e3;
  } else if (s == "MB") {
    mult = 1e6;
  } else if (s == "GB") {
    mult = 1e9;
  } else {
    return Status::invalidArgument("bad size " + quoted + ": unknown unit \"" + std::string(s) +
                                   "\" (use B, KiB, MiB, GiB, KB, MB or GB)");
  }
  double bytes = n * mult;
  if (bytes > 1e15) return Status::invalidArgument("size " + quoted + " is too large");
  if (bytes != std::floor(bytes)) {
    return Status::invalidArgument("size " + quoted + " is not a whole number of bytes");
  }
  return static_cast<size_t>(bytes);
}

Result<LogLevel> parseLogLevel(std::string_view text) {
  for (LogLevel level : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == logLevelName(level)) return level;
  }
  return Status::invalidArgument("log level \"" + std::string(text) +
                                 "\" is not one of debug, info, warn or error");
}

Result<HostPort> parseHostPort(std::string_view text) {
  std::string_view s = trimOws(text);
  const std::string quoted = "\"" + std::string(text) + "\"";
  HostPort hp;
  std::string_view port_text;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) {
      return Status::invalidArgument("bad address " + quoted + ": missing ']'");
    }
    std::string v6(s.substr(1, close - 1));
    in6_addr a{};
    if (inet_pton(AF_INET6, v6.c_str(), &a) != 1) {
      return Status::invalidArgument("bad address " + quoted + ": \"" + v6 +
                                     "\" is not a valid IPv6 address");
    }
    hp.host = v6;
    std::string_view rest = s.substr(close + 1);
    if (rest.empty() || rest.front() != ':') {
      return Status::invalidArgument("bad address " + quoted + ": missing port (\"[v6]:port\")");
    }
    port_text = rest.substr(1);
  } else {
    size_t colon = s.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::invalidArgument("bad address " + quoted + ": missing port (\"host:port\")");
    }
    if (s.find(':') != colon) {
      return Status::invalidArgument("bad address " + quoted +
                                     ": IPv6 addresses need brackets, e.g. \"[::1]:8080\"");
    }
    std::string_view host = s.substr(0, colon);
    if (host.empty()) host = "*";
    Status st = checkHost(host);
    if (!st.isOk()) return Status::invalidArgument("bad address " + quoted + ": " + st.message());
    hp.host = std::string(host);
    port_text = s.substr(colon + 1);
  }
  if (!parsePort(port_text, hp.port)) {
    return Status::invalidArgument("bad address " + quoted + ": port \"" + std::string(port_text) +
                                   "\" is not a number from 0 to 65535");
  }
  return hp;
}

// The URL syntax is http::parseUrl's (the one URL parser); the host then goes through the same
// checks as a listener address.
Result<Url> parseUrl(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  auto parsed = http::parseUrl(trimOws(text));
  if (!parsed.isOk()) {
    return Status::invalidArgument("bad URL " + quoted + ": " + parsed.status().message());
  }
  auto hp = parseHostPort(parsed->hostPort());
  if (!hp.isOk()) {
    return Status::invalidArgument("bad URL " + quoted + ": " + hp.status().message());
  }
  if (hp->host == "*") return Status::invalidArgument("bad URL " + quoted + ": missing host");
  Url url;
  url.tls = parsed->tls();
  url.address = *hp;
  url.path = std::move(parsed->path_and_query);
  return url;
}

}  // namespace shipgate::config
