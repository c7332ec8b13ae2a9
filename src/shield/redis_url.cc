// parseRedisUrl (see redis_url.h).
#include "shipgate/shield/redis_url.h"

#include <cctype>
#include <charconv>

namespace shipgate::shield {
namespace {

constexpr size_t kMaxUrl = 4096;

// The input as quoted in a message: at most 200 bytes, anything but printable ASCII as \xNN (a
// hostile value cannot inject control bytes into a log line), the password hidden.
std::string shownUrl(std::string_view text) {
  if (size_t at = text.rfind('@'); at != std::string_view::npos && text.rfind("redis://", 0) == 0) {
    return "redis://***" + shownUrl(text.substr(at));
  }
  std::string_view cut = text.substr(0, 200);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char c : cut) {
    const auto b = static_cast<unsigned char>(c);
    if (b >= 0x20 && b < 0x7f && c != '"' && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

Status bad(std::string_view text, const std::string& what) {
  const std::string shown = shownUrl(text);
  return Status::invalidArgument("redis URL \"" + shown + "\": " + what +
                                 " (expected redis://[:password@]host:port[/db] or "
                                 "unix:/path/to/redis.sock)");
}

// Decimal integer in [min, max]; nullopt-like false on anything else.
bool number(std::string_view s, int min, int max, int& out) {
  if (s.empty() || s.size() > 9) return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) return false;
  out = v;
  return true;
}

// %XX decoding of the userinfo (a password may hold ':' or '@' percent-encoded).
bool percentDecode(std::string_view s, std::string& out) {
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return false;
    auto hex = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return true;
}

bool hostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

}  // namespace

std::string RedisUrl::display() const {
  if (isUnix()) return "unix:" + unix_path + (db != 0 ? "?db=" + std::to_string(db) : "");
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port) + (db != 0 ? "/" + std::to_string(db) : "");
}

Result<RedisUrl> parseRedisUrl(std::string_view text) {
  if (text.empty()) return bad(text, "empty");
  if (text.size() > kMaxUrl) return bad(text, "longer than 4096 bytes");
  for (char c : text) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad(text, "contains a space or control character");
    }
  }
  RedisUrl url;
  if (text.rfind("unix:", 0) == 0) {
    std::string_view rest = text.substr(5);
    if (rest.rfind("//", 0) == 0) rest.remove_prefix(2);
    std::string_view query;
    if (size_t q = rest.find('?'); q != std::string_view::npos) {
      query = rest.substr(q + 1);
      rest = rest.substr(0, q);
    }
    if (rest.empty() || rest[0] != '/') return bad(text, "a unix socket path must be absolute");
    if (rest.size() > 107) return bad(text, "unix socket path is longer than 107 bytes");
    url.unix_path = std::string(rest);
    if (!query.empty()) {
      if (query.rfind("db=", 0) != 0) return bad(text, "the only query parameter is db=N");
      if (!number(query.substr(3), 0, 1023, url.db)) return bad(text, "db must be in 0..1023");
    }
    return url;
  }
  if (text.rfind("redis://", 0) != 0) {
    return bad(text, "unknown scheme (use redis:// or unix:; TLS rediss:// is not supported)");
  }
  std::string_view rest = text.substr(8);
  std::string_view path;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    path = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
  }
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    std::string_view user = userinfo, pass;
    if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
    } else {
      // redis://secret@host: the userinfo is the password (as redis-cli reads it).
      pass = userinfo;
      user = {};
    }
    if (!percentDecode(user, url.user) || !percentDecode(pass, url.password)) {
      return bad(text, "bad %-escape in the user or password");
    }
    if (url.password.empty()) return bad(text, "empty password before '@'");
  }
  if (rest.empty()) return bad(text, "missing host");
  std::string_view host, port;
  if (rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad(text, "missing ']' after an IPv6 address");
    host = rest.substr(1, close - 1);
    std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad(text, "expected ':port' after ']'");
      port = after.substr(1);
      if (port.empty()) return bad(text, "empty port after ':'");
    }
    if (host.empty()) return bad(text, "empty IPv6 address");
    for (char c : host) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        return bad(text, "bad character in the IPv6 address");
      }
    }
  } else {
    size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) return bad(text, "empty port after ':'");
    }
    if (host.empty()) return bad(text, "missing host");
    for (char c : host) {
      if (!hostChar(c)) {
        return bad(text, "bad character '" + shownUrl(std::string_view(&c, 1)) + "' in the host");
      }
    }
  }
  url.host = std::string(host);
  if (!port.empty() && !number(port, 1, 65535, url.port)) {
    return bad(text, "port \"" + shownUrl(port.substr(0, 16)) + "\" is not in 1..65535");
  }
  if (!path.empty() && !number(path, 0, 1023, url.db)) {
    return bad(text, "database \"/" + shownUrl(path.substr(0, 16)) + "\" is not in 0..1023");
  }
  return url;
}

}  // namespace shipgate::shield
