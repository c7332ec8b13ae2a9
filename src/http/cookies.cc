#include "shipgate/http/cookies.h"

#include "shipgate/common/strings.h"
#include "shipgate/http/message.h"

namespace shipgate::http {

bool nextCookie(std::string_view& rest, Cookie& out) {
  while (!rest.empty()) {
    size_t semi = rest.find(';');
    std::string_view pair = trimOws(rest.substr(0, semi));
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.name = {};
      out.value = pair;
    } else {
      out.name = trimOws(pair.substr(0, eq));
      out.value = trimOws(pair.substr(eq + 1));
    }
    if (out.value.size() >= 2 && out.value.front() == '"' && out.value.back() == '"') {
      out.value = out.value.substr(1, out.value.size() - 2);
    }
    return true;
  }
  return false;
}

std::optional<std::string_view> findCookie(std::string_view cookie_header, std::string_view name) {
  Cookie c;
  while (nextCookie(cookie_header, c)) {
    if (c.name == name) return c.value;
  }
  return std::nullopt;
}

std::optional<std::string_view> findCookie(const MessageHead& head, std::string_view name) {
  for (size_t i = 0; i < head.headerCount(); ++i) {
    if (!equalsIgnoreCase(head.headerName(i), "cookie")) continue;
    if (auto v = findCookie(head.headerValue(i), name)) return v;
  }
  return std::nullopt;
}

}  // namespace shipgate::http
